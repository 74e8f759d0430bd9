// Owns the firmware update card: pick a signed bundle, upload it with a real progress bar
// (XMLHttpRequest upload progress), then show the daemon's verification/installation status
// or its error in plain words (off the appliance the daemon refuses with 501).
import { useEffect, useRef, useState } from 'preact/hooks';
import { sysApi, uploads, type UpdateStatus, type UploadHandle } from '../api-system';
import { t, type Key } from '../i18n';
import { formatBytes } from '../sys-format';
import { ErrorBox } from './ErrorBox';

type Phase = 'idle' | 'uploading' | 'processing' | 'done' | 'failed';
const STATES: Record<string, Key> = {
  idle: 'fw.state.idle',
  receiving: 'fw.state.receiving',
  verifying: 'fw.state.verifying',
  installing: 'fw.state.installing',
  installed: 'fw.state.installed',
  failed: 'fw.state.failed',
};

export function SysFirmware() {
  const [file, setFile] = useState<File | null>(null);
  const [reboot, setReboot] = useState(false);
  const [phase, setPhase] = useState<Phase>('idle');
  const [pct, setPct] = useState(0);
  const pctRef = useRef(0);
  const [early, setEarly] = useState(false);
  const [status, setStatus] = useState<UpdateStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const handle = useRef<UploadHandle<UpdateStatus> | null>(null);

  // The last update's status (e.g. "installed, reboot to activate" after a page reload).
  useEffect(() => {
    sysApi.updateStatus().then((s) => s.state !== 'idle' && setStatus(s), setError);
    return () => handle.current?.abort();
  }, []);

  // While the daemon verifies and installs (after the body is sent), poll its status.
  useEffect(() => {
    if (phase !== 'processing') return;
    const timer = setInterval(() => {
      sysApi.updateStatus().then(setStatus, () => undefined /* the POST's own answer reports errors */);
    }, 1500);
    return () => clearInterval(timer);
  }, [phase]);

  const start = async (ev: Event) => {
    ev.preventDefault();
    if (!file) return;
    setError(null);
    setStatus(null);
    setPct(0);
    pctRef.current = 0;
    setEarly(false);
    setPhase('uploading');
    const h = uploads.firmware(file, (p) => {
      pctRef.current = p;
      setPct(p);
      if (p >= 100) setPhase('processing');
    }, reboot);
    handle.current = h;
    try {
      const s = await h.done;
      setPct(100);
      setStatus(s);
      setPhase('done');
    } catch (e) {
      // The daemon may refuse before reading the whole body (e.g. off the appliance): say so
      // rather than pretending the upload completed.
      setEarly(pctRef.current < 100);
      setError(e);
      setPhase('failed');
    } finally {
      handle.current = null;
    }
  };

  const busy = phase === 'uploading' || phase === 'processing';
  return (
    <div class="card" id="firmware">
      <h2>{t('fw.title')}</h2>
      <p class="muted small">{t('fw.help')}</p>
      <form class="form" onSubmit={start}>
        <label for="fw-file">{t('fw.file')}</label>
        <input id="fw-file" type="file" disabled={busy}
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        {file && <p class="muted small">{t('fw.selected', { name: file.name, size: formatBytes(file.size) })}</p>}
        <label class="check">
          <input id="fw-reboot" type="checkbox" checked={reboot} disabled={busy}
            onChange={(e) => setReboot((e.target as HTMLInputElement).checked)} />
          {t('fw.rebootAfter')}
        </label>
        <div class="actions">
          <button type="submit" class="btn btn-primary" id="fw-upload" disabled={!file || busy}>
            {busy ? t('fw.uploading') : t('fw.upload')}
          </button>
          {phase === 'uploading' && (
            <button type="button" class="btn" onClick={() => handle.current?.abort()}>
              {t('common.cancel')}
            </button>
          )}
        </div>
      </form>
      {phase !== 'idle' && (
        <div class="upload-progress">
          <label for="fw-progress" class="small">
            {phase === 'processing' ? t('fw.processing') : t('fw.progress', { pct })}
          </label>
          <progress id="fw-progress" max={100} value={pct} data-pct={pct} />
          {early && <p class="muted small">{t('fw.stoppedEarly', { pct })}</p>}
        </div>
      )}
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {status && (
        <div class={status.state === 'failed' ? 'alert alert-error' : 'alert alert-ok'} role="status" id="fw-status">
          {t(STATES[status.state] ?? 'fw.state.unknown', { state: status.state })}
          {status.version && ` · ${t('fw.version', { v: status.version })}`}
          {status.message && ` · ${status.message}`}
        </div>
      )}
    </div>
  );
}
