// Owns the current UI language (en | zh-CN), its persistence, and t(): key → text with {var}
// substitution. A missing key renders as ⟦key⟧ so it is obvious on screen and in the e2e test.
import { en, type Key } from './en';
import { zh } from './zh';

export type Lang = 'en' | 'zh-CN';
export const LANGS: { code: Lang; label: string }[] = [
  { code: 'en', label: 'English' },
  { code: 'zh-CN', label: '中文' },
];
const DICTS: Record<Lang, Partial<Record<Key, string>>> = { en, 'zh-CN': zh };
const STORE = 'mibee.lang';

function initial(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem(STORE);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    /* storage blocked */
  }
  const nav = globalThis.navigator?.language ?? 'en';
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Lang = initial();

export function getLang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  try {
    globalThis.localStorage?.setItem(STORE, l);
  } catch {
    /* ignore */
  }
  if (globalThis.document) document.documentElement.lang = l;
}

export function t(key: Key, vars?: Record<string, string | number>): string {
  const s = DICTS[current][key] ?? `⟦${key}⟧`;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : s;
}

export type { Key };
