// Owns one camera's page (#/camera/<id>): header (name, status and reason, protocol and URL
// without password, start/stop, snapshot download, back to live), the large live video, and,
// when the ONVIF capabilities say so, the PTZ pad with presets and the imaging panel. A
// camera that is not ONVIF gets a short note instead of the controls, not an error.
import { useEffect, useState } from 'preact/hooks';
import { api, type Camera } from '../api';
import { camApi, displayUrl, isNotOnvif, type Capabilities } from '../api-camera';
import '../camera-view.css';
import { ErrorBox } from '../components/ErrorBox';
import { ImagingPanel } from '../components/ImagingPanel';
import { LiveTile } from '../components/LiveTile';
import { PtzPad } from '../components/PtzPad';
import { PtzPresets } from '../components/PtzPresets';
import { StatusBadge } from '../components/StatusBadge';
import { t } from '../i18n';

type Caps = { kind: 'loading' } | { kind: 'notOnvif' } | { kind: 'ok'; caps: Capabilities } | { kind: 'error'; error: unknown };
const RUNNING = ['recording', 'connecting', 'reconnecting', 'error'];
const POLL_MS = 5000;

const pad = (n: number) => String(n).padStart(2, '0');
function stamp(d = new Date()): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}
const fileName = (id: string) => `${id.replace(/[^\w.-]+/g, '_')}-${stamp()}.jpg`;

export function CameraViewPage({ id }: { id: string }) {
  const [camera, setCamera] = useState<Camera | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [caps, setCaps] = useState<Caps>({ kind: 'loading' });
  const [actError, setActError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [moved, setMoved] = useState(0);

  const load = () =>
    camApi.get(id).then(
      (c) => {
        setCamera(c);
        setLoadError(null);
      },
      (e) => setLoadError(e),
    );
  const loadCaps = () => {
    setCaps({ kind: 'loading' });
    camApi.capabilities(id).then(
      (c) => setCaps({ kind: 'ok', caps: c }),
      (e) => setCaps(isNotOnvif(e) ? { kind: 'notOnvif' } : { kind: 'error', error: e }),
    );
  };

  useEffect(() => {
    void load();
    loadCaps();
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [id]);

  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setActError(null);
    try {
      await fn();
      await load();
    } catch (e) {
      setActError(e);
    } finally {
      setBusy(false);
    }
  };

  if (!camera)
    return (
      <section aria-labelledby="camview-title">
        <p>
          <a href="#/live" class="camview-back">← {t('camview.backLive')}</a>
        </p>
        <h1 id="camview-title">{t('camview.title')}</h1>
        {loadError ? <ErrorBox error={loadError} /> : <p class="muted">{t('common.loading')}</p>}
      </section>
    );

  const running = RUNNING.includes(camera.status);
  const hasPtz = caps.kind === 'ok' && caps.caps.ptz;
  const hasImaging = caps.kind === 'ok' && caps.caps.imaging;

  return (
    <section class="camview" aria-labelledby="camview-title" data-camera-id={camera.id}>
      <header class="camview-head">
        <div class="camview-id">
          <a href="#/live" class="camview-back">← {t('camview.backLive')}</a>
          <h1 id="camview-title">
            {camera.name} <StatusBadge status={camera.status} />
          </h1>
          <div class="muted small camview-url">
            {camera.protocol} · {camera.encoding} · {displayUrl(camera.url)}
          </div>
          {camera.status_reason && (
            <div class="small cam-reason camview-reason">
              {t('cams.reason')}: {camera.status_reason}
            </div>
          )}
        </div>
        <div class="btn-group camview-actions" role="group" aria-label={t('cams.actions', { name: camera.name })}>
          {running ? (
            <button type="button" class="btn" id="camview-stop" disabled={busy} onClick={() => act(() => api.stopCamera(camera.id))}>
              {t('cams.stop')}
            </button>
          ) : (
            <button type="button" class="btn" id="camview-start" disabled={busy || !camera.enabled}
              title={camera.enabled ? undefined : t('camview.disabledHint')}
              onClick={() => act(() => api.startCamera(camera.id))}>
              {t('cams.start')}
            </button>
          )}
          <a class="btn" id="camview-snapshot" href={api.snapshotUrl(camera.id)} download={fileName(camera.id)}
            onClick={(e) => ((e.currentTarget as HTMLAnchorElement).download = fileName(camera.id))}>
            {t('camview.snapshot')}
          </a>
          <a class="btn" href="#/cameras">
            {t('camview.allCameras')}
          </a>
        </div>
      </header>
      <ErrorBox error={actError} onDismiss={() => setActError(null)} />
      {loadError != null && <ErrorBox error={loadError} />}

      <div class={`camview-body${hasPtz || hasImaging ? ' has-side' : ''}`}>
        <div class="camview-video">
          <LiveTile camera={camera} />
        </div>
        <aside class="camview-side" aria-label={t('camview.controls')}>
          {caps.kind === 'loading' && <p class="muted small">{t('camview.checking')}</p>}
          {caps.kind === 'notOnvif' && (
            <p class="muted small camview-note" id="camview-no-ptz">
              {t('camview.notOnvif')}
            </p>
          )}
          {caps.kind === 'error' && (
            <div class="camview-caps-error">
              <p class="small">{t('camview.capsFailed')}</p>
              <ErrorBox error={caps.error} />
              <button type="button" class="btn btn-small" onClick={loadCaps}>
                {t('common.retry')}
              </button>
            </div>
          )}
          {caps.kind === 'ok' && !caps.caps.ptz && !caps.caps.imaging && (
            <p class="muted small camview-note" id="camview-no-ptz">
              {t('camview.noControls')}
            </p>
          )}
          {hasPtz && <PtzPad cameraId={camera.id} refreshKey={moved} />}
          {hasPtz && <PtzPresets cameraId={camera.id} onMoved={() => setTimeout(() => setMoved((m) => m + 1), 500)} />}
          {hasImaging && <ImagingPanel cameraId={camera.id} />}
        </aside>
      </div>
    </section>
  );
}
