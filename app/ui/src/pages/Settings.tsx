// Owns the settings page: cleanup.retention_days and time.ntp_servers (GET/PUT /api/settings)
// and merge.enabled (GET/PUT /api/settings/merge); values are re-read from the daemon after
// saving, and an invalid NTP server list shows the daemon's error next to its field. Below the
// form: password (SettingsPassword), feature flags (SettingsFeatures), backups (SettingsBackups).
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Settings } from '../api';
import { formatServers, parseServers } from '../clock';
import { ErrorBox, Notice } from '../components/ErrorBox';
import { SettingsBackups } from '../components/SettingsBackups';
import { SettingsFeatures } from '../components/SettingsFeatures';
import { SettingsPassword } from '../components/SettingsPassword';
import { t } from '../i18n';
import '../system.css';

export function SettingsPage() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [retention, setRetention] = useState('');
  const [merge, setMerge] = useState(false);
  const [ntp, setNtp] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    const [s, m] = await Promise.all([api.getSettings(), api.getMerge()]);
    setSettings(s);
    setRetention(String(s.cleanup.retention_days));
    setNtp(formatServers(s.time?.ntp_servers));
    setMerge(!!m.enabled);
  };

  useEffect(() => {
    load().catch(setError);
  }, []);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const days = Number(retention);
      // Send what was typed; the daemon validates and its error text is shown as is.
      await api.putSettings({
        cleanup: { retention_days: retention.trim() === '' || Number.isNaN(days) ? retention : days },
        time: { ntp_servers: parseServers(ntp) },
      });
      await api.putMerge({ enabled: merge });
      await load();
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  // The daemon names the field (`time.ntp_servers: …`): that error belongs next to the field.
  const ntpError = error instanceof ApiError && error.message.includes('ntp_servers');
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">{t('settings.title')}</h1>
      <ErrorBox error={ntpError ? null : error} />
      {saved && <Notice text={t('common.saved')} />}
      {!settings && !error && <p class="muted">{t('common.loading')}</p>}
      {settings && (
        <form class="card form" onSubmit={submit} id="settings-form">
          <fieldset>
            <legend>{t('settings.cleanup')}</legend>
            <label for="retention-days">{t('settings.retention')}</label>
            <input id="retention-days" type="number" inputMode="numeric" min={1} max={3650} step={1} required
              aria-describedby="retention-help" value={retention}
              onInput={(e) => setRetention((e.target as HTMLInputElement).value)} />
            <p id="retention-help" class="muted small">{t('settings.retentionHelp')}</p>
          </fieldset>
          <fieldset>
            <legend>{t('settings.merge')}</legend>
            <label class="check">
              <input id="merge-enabled" type="checkbox" checked={merge}
                onChange={(e) => setMerge((e.target as HTMLInputElement).checked)} />
              {t('settings.mergeEnabled')}
            </label>
          </fieldset>
          <fieldset>
            <legend>{t('settings.time')}</legend>
            <label for="ntp-servers">{t('settings.ntpServers')}</label>
            <textarea id="ntp-servers" rows={3} spellcheck={false} autocomplete="off" autocapitalize="off"
              aria-describedby="ntp-help" aria-invalid={ntpError || undefined} value={ntp}
              onInput={(e) => setNtp((e.target as HTMLTextAreaElement).value)} />
            <p id="ntp-help" class="muted small">{t('settings.ntpHelp')}</p>
            {ntpError && <ErrorBox error={error} />}
          </fieldset>
          <div class="actions">
            <button type="submit" class="btn btn-primary" id="settings-save" disabled={busy}>
              {busy ? t('common.saving') : t('common.save')}
            </button>
          </div>
        </form>
      )}
      {settings && (
        <SettingsPassword username={settings.auth.username} passwordSet={settings.auth.password_set}
          onChanged={() => void load().catch(setError)} />
      )}
      <SettingsFeatures />
      <SettingsBackups />
    </section>
  );
}
