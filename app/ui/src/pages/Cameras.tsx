// Owns the cameras page: the list with status and status_reason (refreshed every 5 s),
// add / edit / delete (inline confirmation), start / stop, and ONVIF discovery.
import { useEffect, useState } from 'preact/hooks';
import { api, type Camera, type FoundDevice } from '../api';
import { ErrorBox, Notice } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { XiaomiImport } from '../components/XiaomiImport';
import { t } from '../i18n';
import { CameraForm, type FormSeed } from './CameraForm';
import { Discover } from './Discover';

export function CamerasPage() {
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [form, setFormState] = useState<FormSeed | null>(null);
  const [formKey, setFormKey] = useState(0);
  // A new key per opening, so the form re-reads its seed (editing another camera, discovery).
  const setForm = (f: FormSeed | null) => {
    setFormKey((k) => k + 1);
    setFormState(f);
  };
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  const load = () =>
    api.listCameras().then(
      (c) => {
        setCameras(c);
        setError(null);
      },
      (e) => setError(e),
    );

  useEffect(() => {
    void load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);

  const act = async (id: string, fn: () => Promise<unknown>, done?: string) => {
    setBusyId(id);
    setError(null);
    setNotice(null);
    try {
      await fn();
      if (done) setNotice(done);
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusyId(null);
      setConfirming(null);
    }
  };

  const addFromDevice = (d: FoundDevice) =>
    setForm({
      preset: { name: d.name || d.model || t('disc.unnamed'), protocol: 'onvif', url: d.url || d.endpoint || '', encoding: 'h264', enabled: true },
      focusCredentials: true,
    });

  return (
    <section aria-labelledby="cams-title">
      <div class="page-head">
        <h1 id="cams-title">{t('cams.title')}</h1>
        <button type="button" class="btn btn-primary" id="add-camera" onClick={() => setForm({})}>
          {t('cams.add')}
        </button>
      </div>
      <Notice text={notice} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {form && (
        <CameraForm
          key={formKey}
          seed={form}
          onCancel={() => setForm(null)}
          onDone={(c, created) => {
            setForm(null);
            setNotice(t(created ? 'cams.created' : 'cams.updated', { name: c.name }));
            void load();
          }}
        />
      )}
      {cameras === null && !error && <p class="muted">{t('common.loading')}</p>}
      {cameras && cameras.length === 0 && <p class="muted">{t('cams.none')}</p>}
      {cameras && cameras.length > 0 && (
        <ul class="list cam-list">
          {cameras.map((c) => (
            <li class="list-row cam-row" data-camera-id={c.id} data-status={c.status}>
              <div class="cam-info">
                <a class="cam-view-link" href={`#/camera/${encodeURIComponent(c.id)}`}><strong class="cam-name">{c.name}</strong></a> <StatusBadge status={c.status} />
                <div class="muted small cam-url">
                  {c.protocol} · {c.encoding} · {c.url}
                </div>
                {c.status_reason && (
                  <div class="small cam-reason">
                    {t('cams.reason')}: {c.status_reason}
                  </div>
                )}
              </div>
              <div class="btn-group" role="group" aria-label={t('cams.actions', { name: c.name })}>
                <button type="button" class="btn btn-small" disabled={busyId === c.id || !c.enabled}
                  onClick={() => act(c.id, () => api.startCamera(c.id))}>
                  {t('cams.start')}
                </button>
                <button type="button" class="btn btn-small" disabled={busyId === c.id}
                  onClick={() => act(c.id, () => api.stopCamera(c.id))}>
                  {t('cams.stop')}
                </button>
                <button type="button" class="btn btn-small cam-edit" onClick={() => setForm({ camera: c })}>
                  {t('cams.edit')}
                </button>
                {confirming === c.id ? (
                  <button type="button" class="btn btn-small btn-danger cam-confirm-delete" disabled={busyId === c.id}
                    onClick={() => act(c.id, () => api.deleteCamera(c.id), t('cams.deleted'))}>
                    {t('cams.confirmDelete')}
                  </button>
                ) : (
                  <button type="button" class="btn btn-small btn-danger cam-delete" onClick={() => setConfirming(c.id)}>
                    {t('cams.delete')}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <Discover onAdd={addFromDevice} />
      <XiaomiImport onSynced={() => void load()} />
    </section>
  );
}
