// Owns the signed-in part of the Xiaomi import panel: the account and Sign out, the account's
// devices (camera or not, online, IP, and the NVR camera each was imported as), "Sync cameras",
// and the sync's outcome (added / updated, and the cameras whose device left the account, named,
// with the note that they are kept). A session Xiaomi no longer accepts hands back to sign-in.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { xiaomiApi, xiaomiErrorKind, type XiaomiAuthStatus, type XiaomiDevice, type XiaomiSyncResult } from '../api-xiaomi';
import { t } from '../i18n';
import { ErrorBox } from './ErrorBox';

type Busy = null | 'load' | 'sync' | 'signout';

export interface AccountProps {
  status: XiaomiAuthStatus;
  /** Signed out (by the user: error null) or the session ended (error: why). */
  onSignedOut: (error: unknown) => void;
  /** A sync changed the NVR's cameras. */
  onSynced: () => void;
}

/** "Already imported as {name}" with the name as a link to the camera. */
function ImportedAs({ id, name }: { id: string; name: string }) {
  const [before, after = ''] = t('xiaomi.importedAs').split('{name}');
  return (
    <span class="xiaomi-imported">
      {before}
      <a href={`#/camera/${encodeURIComponent(id)}`}>{name}</a>
      {after}
    </span>
  );
}

