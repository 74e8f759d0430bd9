// Entry point: applies theme and language before the first paint, then mounts <App>.
import { render } from 'preact';
import { App } from './app';
import { getLang, setLang } from './i18n';
import { applyTheme, initialTheme } from './theme';
import './styles.css';

applyTheme(initialTheme());
setLang(getLang());
render(<App />, document.getElementById('app')!);
