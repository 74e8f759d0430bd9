// Owns the clock card of the system page: the box's time (GET /api/system/time, re-read every
// minute and ticking locally in between), whether it is trusted and by what, the reason when
// not, and "set the time from this browser" (PUT) while it is neither trusted nor kept by NTP.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api';
import { sysApi, type ClockStatus } from '../api-system';
import { boxNow, canSetClock, CLOCK_CHANGED, clockSkewSecs, setTimeProblem } from '../clock';
import { getLang, t, type Key } from '../i18n';
import { formatDuration } from '../sys-format';
import { ErrorBox, Notice } from './ErrorBox';

const SOURCES: Record<string, Key> = {
  ntp: 'system.clockSrc.ntp',
  system: 'system.clockSrc.system',
  user: 'system.clockSrc.user',
  step: 'system.clockSrc.step',
};

/** A status, when it arrived (performance.now()) and the box's lead over the browser (s). */
interface Got {
  s: ClockStatus;
  at: number;
  skew: number | null;
}

export function SysClock() {
  const [got, setGot] = useState<Got | null>(null);
  const [now, setNow] = useState(() => performance.now());
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  // `t0`: the browser's time when the request left; the midpoint estimates when it was read.
  const take = (s: ClockStatus, t0: number) =>
    setGot({ s, at: performance.now(), skew: clockSkewSecs(s.time, (t0 + Date.now()) / 2) });

  const load = async () => {
    const t0 = Date.now();
    try {
      take(await sysApi.systemTime(), t0);
      setLoadError(null);
    } catch (e) {
      setLoadError(e);
    }
  };

  useEffect(() => {
    void load();
    const poll = setInterval(load, 60_000);
    const tick = setInterval(() => setNow(performance.now()), 1000);
    return () => {
      clearInterval(poll);
      clearInterval(tick);
    };
  }, []);

  const setTime = async () => {
    setBusy(true);
    setError(null);
    setDone(false);
    const t0 = Date.now();
    try {
      take(await sysApi.setSystemTime(new Date().toISOString()), t0);
      setDone(true);
      dispatchEvent(new Event(CLOCK_CHANGED));
    } catch (e) {
      const p = e instanceof ApiError ? setTimeProblem(e.status, e.code) : null;
      if (p === 'ntp' && e instanceof ApiError) {
        setError(new ApiError(t('system.clockErrNtp'), e.code, e.status));
        void load(); // NTP took over meanwhile: the button goes away
      } else if (p === 'cannot' && e instanceof ApiError) {
        setError(new ApiError(`${t('system.clockErrCannot')} (${e.message})`, e.code, e.status)); // the why, e.g. not root
      } else setError(e);
    } finally {
      setBusy(false);
    }
  };

  const s = got?.s;
  const d = got ? boxNow(got.s.time, got.at, now) : null;
  const skew = got?.skew ?? null;
  return (
    <div class="card" id="clock">
      <h2>{t('system.clock')}</h2>
      <ErrorBox error={loadError} />
      {!s && !loadError && <p class="muted">{t('common.loading')}</p>}
      {s && (
        <dl class="kv">
          <dt>{t('system.clockTime')}</dt>
          <dd id="clock-time" class="clock-time" data-iso={d?.toISOString()}>
            {d ? d.toLocaleString(getLang(), { dateStyle: 'medium', timeStyle: 'long' }) : s.time}
          </dd>
          <dt>{t('system.clockState')}</dt>
          <dd id="clock-state" data-trusted={String(s.trusted)}>
            <span class={`badge ${s.trusted ? 'badge-recording' : 'badge-connecting'}`}>
              {t(s.trusted ? 'system.clockSynced' : 'system.clockNotSynced')}
            </span>
          </dd>
          {s.trusted && (
            <>
              <dt>{t('system.clockSource')}</dt>
              <dd id="clock-source" data-source={s.source}>
                {SOURCES[s.source] ? t(SOURCES[s.source]) : s.source || '–'}
              </dd>
            </>
          )}
          {skew != null && Math.abs(skew) >= 10 && (
            <>
              <dt>{t('system.clockSkew')}</dt>
              <dd id="clock-skew">
                {t(skew > 0 ? 'system.clockAhead' : 'system.clockBehind', { d: formatDuration(Math.abs(skew)) })}
              </dd>
            </>
          )}
        </dl>
      )}
      {s && !s.trusted && (
        <>
          <p class="alert alert-warn" id="clock-reason">{s.reason || t('system.clockNotSynced')}</p>
          <p class="muted small">{t('system.clockUntrustedHelp')}</p>
        </>
      )}
      {s && canSetClock(s) && (
        <>
          <p class="muted small">{t('system.clockSetHelp')}</p>
          <p>
            <button type="button" class="btn btn-primary" id="clock-set" disabled={busy} onClick={() => void setTime()}>
              {busy ? t('system.clockSetting') : t('system.clockSet')}
            </button>
          </p>
        </>
      )}
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {done && <Notice text={t('system.clockDone')} />}
    </div>
  );
}
