// Owns the colour theme: follows prefers-color-scheme until the user picks one with the
// toggle (kept in localStorage); applied as data-theme on <html> for styles.css.
export type Theme = 'light' | 'dark';
const STORE = 'mibee.theme';

export function systemTheme(): Theme {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function initialTheme(): Theme {
  try {
    const s = localStorage.getItem(STORE);
    if (s === 'light' || s === 'dark') return s;
  } catch {
    /* ignore */
  }
  return systemTheme();
}

export function applyTheme(th: Theme, persist = false): void {
  document.documentElement.dataset.theme = th;
  if (persist) {
    try {
      localStorage.setItem(STORE, th);
    } catch {
      /* ignore */
    }
  }
}