export function XiaomiAccount({ status, onSignedOut, onSynced }: AccountProps) {
  const [devices, setDevices] = useState<XiaomiDevice[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<Busy>('load');
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<XiaomiSyncResult | null>(null);
  const whoRef = useRef<HTMLElement>(null);

  /** Devices and the NVR's camera names (for "imported as" and the vanished ones). */
  const fetchAll = async () => {
    const [devs, cams] = await Promise.all([xiaomiApi.devices(), api.listCameras()]);
    setDevices(devs);
    setNames(Object.fromEntries(cams.map((c) => [c.id, c.name])));
  };

  const run = async (b: Busy, fn: () => Promise<void>) => {
    setBusy(b);
    setError(null);
    try {
      await fn();
    } catch (e) {
      if (xiaomiErrorKind(e) === 'signed-out') onSignedOut(e);
      else setError(e);
    } finally {
      setBusy(null);
    }
  };

  useEffect(() => {
    // The sign-in form that had focus is gone: announce and focus who is signed in.
    whoRef.current?.focus();
    void run('load', fetchAll);
  }, []);

  const sync = () =>
    run('sync', async () => {
      setResult(null);
      const r = await xiaomiApi.sync();
      setResult(r);
      onSynced();
      await fetchAll();
    });

  const signOut = () =>
    run('signout', async () => {
      await xiaomiApi.signOut();
      onSignedOut(null);
    });

  const cameras = devices?.filter((d) => d.camera).length ?? 0;
  const user = status.username || status.user_id || '?';
  return (
    <div class="xiaomi-account" id="xiaomi-account">
      <div class="xiaomi-who">
        <div>
          <strong id="xiaomi-signed-in" ref={whoRef} tabIndex={-1}>{t('xiaomi.signedInAs', { user })}</strong>
          <div class="muted small">
            {status.region && <>{t('xiaomi.regionShort', { region: status.region })} · </>}
            {t('xiaomi.signOutHelp')}
          </div>
        </div>
        <button type="button" class="btn" id="xiaomi-signout" onClick={signOut} disabled={busy !== null}>
          {busy === 'signout' ? t('xiaomi.signingOut') : t('xiaomi.signOut')}
        </button>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {error != null && xiaomiErrorKind(error) === 'cloud' && <p class="small xiaomi-hint">{t('xiaomi.cloudHint')}</p>}

      <div class="page-head xiaomi-devices-head">
        <h3 id="xiaomi-devices-title">{t('xiaomi.devices')}</h3>
        <button type="button" class="btn btn-small" id="xiaomi-refresh" onClick={() => run('load', fetchAll)} disabled={busy !== null}>
          {t('xiaomi.refresh')}
        </button>
      </div>
      {busy === 'load' && <p class="muted" role="status">{t('xiaomi.devicesLoading')}</p>}
      {devices && devices.length === 0 && <p class="muted">{t('xiaomi.noDevices')}</p>}
      {devices && devices.length > 0 && (
        <>
          <p class="muted small" id="xiaomi-devices-count">{t('xiaomi.devicesCount', { n: devices.length, cameras })}</p>
          <table class="xiaomi-table" id="xiaomi-devices" aria-labelledby="xiaomi-devices-title">
            <thead>
              <tr>
                <th scope="col">{t('xiaomi.colDevice')}</th>
                <th scope="col">{t('xiaomi.colType')}</th>
                <th scope="col">{t('xiaomi.colState')}</th>
                <th scope="col">{t('xiaomi.colIp')}</th>
                <th scope="col">{t('xiaomi.colNvr')}</th>
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => (
                <tr data-did={d.did} data-camera={String(d.camera)} class={d.camera ? 'xiaomi-cam' : undefined}>
                  <th scope="row" data-label={t('xiaomi.colDevice')}>
                    <span class="xiaomi-dev-name">{d.name || d.did}</span>
                    <div class="muted small xiaomi-model">{d.model}</div>
                  </th>
                  <td data-label={t('xiaomi.colType')}>
                    {d.camera ? <span class="badge xiaomi-badge-camera">{t('xiaomi.camera')}</span> : <span class="muted">{t('xiaomi.otherDevice')}</span>}
                  </td>
                  <td data-label={t('xiaomi.colState')}>
                    <span class={`xiaomi-dot ${d.online ? 'is-online' : 'is-offline'}`} aria-hidden="true" />
                    {d.online ? t('xiaomi.online') : t('xiaomi.offline')}
                  </td>
                  <td data-label={t('xiaomi.colIp')} class="xiaomi-ip">{d.ip || <span class="muted">{t('xiaomi.noIp')}</span>}</td>
                  <td data-label={t('xiaomi.colNvr')}>
                    {d.camera_id ? (
                      <ImportedAs id={d.camera_id} name={names[d.camera_id] ?? d.camera_id} />
                    ) : (
                      <span class="muted">{d.camera ? t('xiaomi.notImported') : t('xiaomi.notCamera')}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <div class="xiaomi-sync">
        <button type="button" class="btn btn-primary" id="xiaomi-sync" onClick={sync} disabled={busy !== null}
          aria-describedby="xiaomi-sync-help">
          {busy === 'sync' ? t('xiaomi.syncing') : t('xiaomi.sync')}
        </button>
        <p class="muted small" id="xiaomi-sync-help">{t('xiaomi.syncHelp')}</p>
      </div>
      <div aria-live="polite">
        {result && (
          <div class="alert alert-ok xiaomi-result" id="xiaomi-sync-result" role="status" data-added={result.added}
            data-updated={result.updated} data-removed={result.removed} data-synced={result.synced}>
            <p>{t('xiaomi.syncDone', { added: result.added, updated: result.updated, synced: result.synced })}</p>
            {result.added === 0 && result.updated === 0 && result.vanished.length === 0 && <p>{t('xiaomi.syncUnchanged')}</p>}
          </div>
        )}
        {result && result.vanished.length > 0 && (
          <div class="alert alert-warn xiaomi-result xiaomi-vanished" id="xiaomi-vanished">
            <p>{t('xiaomi.vanished', { n: result.vanished.length })}</p>
            <ul>
              {result.vanished.map((id) => (
                <li data-camera-id={id}>
                  <a href={`#/camera/${encodeURIComponent(id)}`}>{names[id] ?? id}</a>
                </li>
              ))}
            </ul>
            <p>{t('xiaomi.vanishedKept')}</p>
          </div>
        )}
      </div>
    </div>
  );
}
