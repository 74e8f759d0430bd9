// Owns the recordings page: camera and day selection (kept in the hash query,
// #/recordings?camera=x&day=YYYY-MM-DD), loading the day's recordings (refreshed while the day
// is today), mapping timeline moments to what to play (gaps jump to the next recording), and
// chaining playback into the next recording; the timeline, player and list do the drawing.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type Camera } from '../api';
import { recApi, type Recording } from '../api-recordings';
import { ErrorBox, Notice } from '../components/ErrorBox';
import { Timeline } from '../components/Timeline';
import { t } from '../i18n';
import { RecList } from '../rec-list';
import { RecPlayer, type PlayRequest } from '../rec-player';
import { routeQuery, useHash } from '../router';
import { clock, dayBounds, dayKey, hitTest, isDayKey, nextSpan, shiftDay, toSpans } from '../timeline';
import '../recordings.css';

const REFRESH_TODAY_MS = 10000;

function go(camera: string, day: string) {
  const q = new URLSearchParams({ camera, day });
  const target = `#/recordings?${q}`;
  if (location.hash !== target) location.hash = target;
}

export function RecordingsPage() {
  const { hash } = useHash();
  const q = routeQuery(hash);
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [camError, setCamError] = useState<unknown>(null);
  const [now, setNow] = useState(() => Date.now());

  const day = isDayKey(q.get('day')) ? q.get('day')! : dayKey(now);
  const camId = q.get('camera') ?? cameras?.[0]?.id ?? null;
  const camera = cameras?.find((c) => c.id === camId) ?? null;
  const { start: dayStart, end: dayEnd } = dayBounds(day);
  const isToday = now >= dayStart && now < dayEnd;

  // The loaded recordings, tagged with the camera and day they belong to (so a switch never
  // shows the previous camera's recordings for a render).
  const [data, setData] = useState<{ key: string; recs: Recording[] } | null>(null);
  const dataKey = `${camId}|${day}`;
  const recs = data?.key === dataKey ? data.recs : null;
  const [recError, setRecError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [reloadTick, setReloadTick] = useState(0);
  const [cursor, setCursor] = useState<number | null>(null);
  const [play, setPlay] = useState<PlayRequest | null>(null);
  const [playhead, setPlayhead] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const seq = useRef(0);
  // Today's last recording ended: play the next one as soon as a refresh lists it.
  const [waitAfter, setWaitAfter] = useState<string | null>(null);

  // Cameras (names, recording status), refreshed every 30 s.
  useEffect(() => {
    let alive = true;
    const load = () => api.listCameras().then((c) => alive && (setCameras(c), setCamError(null)), (e) => alive && setCamError(e));
    void load();
    const timer = setInterval(load, 30000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);

  // The clock for "now" (future part of today, the part being recorded).
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);

  // A new camera or day: forget what played.
  useEffect(() => {
    setCursor(null);
    setPlay(null);
    setPlayhead(null);
    setNotice(null);
    setWaitAfter(null);
  }, [camId, day]);

  // The day's recordings (every page); again every 10 s while the day is today.
  useEffect(() => {
    if (!camId) return;
    const ctl = new AbortController();
    setLoading(true);
    recApi
      .listAll({ camera_id: camId, start: new Date(dayStart).toISOString(), end: new Date(dayEnd).toISOString() }, ctl.signal)
      .then(
        (r) => {
          setData({ key: dataKey, recs: r.recordings });
          setRecError(null);
        },
        (e) => {
          if ((e as Error).name !== 'AbortError') setRecError(e);
        },
      )
      .finally(() => !ctl.signal.aborted && setLoading(false));
    const timer = isToday ? setTimeout(() => setReloadTick((n) => n + 1), REFRESH_TODAY_MS) : undefined;
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
  }, [camId, day, reloadTick, isToday]);

  const spans = useMemo(() => toSpans(recs ?? []), [recs]);
  const byId = useMemo(() => new Map((recs ?? []).map((r) => [r.id, r])), [recs]);

  const start = (rec: Recording, offset: number, asked: number | null, note: string | null) => {
    setPlay({ rec, offset, asked, note, seq: ++seq.current });
    setNotice(null);
    setWaitAfter(null);
  };

  useEffect(() => {
    const next = waitAfter ? nextSpan(spans, waitAfter) : null;
    if (next) start(byId.get(next.id)!, 0, null, t('rec.continued', { time: clock(next.start) }));
  }, [spans, waitAfter]);

  // A moment chosen on the timeline: play the recording holding it, or the next one.
  const playAt = (at: number) => {
    setCursor(at);
    const hit = hitTest(spans, at);
    if (hit.kind === 'none') {
      setNotice(isToday && at > now - 60e3 ? t('rec.nothingYet', { time: clock(at) }) : t('rec.nothingAfter', { time: clock(at) }));
      return;
    }
    const rec = byId.get(hit.span.id)!;
    if (hit.kind === 'inside') start(rec, hit.offset, at, null);
    else start(rec, 0, at, t('rec.gapJump', { time: clock(at), next: clock(hit.span.start) }));
  };

  // End of one recording: continue with the next one of the day.
  const onEnded = (rec: Recording) => {
    const next = nextSpan(spans, rec.id);
    if (next && next.start < dayEnd) start(byId.get(next.id)!, 0, null, t('rec.continued', { time: clock(next.start) }));
    else if (isToday && camera?.status === 'recording') {
      setNotice(t('rec.waitingNext'));
      setWaitAfter(rec.id);
      setReloadTick((n) => n + 1);
    } else setNotice(t('rec.endOfDay'));
  };

  const onDeleted = (ids: string[], res: { deleted: number; failed: number }) => {
    if (play && ids.includes(play.rec.id)) setPlay(null);
    setNotice(res.failed > 0 ? t('rec.deletedSome', { n: res.deleted, failed: res.failed }) : t('rec.deleted', { n: res.deleted }));
    setReloadTick((n) => n + 1);
  };

  const today = dayKey(now);
  return (
    <section aria-labelledby="rec-title" class="rec-page">
      <div class="page-head">
        <h1 id="rec-title">{t('rec.title')}</h1>
        {loading && recs === null && <span class="muted small">{t('common.loading')}</span>}
      </div>
      <ErrorBox error={camError} />
      {cameras && cameras.length === 0 && <p class="muted">{t('rec.noCameras')}</p>}
      <div class="rec-controls card">
        <label class="rec-field">
          <span>{t('rec.camera')}</span>
          <select id="rec-camera" value={camId ?? ''} onChange={(e) => go((e.target as HTMLSelectElement).value, day)}>
            {camId && !camera && <option value={camId}>{camId}</option>}
            {(cameras ?? []).map((c) => (
              <option value={c.id}>{c.name === c.id ? c.name : `${c.name} (${c.id})`}</option>
            ))}
          </select>
        </label>
        <div class="rec-field rec-day">
          <span id="rec-day-label">{t('rec.day')}</span>
          <div class="rec-day-row" role="group" aria-labelledby="rec-day-label">
            <button type="button" class="btn btn-small" id="rec-prev-day" disabled={!camId} onClick={() => camId && go(camId, shiftDay(day, -1))}
              aria-label={t('rec.prevDay')}>
              ‹
            </button>
            <input type="date" id="rec-day" value={day} max={today} aria-labelledby="rec-day-label"
              onChange={(e) => {
                const v = (e.target as HTMLInputElement).value;
                if (camId && isDayKey(v)) go(camId, v);
              }} />
            <button type="button" class="btn btn-small" id="rec-next-day" disabled={!camId || day >= today}
              onClick={() => camId && go(camId, shiftDay(day, 1))} aria-label={t('rec.nextDay')}>
              ›
            </button>
            {day !== today && camId && (
              <button type="button" class="btn btn-small" onClick={() => go(camId, today)}>
                {t('rec.today')}
              </button>
            )}
          </div>
        </div>
        {camera && (
          <p class="muted small rec-cam-status">
            {camera.status === 'recording' ? t('rec.camRecording') : t('rec.camNotRecording', { status: t(`status.${camera.status}`) })}
          </p>
        )}
      </div>
      <ErrorBox error={recError} />
      <Notice text={notice} />
      {camId && (
        <div class="card rec-timeline-card" data-camera={camId} data-day={day} data-loaded={recs ? 'true' : 'false'}>
          <Timeline
            dayStart={dayStart}
            dayEnd={dayEnd}
            spans={spans}
            now={now}
            recordingSince={camera?.status === 'recording' && camera.recording_since ? Date.parse(camera.recording_since) : null}
            cursor={cursor}
            playhead={playhead}
            onCursor={setCursor}
            onPlay={playAt}
          />
          {recs && recs.length === 0 && <p class="muted rec-empty">{t('rec.noneDay')}</p>}
        </div>
      )}
      {camId && <RecPlayer play={play} onPlayhead={setPlayhead} onEnded={onEnded} />}
      {camId && recs && (
        <RecList day={day} recs={recs} playingId={play?.rec.id ?? null} onDeleted={onDeleted}
          onPlay={(r) => {
            setCursor(Date.parse(r.started_at));
            start(r, 0, null, null);
          }} />
      )}
    </section>
  );
}
