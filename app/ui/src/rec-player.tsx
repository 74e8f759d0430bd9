// Owns recording playback: a <video> whose src is the recording's download URL (the media
// session cookie authenticates it), the seek to the requested offset once metadata is known,
// reporting the playhead (wall-clock ms) and the end (so the page chains the next recording),
// what is playing in words, and playback failures explained with a download as the way out.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { recApi, type Recording } from './api-recordings';
import { t } from './i18n';
import { browserCanHevc, explainVideoError, probeMedia, type Explained } from './rec-media';
import { clock, fmtDuration } from './timeline';

const STALL_MS = 6000;

export interface PlayRequest {
  rec: Recording;
  /** Seconds into the recording. */
  offset: number;
  /** The moment the user asked for (null when chained or played from the list). */
  asked: number | null;
  /** Why another moment than `asked` plays (e.g. the click fell into a gap). */
  note: string | null;
  /** Bumped on every request, so replaying the same recording seeks again. */
  seq: number;
}

export interface PlayerProps {
  play: PlayRequest | null;
  onPlayhead: (ms: number | null) => void;
  onEnded: (rec: Recording) => void;
}

export function RecPlayer({ play, onPlayhead, onEnded }: PlayerProps) {
  const ref = useRef<HTMLVideoElement>(null);
  const [failure, setFailure] = useState<Explained | null>(null);
  const [blocked, setBlocked] = useState(false);
  const latest = useRef(play);
  latest.current = play;
  // One automatic media-session renewal per play request (the cookie expires after hours).
  const [attempt, setAttempt] = useState(0);
  const renewedFor = useRef(-1);

  useEffect(() => {
    const v = ref.current;
    if (!v) return;
    setFailure(null);
    setBlocked(false);
    if (!play) {
      v.removeAttribute('src');
      v.load();
      onPlayhead(null);
      return;
    }
    const fmt = play.rec.format;
    if (fmt === 'mjpeg' || (fmt === 'h265' && !browserCanHevc())) {
      v.removeAttribute('src');
      v.load();
      setFailure(explainVideoError({ code: 4, message: '', format: fmt, httpStatus: null, canHevc: false }));
      return;
    }
    let cancelled = false;
    // A media GET refused with 401 carries WWW-Authenticate, so the browser may hold it open
    // behind its own login prompt and never fire 'error': probe the URL when nothing loads.
    const stall = setTimeout(() => {
      if (!cancelled && v.readyState === 0 && !v.error) void explainFailure(play, 0, '', true);
    }, STALL_MS);
    const start = () => {
      if (cancelled) return;
      const end = Number.isFinite(v.duration) ? v.duration - 0.05 : play.offset;
      if (play.offset > 0) v.currentTime = Math.max(0, Math.min(play.offset, end));
      v.play().catch((e: Error) => {
        if (!cancelled && e.name === 'NotAllowedError') setBlocked(true);
      });
    };
    const url = recApi.downloadUrl(play.rec.id);
    if (v.getAttribute('src') !== url || v.error) {
      v.addEventListener('loadedmetadata', start, { once: true });
      v.src = url;
    } else if (v.readyState < 1) v.addEventListener('loadedmetadata', start, { once: true });
    else start();
    return () => {
      cancelled = true;
      clearTimeout(stall);
      v.removeEventListener('loadedmetadata', start);
    };
  }, [play?.seq, attempt]);

  // Explains a failure in words; a stalled load is only reported when the server refuses it.
  const explainFailure = async (p: PlayRequest, code: number, message: string, stalled = false) => {
    const status = await probeMedia(recApi.downloadUrl(p.rec.id));
    if (latest.current?.seq !== p.seq) return;
    if (stalled && status > 0 && status < 400) return;
    if (stalled) ref.current?.removeAttribute('src');
    if (status === 401 && renewedFor.current !== p.seq) {
      renewedFor.current = p.seq;
      const renewed = await api.openMediaSession({ quiet401: true }).then(() => true, () => false);
      if (renewed && latest.current?.seq === p.seq) {
        ref.current?.removeAttribute('src');
        setAttempt((a) => a + 1);
        return;
      }
    }
    setFailure(explainVideoError({ code, message, format: p.rec.format, httpStatus: status, canHevc: browserCanHevc() }));
  };
  const onError = () => {
    const v = ref.current;
    const p = latest.current;
    if (v?.error && p) void explainFailure(p, v.error.code, v.error.message);
  };

  const rec = play?.rec;
  const startMs = rec ? Date.parse(rec.started_at) : 0;
  return (
    <div class="rec-player card">
      <div class={play ? 'rec-video' : 'rec-video rec-video-idle'}>
        <video
          ref={ref}
          id="rec-video"
          controls
          playsInline
          preload="metadata"
          aria-label={t('rec.player')}
          onTimeUpdate={(e) => rec && onPlayhead(startMs + (e.currentTarget as HTMLVideoElement).currentTime * 1000)}
          onPlaying={() => setBlocked(false)}
          onEnded={() => rec && onEnded(rec)}
          onError={onError}
        />
        {!play && <p class="rec-video-empty muted">{t('rec.playerEmpty')}</p>}
      </div>
      {play && rec && (
        <div class="rec-now" aria-live="polite">
          {play.asked !== null && (
            <div>
              <strong>{t('rec.clickedAt', { time: clock(play.asked) })}</strong>
            </div>
          )}
          {play.note && <div class="rec-note">{play.note}</div>}
          <div class="muted small rec-range">
            {t('rec.playingRange', { start: clock(startMs), end: clock(Date.parse(rec.ended_at)), duration: fmtDuration(rec.duration) })}
            {' · '}
            {rec.format.toUpperCase()} {rec.width > 0 && `${rec.width}×${rec.height}`}
            {' · '}
            <a href={recApi.downloadUrl(rec.id)} download class="rec-player-download">
              {t('rec.download')}
            </a>
          </div>
        </div>
      )}
      {blocked && (
        <p class="alert alert-warn" role="status">
          {t('rec.pressPlay')}
        </p>
      )}
      {failure && (
        <div class="alert alert-error" role="alert">
          <span class="alert-text">{t(failure.key, failure.vars)}</span>
          {failure.offerDownload && rec && (
            <>
              {' '}
              <a href={recApi.downloadUrl(rec.id)} download>
                {t('rec.downloadInstead')}
              </a>
            </>
          )}
        </div>
      )}
    </div>
  );
}
