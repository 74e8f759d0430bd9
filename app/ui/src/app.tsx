// Owns the app shell: the authentication state machine (probe → login or app), the
// "no password" and "clock not synchronised" banners, the nav bar with language and theme switchers, and page selection.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setUnauthorizedHandler } from './api';
import { clearCredentials, loadCredentials } from './auth';
import { ClockBanner } from './components/ClockBanner';
import { ErrorBox } from './components/ErrorBox';
import { getLang, LANGS, setLang, t, type Key, type Lang } from './i18n';
import { ArchivesPage } from './pages/Archives';
import { CameraViewPage } from './pages/CameraView';
import { CamerasPage } from './pages/Cameras';
import { LivePage } from './pages/Live';
import { LoginPage } from './pages/Login';
import { RecordingsPage } from './pages/Recordings';
import { SettingsPage } from './pages/Settings';
import { StoragePage } from './pages/Storage';
import { SystemPage } from './pages/System';
import { navigate, routeArgs, useHash, type Route } from './router';
import { applyTheme, initialTheme, type Theme } from './theme';

type AuthState =
  | { kind: 'probing' }
  | { kind: 'open' } // no password set on the daemon
  | { kind: 'login'; message: string | null }
  | { kind: 'ok' }
  | { kind: 'error'; error: unknown };

export function App() {
  const { route, hash } = useHash();
  const [lang, setLangState] = useState<Lang>(getLang());
  const [theme, setTheme] = useState<Theme>(initialTheme());
  const [auth, setAuth] = useState<AuthState>({ kind: 'probing' });
  const [mediaError, setMediaError] = useState<unknown>(null);

  // Media elements and download links use the session cookie (GET only); without it they
  // would fail with 401, so a failure here is shown rather than swallowed.
  const openMedia = async () => {
    try {
      await api.openMediaSession({ quiet401: true });
      setMediaError(null);
    } catch (e) {
      setMediaError(e);
    }
  };

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
      await openMedia();
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

  // Keep the media session alive for tabs left open (it lasts 12 h; renew hourly).
  useEffect(() => {
    if (auth.kind !== 'ok') return undefined;
    const timer = setInterval(() => void openMedia(), 3600_000);
    return () => clearInterval(timer);
  }, [auth.kind]);

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
    void api.closeMediaSession().catch(() => undefined); // best effort: the cookie expires anyway
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
          void openMedia();
          setAuth({ kind: 'ok' });
          if (route === 'login') navigate('live');
        }}
      />
    );
  else if (effective === 'live') page = <LivePage />;
  else if (effective === 'cameras') page = <CamerasPage />;
  else if (effective === 'camera') page = <CameraViewPage key={hash} id={routeArgs(hash)[0] ?? ''} />;
  else if (effective === 'recordings') page = <RecordingsPage />;
  else if (effective === 'archives') page = <ArchivesPage />;
  else if (effective === 'storage') page = <StoragePage />;
  else if (effective === 'settings') page = <SettingsPage />;
  else if (effective === 'system') page = <SystemPage />;
  else page = <h1>{t('notfound.title')}</h1>;

  const navItem = (r: Route, key: Key) => (
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
            {navItem('recordings', 'nav.recordings')}
            {navItem('archives', 'nav.archives')}
            {navItem('storage', 'nav.storage')}
            {navItem('settings', 'nav.settings')}
            {navItem('system', 'nav.system')}
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
      {(auth.kind === 'ok' || auth.kind === 'open') && <ClockBanner />}
      {mediaError != null && auth.kind === 'ok' && <ErrorBox error={mediaError} />}
      <main class="content">{page}</main>
    </div>
  );
}
