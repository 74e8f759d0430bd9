// Owns the feature-flag toggles of the settings page (GET/PUT /api/features): each switch
// saves at once (partial PUT) and the flags are re-read from the daemon afterwards.
import { useEffect, useState } from 'preact/hooks';
import { sysApi, type Features } from '../api-system';
import { t, type Key } from '../i18n';
import { ErrorBox, Notice } from './ErrorBox';

const KNOWN: Record<string, { label: Key; help: Key }> = {
  auto_delete_old: { label: 'features.auto_delete_old', help: 'features.auto_delete_oldHelp' },
  experimental_hls: { label: 'features.experimental_hls', help: 'features.experimental_hlsHelp' },
  webdav_upload: { label: 'features.webdav_upload', help: 'features.webdav_uploadHelp' },
};

export function SettingsFeatures() {
  const [flags, setFlags] = useState<Features | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    sysApi.features().then(setFlags, setError);
  }, []);

  const toggle = async (name: string, on: boolean) => {
    setBusy(name);
    setError(null);
    setNotice(null);
    // Show the new position at once (a controlled checkbox would otherwise snap back until
    // the daemon answers); the flags are re-read either way, so a refusal reverts it.
    setFlags((f) => (f ? { ...f, [name]: on } : f));
    try {
      await sysApi.putFeatures({ [name]: on });
      setNotice(t('common.saved'));
    } catch (e) {
      setError(e);
    }
    try {
      setFlags(await sysApi.features());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card" id="features" aria-labelledby="features-title">
      <h2 id="features-title">{t('features.title')}</h2>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <Notice text={notice} />
      {!flags && !error && <p class="muted">{t('common.loading')}</p>}
      {flags &&
        Object.keys(flags)
          .sort()
          .map((name) => {
            const k = KNOWN[name];
            const id = `feature-${name}`;
            return (
              <div class="feature">
                <label class="check" for={id}>
                  <input id={id} type="checkbox" role="switch" data-feature={name} checked={flags[name]} disabled={busy === name}
                    aria-describedby={k ? `${id}-help` : undefined}
                    onChange={(e) => void toggle(name, (e.target as HTMLInputElement).checked)} />
                  {k ? t(k.label) : name}
                </label>
                {k && (
                  <p id={`${id}-help`} class="muted small feature-help">
                    {t(k.help)}
                  </p>
                )}
              </div>
            );
          })}
    </section>
  );
}
