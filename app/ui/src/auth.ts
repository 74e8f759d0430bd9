// Owns the browser-session credentials: username + password kept in sessionStorage
// (cleared when the tab closes) and the Basic `Authorization` header built from them.

const KEY = 'mibee.credentials';

export interface Credentials {
  username: string;
  password: string;
}

function store(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function loadCredentials(): Credentials | null {
  const raw = store()?.getItem(KEY);
  if (!raw) return null;
  try {
    const c = JSON.parse(raw) as Credentials;
    return typeof c.username === 'string' && typeof c.password === 'string' ? c : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c: Credentials): void {
  store()?.setItem(KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  store()?.removeItem(KEY);
}

/** UTF-8 safe base64 of `user:password` (btoa alone fails on non-Latin-1 text). */
export function basicHeader(c: Credentials): string {
  const bytes = new TextEncoder().encode(`${c.username}:${c.password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}
