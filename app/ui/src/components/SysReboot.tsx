// Owns the reboot card: an on-page confirmation, POST /api/system/reboot, then a
// "reconnecting…" state that polls the public /api/health until the box answers again
// (it must first stop answering, or 20 s pass) and reloads the app.
import { useEffect, useRef, useState } from 'preact/hooks';
import { sysApi } from '../api-system';
import { t } from '../i18n';
import { ErrorBox } from './ErrorBox';

type Phase = 'idle' | 'confirm' | 'sending' | 'waiting' | 'back';
const POLL_MS = 2000;
const GIVE_UP_MS = 10 * 60_000;

export function SysReboot() {
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<unknown>(null);
  const [elapsed, setElapsed] = useState(0);
  const confirmBtn = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (phase === 'confirm') confirmBtn.current?.focus();
    if (phase !== 'waiting') return;
    const t0 = Date.now();
    let wentDown = false;
    let stopped = false;
    const timer = setInterval(async () => {
      const ms = Date.now() - t0;
      setElapsed(Math.round(ms / 1000));
      if (ms > GIVE_UP_MS) {
        clearInterval(timer);
        setError(new Error(t('system.rebootTimeout')));
        setPhase('idle');
        return;
      }
      try {
        await sysApi.health(AbortSignal.timeout?.(POLL_MS) ?? undefined);
        if (!stopped && (wentDown || ms > 20_000)) {
          stopped = true;
          clearInterval(timer);
          setPhase('back');
          setTimeout(() => location.reload(), 1500);
        }
      } catch {
        wentDown = true; // not answering yet: keep waiting
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [phase]);

  const reboot = async () => {
    setPhase('sending');
    setError(null);
    try {
      await sysApi.reboot();
      setPhase('waiting');
    } catch (e) {
      setError(e);
      setPhase('idle');
    }
  };

  return (
    <div class="card" id="reboot">
      <h2>{t('system.reboot')}</h2>
      <p class="muted small">{t('system.rebootHelp')}</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {phase === 'idle' && (
        <button type="button" class="btn btn-danger" id="reboot-start" onClick={() => setPhase('confirm')}>
          {t('system.reboot')}
        </button>
      )}
      {(phase === 'confirm' || phase === 'sending') && (
        <div class="confirm" role="group" aria-label={t('system.reboot')}>
          <p class="alert alert-warn">{t('system.rebootWarn')}</p>
          <div class="btn-group">
            <button type="button" ref={confirmBtn} class="btn btn-danger" id="reboot-confirm" disabled={phase === 'sending'}
              onClick={() => void reboot()}>
              {t('system.rebootConfirm')}
            </button>
            <button type="button" class="btn" onClick={() => setPhase('idle')} disabled={phase === 'sending'}>
              {t('common.cancel')}
            </button>
          </div>
        </div>
      )}
      {phase === 'waiting' && (
        <p class="alert alert-warn" role="status" id="reboot-waiting">
          {t('system.reconnecting', { s: elapsed })}
        </p>
      )}
      {phase === 'back' && (
        <p class="alert alert-ok" role="status">
          {t('system.back')}
        </p>
      )}
    </div>
  );
}
