// Unit tests for the API client: Basic header from session credentials, X-Requested-With,
// JSON error → ApiError(message, code, status), non-JSON errors, and 401 handling.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, request, setUnauthorizedHandler } from './api';
import { basicHeader, clearCredentials, loadCredentials, saveCredentials } from './auth';

class MemStorage {
  private m = new Map<string, string>();
  getItem(k: string) { return this.m.has(k) ? this.m.get(k)! : null; }
  setItem(k: string, v: string) { this.m.set(k, String(v)); }
  removeItem(k: string) { this.m.delete(k); }
  clear() { this.m.clear(); }
}

type Call = { url: string; init: RequestInit };
let calls: Call[];

function respond(status: number, body: unknown, contentType = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': contentType } });
  }));
}
async function fails(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected the call to fail');
}
const hdr = (i: number) => (calls[i].init.headers ?? {}) as Record<string, string>;

beforeEach(() => {
  calls = [];
  vi.stubGlobal('sessionStorage', new MemStorage());
  setUnauthorizedHandler(null);
});
afterEach(() => vi.unstubAllGlobals());

describe('credentials', () => {
  it('round-trips through sessionStorage and clears', () => {
    expect(loadCredentials()).toBeNull();
    saveCredentials({ username: 'admin', password: 'pw' });
    expect(loadCredentials()).toEqual({ username: 'admin', password: 'pw' });
    clearCredentials();
    expect(loadCredentials()).toBeNull();
  });
  it('builds a UTF-8 Basic header', () => {
    expect(basicHeader({ username: 'admin', password: 'secret' })).toBe('Basic YWRtaW46c2VjcmV0');
    expect(basicHeader({ username: 'admin', password: '密码' })).toBe(
      'Basic YWRtaW465a+G56CB');
  });
});

describe('request', () => {
  it('sends Basic auth from the session and X-Requested-With', async () => {
    saveCredentials({ username: 'admin', password: 'secret' });
    respond(200, []);
    await api.listCameras();
    expect(calls[0].url).toBe('/api/cameras');
    expect(hdr(0).Authorization).toBe('Basic YWRtaW46c2VjcmV0');
    expect(hdr(0)['X-Requested-With']).toBe('XMLHttpRequest');
  });
  it('sends no Authorization without credentials or with credentials: null', async () => {
    respond(200, {});
    await request('/api/settings');
    expect(hdr(0).Authorization).toBeUndefined();
    saveCredentials({ username: 'a', password: 'b' });
    await request('/api/settings', { credentials: null });
    expect(hdr(1).Authorization).toBeUndefined();
    // Anonymous means no media-session cookie either; normal calls send it (same origin).
    expect(calls[1].init.credentials).toBe('omit');
    expect(calls[0].init.credentials).toBe('same-origin');
  });
  it('sends JSON bodies with the content type', async () => {
    respond(201, { id: 'x', name: 'X' });
    const cam = await api.createCamera({ name: 'X', url: 'rtsp://127.0.0.1/x' });
    expect(cam.id).toBe('x');
    expect(calls[0].init.method).toBe('POST');
    expect(hdr(0)['Content-Type']).toBe('application/json');
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ name: 'X', url: 'rtsp://127.0.0.1/x' });
  });
  it('turns a JSON error into ApiError with message, code and status', async () => {
    respond(400, { error: 'url: scheme must be rtsp or rtsps', code: 'INVALID_INPUT' });
    const err = await fails(api.createCamera({ name: 'x', url: 'ftp://x' }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('url: scheme must be rtsp or rtsps');
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.status).toBe(400);
  });
  it('keeps a readable message for non-JSON errors', async () => {
    respond(502, 'Bad gateway from proxy', 'text/plain');
    const err = await fails(request('/api/cameras'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('HTTP_502');
    expect(err.message).toContain('502');
    expect(err.message).toContain('Bad gateway from proxy');
  });
  it('reports network failures as ApiError NETWORK', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    const err = await fails(request('/api/cameras'));
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('Failed to fetch');
  });
  it('calls the unauthorized handler on 401 and still throws', async () => {
    const seen: ApiError[] = [];
    setUnauthorizedHandler((e) => seen.push(e));
    respond(401, { error: 'wrong username or password', code: 'AUTH_FAILED' });
    const err = await fails(api.listCameras());
    expect(err.status).toBe(401);
    expect(err.code).toBe('AUTH_FAILED');
    expect(seen).toHaveLength(1);
    expect(seen[0].message).toBe('wrong username or password');
  });
  it('does not call the unauthorized handler with quiet401 (login form)', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    respond(401, { error: 'authentication required', code: 'AUTH_REQUIRED' });
    const err = await fails(api.getSettings({ credentials: null, quiet401: true }));
    expect(err.code).toBe('AUTH_REQUIRED');
    expect(handler).not.toHaveBeenCalled();
  });
  it('a 401 about a third party (a cloud account) does not sign the user out', async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    respond(401, { error: 'Xiaomi rejected the password', code: 'XIAOMI_AUTH_FAILED' });
    const err = await fails(request('/api/xiaomi/auth', { method: 'POST', body: {} }));
    expect(err.code).toBe('XIAOMI_AUTH_FAILED');
    expect(err.message).toBe('Xiaomi rejected the password');
    expect(handler).not.toHaveBeenCalled();
  });
  it('encodes ids in paths', () => {
    expect(api.streamUrl('a b')).toBe('/api/cameras/a%20b/stream/stream.m3u8');
  });
});
