// Owns one camera's PTZ presets: the list with Go and Delete (inline confirmation), and
// "Save current position as…" with a name. Calls onMoved after a Go so the pad's position
// readout refreshes. API errors (e.g. a refused name) are shown in the server's words.
import { useEffect, useState } from 'preact/hooks';
import { camApi, type Preset } from '../api-camera';
import { t, type Key } from '../i18n';
import { ErrorBox, Notice } from './ErrorBox';

export function PtzPresets({ cameraId, onMoved }: { cameraId: string; onMoved: () => void }) {
  const [presets, setPresets] = useState<Preset[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<{ key: Key; name: string } | null>(null); // translated at render
  const [name, setName] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const load = () =>
    camApi.presets(cameraId).then(
      (p) => setPresets(p),
      (e) => setError(e),
    );
  useEffect(() => {
    void load();
  }, [cameraId]);

  const act = async (key: string, fn: () => Promise<unknown>, done: { key: Key; name: string }, reload: boolean) => {
    setBusy(key);
    setError(null);
    setNotice(null);
    try {
      await fn();
      setNotice(done);
      if (reload) await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
      setConfirming(null);
    }
  };

  const save = (ev: Event) => {
    ev.preventDefault();
    const n = name.trim();
    void act('save', () => camApi.createPreset(cameraId, n).then(() => setName('')), { key: 'ptz.presetSaved', name: n }, true);
  };

  return (
    <section class="card presets" aria-labelledby="presets-title">
      <h2 id="presets-title">{t('ptz.presets')}</h2>
      <Notice text={notice && t(notice.key, { name: notice.name })} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {presets === null && !error && <p class="muted">{t('common.loading')}</p>}
      {presets && presets.length === 0 && <p class="muted small">{t('ptz.noPresets')}</p>}
      {presets && presets.length > 0 && (
        <ul class="preset-list">
          {presets.map((p) => (
            <li class="preset-row" data-token={p.token}>
              <span class="preset-name">{p.name || p.token}</span>
              <div class="btn-group" role="group" aria-label={t('ptz.presetActions', { name: p.name || p.token })}>
                <button type="button" class="btn btn-small preset-go" disabled={busy !== null}
                  onClick={() => act(`go:${p.token}`, () => camApi.gotoPreset(cameraId, p.token).then(onMoved),
                    { key: 'ptz.presetGone', name: p.name }, false)}>
                  {t('ptz.go')}
                </button>
                {confirming === p.token ? (
                  <>
                    <button type="button" class="btn btn-small btn-danger preset-confirm-delete" disabled={busy !== null}
                      onClick={() => act(`del:${p.token}`, () => camApi.deletePreset(cameraId, p.token),
                        { key: 'ptz.presetDeleted', name: p.name }, true)}>
                      {t('ptz.confirmDelete')}
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => setConfirming(null)}>
                      {t('common.cancel')}
                    </button>
                  </>
                ) : (
                  <button type="button" class="btn btn-small btn-danger preset-delete" onClick={() => setConfirming(p.token)}>
                    {t('ptz.delete')}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <form class="preset-save" onSubmit={save}>
        <label for="preset-name">{t('ptz.saveAs')}</label>
        <div class="preset-save-row">
          <input id="preset-name" value={name} maxLength={64} required placeholder={t('ptz.presetPlaceholder')}
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <button type="submit" class="btn btn-primary" id="preset-save" disabled={busy !== null || name.trim() === ''}>
            {busy === 'save' ? t('common.saving') : t('common.save')}
          </button>
        </div>
      </form>
    </section>
  );
}
