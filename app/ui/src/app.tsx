// Owns the app shell: the authentication state machine (probe → login or app), the
// "no password" banner, the nav bar with language and theme switchers, and page selection.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setUnauthorizedHandler } from './api';
import { clearCredentials, loadCredentials } from './auth';
import { ErrorBox } from './components/ErrorBox';
import { getLang, LANGS, setLang, t, type Lang } from './i18n';
import { CamerasPage } from './pages/Cameras';
import { LivePage } from './pages/Live';
import { LoginPage } from './pages/Login';
import { SettingsPage } from './pages/Settings';
import { navigate, useRoute, type Route } from './router';
import { applyTheme, initialTheme, type Theme } from './theme';

type AuthState =
  | { kind: 'probing' }
  | { kind: 'open' } // no password set on the daemon
  | { kind: 'login'; message: string | null }
  | { kind: 'ok' }
  | { kind: 'error'; error: unknown };

export function App() {
  const route = useRoute();
  const [lang, setLangState] = useState<Lang>(getLang());
  const [theme, setTheme] = useState<Theme>(initialTheme());
  const [auth, setAuth] = useState<AuthState>({ kind: 'probing' });

  const probe = async () => {
    setAuth({ kind: 'probing' });
    try {
      await api.getSettings({ credentials: null, quiet401: true });
      setAuth({ kind: 'open' });
      return;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) return setAuth({ kind: 'error', error: e });
    }
    if (!loadCredentials()) return setAuth({ kind: 'login', message: null });
    try {
      await api.getSettings({ quiet401: true });
      setAuth({ kind: 'ok' });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        clearCredentials();
        setAuth({ kind: 'login', message: `${t('login.expired')} (${e.message})` });
      } else setAuth({ kind: 'error', error: e });
    }
  };

  useEffect(() => {
    setUnauthorizedHandler((e) => {
      clearCredentials();
      setAuth({ kind: 'login', message: `${t('login.expired')} (${e.message})` });
    });
    void probe();
    return () => setUnauthorizedHandler(null);
  }, []);

  const changeLang = (l: Lang) => {
    setLang(l);
    setLangState(l);
  };
  const toggleTheme = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next, true);
    setTheme(next);
  };
  const logout = () => {
    clearCredentials();
    setAuth({ kind: 'login', message: null });
    navigate('login');
  };

  const needLogin = auth.kind === 'login';
  const effective: Route = needLogin ? 'login' : route === 'login' && auth.kind === 'ok' ? 'live' : route;

  let page;
  if (auth.kind === 'probing') page = <p class="muted">{t('common.loading')}</p>;
  else if (auth.kind === 'error')
    page = (
      <div>
        <ErrorBox error={auth.error} />
        <button type="button" class="btn" onClick={() => void probe()}>
          {t('common.retry')}
        </button>
      </div>
    );
  else if (effective === 'login')
    page = (
      <LoginPage
        message={auth.kind === 'login' ? auth.message : null}
        open={auth.kind === 'open'}
        onLoggedIn={() => {
          setAuth({ kind: 'ok' });
          if (route === 'login') navigate('live');
        }}
      />
    );
  else if (effective === 'live') page = <LivePage />;
  else if (effective === 'cameras') page = <CamerasPage />;
  else if (effective === 'settings') page = <SettingsPage />;
  else page = <h1>{t('notfound.title')}</h1>;

  const navItem = (r: Route, key: 'nav.live' | 'nav.cameras' | 'nav.settings') => (
    <a href={`#/${r}`} class="nav-link" aria-current={effective === r ? 'page' : undefined}>
      {t(key)}
    </a>
  );

  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">{t('app.title')}</span>
        {!needLogin && auth.kind !== 'probing' && (
          <nav aria-label={t('nav.main')} class="nav">
            {navItem('live', 'nav.live')}
            {navItem('cameras', 'nav.cameras')}
            {navItem('settings', 'nav.settings')}
          </nav>
        )}
        <div class="tools">
          <label class="lang">
            <span class="sr-only">{t('lang.label')}</span>
            <select id="lang-select" value={lang} onChange={(e) => changeLang((e.target as HTMLSelectElement).value as Lang)}>
              {LANGS.map((l) => (
                <option value={l.code}>{l.label}</option>
              ))}
            </select>
          </label>
          <button type="button" class="btn btn-small" id="theme-toggle" onClick={toggleTheme} aria-pressed={theme === 'dark'}>
            {t('theme.toggle')}: {theme === 'dark' ? t('theme.dark') : t('theme.light')}
          </button>
          {auth.kind === 'ok' && (
            <button type="button" class="btn btn-small" id="logout" onClick={logout}>
              {t('nav.logout')}
            </button>
          )}
        </div>
      </header>
      {auth.kind === 'open' && (
        <div class="banner-warning" role="alert" id="no-password-banner">
          {t('banner.noPassword')}
        </div>
      )}
      <main class="content">{page}</main>
    </div>
  );
}
