// Owns password management on the settings page: set/change (new + confirm, 8–1024
// characters as the API requires) through PUT /api/settings {auth: {password}}, then the
// session credentials are updated (saveCredentials) and the media cookie reopened so the user
// stays signed in; "remove password" (`""`) after an on-page warning and confirmation.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { sysApi } from '../api-system';
import { clearCredentials, loadCredentials, saveCredentials } from '../auth';
import { t } from '../i18n';
import { passwordProblem } from '../sys-format';
import { ErrorBox, Notice } from './ErrorBox';

export function SettingsPassword(p: { username: string; passwordSet: boolean; onChanged: () => void }) {
  const [pw, setPw] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState(false);

  const change = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    setNotice(null);
    const problem = passwordProblem(pw, confirm);
    if (problem) return setError(new Error(t(`password.${problem}`)));
    setBusy(true);
    try {
      await sysApi.setPassword(pw);
      // From now on the daemon wants the new password: keep the session signed in with it.
      const username = loadCredentials()?.username ?? p.username;
      saveCredentials({ username, password: pw });
      setPw('');
      setConfirm('');
      if (!p.passwordSet) {
        // The shell still thinks no password is set: reload so it signs in with the new one.
        location.reload();
        return;
      }
      await api.openMediaSession();
      setNotice(t('password.changed'));
      p.onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await sysApi.setPassword('');
      clearCredentials();
      location.reload(); // the shell re-probes and shows the "no password" banner
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <div class="card" id="password-card">
      <h2>{t('settings.password')}</h2>
      <p id="password-state">{p.passwordSet ? t('settings.passwordOn', { user: p.username }) : t('settings.passwordOff')}</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <Notice text={notice} />
      <form class="form" onSubmit={change} id="password-form" noValidate>
        <label for="pw-new">{p.passwordSet ? t('password.new') : t('password.set')}</label>
        <input id="pw-new" type="password" autocomplete="new-password" minLength={8} maxLength={1024} required
          aria-describedby="pw-help" value={pw} onInput={(e) => setPw((e.target as HTMLInputElement).value)} />
        <label for="pw-confirm">{t('password.confirm')}</label>
        <input id="pw-confirm" type="password" autocomplete="new-password" minLength={8} maxLength={1024} required
          value={confirm} onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} />
        <p id="pw-help" class="muted small">{t('password.help')}</p>
        <div class="actions">
          <button type="submit" class="btn btn-primary" id="pw-save" disabled={busy}>
            {p.passwordSet ? t('password.change') : t('password.setButton')}
          </button>
        </div>
      </form>
      {p.passwordSet && (
        <div class="actions">
          {removing ? (
            <div class="confirm" role="group" aria-label={t('password.remove')}>
              <p class="alert alert-warn">{t('password.removeWarn')}</p>
              <div class="btn-group">
                <button type="button" class="btn btn-danger" id="pw-remove-confirm" disabled={busy} onClick={() => void remove()}>
                  {t('password.removeConfirm')}
                </button>
                <button type="button" class="btn" onClick={() => setRemoving(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          ) : (
            <button type="button" class="btn btn-danger" id="pw-remove" onClick={() => setRemoving(true)}>
              {t('password.remove')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
