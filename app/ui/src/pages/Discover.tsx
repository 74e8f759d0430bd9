// Owns ONVIF discovery: the Discover button (POST /api/onvif/discover {"timeout": 5}) and
// the list of devices found, each with a one-click Add that opens the camera form prefilled.
import { useState } from 'preact/hooks';
import { api, type FoundDevice } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { t } from '../i18n';

export function Discover({ onAdd }: { onAdd: (d: FoundDevice) => void }) {
  const [busy, setBusy] = useState(false);
  const [devices, setDevices] = useState<FoundDevice[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setDevices((await api.discover(5)).devices);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="disc-title">
      <div class="page-head">
        <h2 id="disc-title">{t('disc.title')}</h2>
        <button type="button" class="btn" id="discover" onClick={run} disabled={busy}>
          {t('disc.run')}
        </button>
      </div>
      {busy && <p class="muted" role="status">{t('disc.running')}</p>}
      <ErrorBox error={error} />
      {devices && devices.length === 0 && <p class="muted">{t('disc.none')}</p>}
      {devices && devices.length > 0 && (
        <ul class="list">
          {devices.map((d) => (
            <li class="list-row">
              <div>
                <strong>{d.name || d.model || t('disc.unnamed')}</strong>
                <div class="muted small">{[d.manufacturer, d.model, d.url || d.endpoint].filter(Boolean).join(' · ')}</div>
              </div>
              <button type="button" class="btn btn-small" onClick={() => onAdd(d)}>
                {t('disc.add')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
