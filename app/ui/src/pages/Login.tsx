// Owns the sign-in page: username + password checked against GET /api/settings, then kept
// for the browser session (sessionStorage) and sent as Basic auth by api.ts.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { saveCredentials } from '../auth';
import { ErrorBox } from '../components/ErrorBox';
import { t } from '../i18n';

export function LoginPage(props: { message: string | null; open: boolean; onLoggedIn: () => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    const creds = { username, password };
    try {
      await api.getSettings({ credentials: creds, quiet401: true });
      saveCredentials(creds);
      props.onLoggedIn();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? new ApiError(`${t('login.failed')}: ${e.message}`, e.code, 401) : e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card login" aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      {props.open && <p class="muted">{t('login.already')}</p>}
      {props.message && !error && (
        <div class="alert alert-warn" role="alert" id="login-message">
          {props.message}
        </div>
      )}
      <ErrorBox error={error} />
      <form onSubmit={submit} class="form">
        <label for="login-user">{t('login.username')}</label>
        <input id="login-user" name="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        <label for="login-password">{t('login.password')}</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        <button type="submit" class="btn btn-primary" id="login-submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </section>
  );
}
