// Owns the typed calls of the Xiaomi import (docs/api.md "## Xiaomi"): sign-in with its captcha
// and e-mail/phone verification detours, session status and sign-out, the account's devices and
// the camera sync; plus the small pure helpers the panel uses (captcha data: URL, error kinds).
// Errors are ApiError from './api'; a 401 XIAOMI_* is about the Xiaomi account, never this NVR's.
import { ApiError, request } from './api';

export const XIAOMI_REGIONS = ['cn', 'de', 'us', 'ru', 'tw', 'sg', 'in', 'i2'] as const;
export type XiaomiRegion = (typeof XIAOMI_REGIONS)[number];

export const isRegion = (v: unknown): v is XiaomiRegion =>
  typeof v === 'string' && (XIAOMI_REGIONS as readonly string[]).includes(v);

export interface XiaomiSignedIn {
  status: 'signed_in';
  user_id: string;
  /** Non-secret handle of the session (16 hex digits). */
  token: string;
  region: string;
  username: string;
}

export interface XiaomiCaptcha {
  status: 'captcha_required';
  captcha_id: string;
  /** Base64 of the image bytes. */
  captcha_image: string;
  /** MIME type of the image, e.g. image/png. */
  captcha_type: string;
  /** Set when the previous code was wrong. */
  message?: string;
}

export interface XiaomiVerification {
  status: 'verification_required';
  verification_id: string;
  method: 'email' | 'phone';
  masked_target: string;
}

export type XiaomiAuthAnswer = XiaomiSignedIn | XiaomiCaptcha | XiaomiVerification;

export interface XiaomiAuthStatus {
  signed_in: boolean;
  username?: string;
  user_id?: string;
  region?: string;
}

export interface XiaomiDevice {
  did: string;
  name: string;
  model: string;
  online: boolean;
  /** A camera model (`<vendor>.camera.<model>`). */
  camera: boolean;
  ip: string;
  mac: string;
  /** The NVR camera synced from this device. */
  camera_id?: string;
}

export interface XiaomiSyncResult {
  synced: number;
  added: number;
  removed: number;
  updated: number;
  /** Camera ids whose device left the account (kept, with their recordings). */
  vanished: string[];
  cameras: string[];
}

export interface SignInInput {
  username: string;
  password: string;
  region?: XiaomiRegion;
}

const post = <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body });

export const xiaomiApi = {
  status: () => request<XiaomiAuthStatus>('/api/xiaomi/auth'),
  signIn: (input: SignInInput) => post<XiaomiAuthAnswer>('/api/xiaomi/auth', input),
  /** A wrong code answers another captcha (with `message`); a wrong password 401s here. */
  answerCaptcha: (captcha_id: string, captcha_code: string) =>
    post<XiaomiAuthAnswer>('/api/xiaomi/verify', { captcha_id, captcha_code }),
  /** A wrong code → 401 XIAOMI_AUTH_FAILED; the same id may be tried again. */
  answerVerification: (verification_id: string, code: string) =>
    post<XiaomiAuthAnswer>('/api/xiaomi/verify', { verification_id, code }),
  /** A fresh captcha for the pending sign-in of `username` (the old captcha id ends). */
  newCaptcha: (username: string) => post<XiaomiCaptcha>('/api/xiaomi/captcha', { username }),
  signOut: () => request<XiaomiAuthStatus>('/api/xiaomi/auth', { method: 'DELETE' }),
  devices: () => request<{ devices: XiaomiDevice[] }>('/api/xiaomi/devices').then((r) => r.devices ?? []),
  sync: () => post<XiaomiSyncResult>('/api/xiaomi/sync'),
  /** The region preselected for a sign-in: settings → xiaomi.region (cn when unset or odd). */
  defaultRegion: () =>
    request<{ xiaomi?: { region?: unknown } }>('/api/settings').then((s): XiaomiRegion => {
      const r = s.xiaomi?.region;
      return isRegion(r) ? r : 'cn';
    }),
};

/** The captcha as an <img src>: a data: URL, only for image MIME types (else PNG is assumed). */
export function captchaSrc(c: Pick<XiaomiCaptcha, 'captcha_image' | 'captcha_type'>): string {
  const type = /^image\/[a-z0-9.+-]+$/i.test(c.captcha_type ?? '') ? c.captcha_type : 'image/png';
  const b64 = (c.captcha_image ?? '').replace(/[^A-Za-z0-9+/=]/g, '');
  return `data:${type};base64,${b64}`;
}

/** What an error means for the sign-in flow. */
export type XiaomiErrorKind =
  /** Wrong account, password or code. */
  | 'rejected'
  /** Not signed in, or the session expired and could not be renewed. */
  | 'signed-out'
  /** The pending sign-in (captcha/verification id) is unknown or expired. */
  | 'expired'
  /** Xiaomi's cloud unreachable, too slow or answering nonsense. */
  | 'cloud'
  | 'other';

export function xiaomiErrorKind(e: unknown): XiaomiErrorKind {
  if (!(e instanceof ApiError)) return 'other';
  if (e.code === 'XIAOMI_AUTH_FAILED') return 'rejected';
  if (e.code === 'XIAOMI_AUTH_REQUIRED') return 'signed-out';
  if (e.code === 'XIAOMI_CLOUD_ERROR') return 'cloud';
  if (e.code === 'INVALID_INPUT' && /sign-in id/i.test(e.message)) return 'expired';
  return 'other';
}
