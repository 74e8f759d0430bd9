// Owns every HTTP call to the daemon's /api: Basic auth from the session credentials,
// `X-Requested-With` (so the daemon omits WWW-Authenticate and the browser shows no pop-up),
// JSON bodies, and turning error responses into ApiError with the server's plain-words text.
import { basicHeader, loadCredentials, type Credentials } from './auth';

export class ApiError extends Error {
  constructor(message: string, public code: string, public status: number) {
    super(message);
    this.name = 'ApiError';
  }
}

type UnauthorizedHandler = (err: ApiError) => void;
let onUnauthorized: UnauthorizedHandler | null = null;

/** Called (once per failing request) when the daemon rejects this NVR's own credentials (401
 * AUTH_REQUIRED or AUTH_FAILED; a 401 about a third party, e.g. XIAOMI_AUTH_FAILED, is not). */
export function setUnauthorizedHandler(h: UnauthorizedHandler | null): void {
  onUnauthorized = h;
}

/** The daemon refused this NVR's credentials (not a camera's or a cloud account's). */
export function isOwnAuthError(e: ApiError): boolean {
  return e.status === 401 && (e.code === 'AUTH_REQUIRED' || e.code === 'AUTH_FAILED' || e.code.startsWith('HTTP_'));
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Override the stored credentials; `null` sends none (used to probe "no password set"). */
  credentials?: Credentials | null;
  /** Do not call the global 401 handler (the login form reports it itself). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export function authHeaders(creds?: Credentials | null): Record<string, string> {
  const h: Record<string, string> = { 'X-Requested-With': 'XMLHttpRequest' };
  const c = creds === undefined ? loadCredentials() : creds;
  if (c) h.Authorization = basicHeader(c);
  return h;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (j && typeof j.error === 'string' && j.error) {
      return new ApiError(j.error, typeof j.code === 'string' ? j.code : 'ERROR', res.status);
    }
  } catch {
    /* not JSON: fall through */
  }
  const body = text.trim().slice(0, 200);
  const msg = `HTTP ${res.status} ${res.statusText}`.trim() + (body ? `: ${body}` : '');
  return new ApiError(msg, `HTTP_${res.status}`, res.status);
}

export async function request<T = unknown>(path: string, opt: RequestOptions = {}): Promise<T> {
  const headers = authHeaders(opt.credentials);
  let body: string | undefined;
  if (opt.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opt.body);
  }
  let res: Response;
  try {
    // `credentials: null` means anonymous: no Basic header and no media-session cookie either
    // (the cookie authorizes GETs, so it would make the "no password set" probe succeed).
    const cookies: RequestCredentials = opt.credentials === null ? 'omit' : 'same-origin';
    res = await fetch(path, { method: opt.method ?? 'GET', headers, body, signal: opt.signal, credentials: cookies });
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(`Cannot reach the NVR: ${(e as Error)?.message ?? String(e)}`, 'NETWORK', 0);
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (isOwnAuthError(err) && !opt.quiet401 && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get('Content-Type') ?? '';
  if (ct.includes('json')) return (await res.json()) as T;
  return (await res.text()) as unknown as T;
}

/** Fetches a binary resource (snapshot JPEG) with auth and returns it as a Blob. */
export async function requestBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await fetch(path, { headers: authHeaders(), signal });
  if (!res.ok) {
    const err = await errorFrom(res);
    if (isOwnAuthError(err) && onUnauthorized) onUnauthorized(err);
    throw err;
  }
  return res.blob();
}

// ---- typed endpoints used by the UI ----

export type Protocol = 'rtsp' | 'onvif' | 'http' | 'xiaomi';
export type Encoding = 'h264' | 'h265' | 'mjpeg';
export type CameraStatus = 'recording' | 'connecting' | 'reconnecting' | 'stopped' | 'disabled' | 'error';

export interface Camera {
  id: string;
  name: string;
  protocol: Protocol;
  url: string;
  username: string;
  has_password: boolean;
  encoding: Encoding;
  enabled: boolean;
  status: CameraStatus;
  status_reason: string;
  last_seen: string | null;
  /** Since when it has recorded without a break (null when not recording). */
  recording_since?: string | null;
}

export interface CameraInput {
  name?: string;
  protocol?: Protocol;
  url?: string;
  username?: string;
  password?: string;
  encoding?: Encoding;
  enabled?: boolean;
}

export interface FoundDevice {
  uuid?: string;
  name?: string;
  url?: string;
  endpoint?: string;
  model?: string;
  manufacturer?: string;
  location?: string;
  hardware?: string;
}

export interface Settings {
  cleanup: { retention_days: number; check_interval: string; disk_threshold_percent: number };
  auth: { username: string; password_set: boolean };
  /** NTP servers (host names or IP addresses, at most 8; [] = the board's defaults). */
  time?: { ntp_servers: string[] };
  [section: string]: unknown;
}

export interface MergeSettings {
  enabled: boolean;
  [key: string]: unknown;
}

const enc = encodeURIComponent;

export const api = {
  listCameras: () =>
    request<Camera[] | { cameras: Camera[] }>('/api/cameras').then((r) => (Array.isArray(r) ? r : r.cameras ?? [])),
  createCamera: (c: CameraInput) => request<Camera>('/api/cameras', { method: 'POST', body: c }),
  updateCamera: (id: string, c: CameraInput) => request<Camera>(`/api/cameras/${enc(id)}`, { method: 'PUT', body: c }),
  deleteCamera: (id: string) => request(`/api/cameras/${enc(id)}`, { method: 'DELETE' }),
  startCamera: (id: string) => request(`/api/cameras/${enc(id)}/start`, { method: 'POST' }),
  stopCamera: (id: string) => request(`/api/cameras/${enc(id)}/stop`, { method: 'POST' }),
  discover: (timeout = 5) =>
    request<{ devices: FoundDevice[] }>('/api/onvif/discover', { method: 'POST', body: { timeout } }),
  getSettings: (opt?: RequestOptions) => request<Settings>('/api/settings', opt),
  putSettings: (patch: Record<string, unknown>) => request('/api/settings', { method: 'PUT', body: patch }),
  getMerge: () => request<MergeSettings>('/api/settings/merge'),
  putMerge: (patch: Partial<MergeSettings>) => request('/api/settings/merge', { method: 'PUT', body: patch }),
  /** Opens the media session: an HttpOnly cookie the daemon accepts for GET requests only, so
   * <video src>, <img src> and download links (which cannot send the Basic header) work. */
  openMediaSession: (opt?: RequestOptions) => request<{ expires_at: string }>('/api/auth/session', { method: 'POST', ...opt }),
  closeMediaSession: () => request('/api/auth/session', { method: 'DELETE', quiet401: true }),
  streamUrl: (id: string) => `/api/cameras/${enc(id)}/stream/stream.m3u8`,
  snapshotUrl: (id: string) => `/api/cameras/${enc(id)}/snapshot`,
};
