// Owns the typed calls of the camera view and the form's connection test: one camera, its
// ONVIF capabilities, PTZ (move / stop / status / presets), imaging options and settings, and
// POST /api/cameras/test-connection. Errors are ApiError from './api' (server's plain words).
import { ApiError, request, type Camera, type CameraInput } from './api';

export interface Capabilities {
  ptz: boolean;
  imaging: boolean;
  events: boolean;
  snapshot: boolean;
  streaming: boolean;
  device: boolean;
}

export type MoveMode = 'absolute' | 'relative' | 'continuous';
export interface PtzMove {
  mode: MoveMode;
  pan?: number;
  tilt?: number;
  zoom?: number;
  /** 0..1 */
  speed?: number;
}

export interface PtzStatus {
  moving: boolean;
  pan?: number | null;
  tilt?: number | null;
  zoom?: number | null;
}

export interface Preset {
  token: string;
  name: string;
  position?: { pan?: number | null; tilt?: number | null; zoom?: number | null };
}

export interface Range {
  min: number;
  max: number;
}

export interface ImagingOptions {
  brightness?: Range | null;
  contrast?: Range | null;
  saturation?: Range | null;
  sharpness?: Range | null;
  exposure: { modes: string[]; exposure_time?: Range | null; gain?: Range | null };
  white_balance: {
    modes: string[];
    cr_gain?: { min: number; max: number } | null;
    cb_gain?: { min: number; max: number } | null;
    color_temperature?: { min: number; max: number } | null;
  };
}

export interface ImagingSettings {
  brightness?: number | null;
  contrast?: number | null;
  saturation?: number | null;
  sharpness?: number | null;
  exposure?: { mode?: string | null; exposure_time?: number | null; gain?: number | null } | null;
  white_balance?: { mode?: string | null; cr_gain?: number | null; cb_gain?: number | null } | null;
}

export interface TestResult {
  success: boolean;
  message: string;
  details: {
    protocol?: string;
    encoding?: string;
    latency_ms?: number;
    frames_received?: number;
    codec?: string | null;
    width?: number | null;
    height?: number | null;
  };
}

export type TestInput = Pick<CameraInput, 'protocol' | 'url' | 'username' | 'password' | 'encoding'> & {
  /** Editing a saved camera: the daemon uses its stored password when none is typed. */
  camera_id?: string;
};

const cam = (id: string, rest = '') => `/api/cameras/${encodeURIComponent(id)}${rest}`;
const post = <T>(path: string, body?: unknown, signal?: AbortSignal) =>
  request<T>(path, { method: 'POST', body, signal });

/** True for the answer a non-ONVIF camera gives to every ONVIF endpoint (not a failure). */
export const isNotOnvif = (e: unknown) => e instanceof ApiError && e.code === 'ONVIF_NOT_CAMERA';

export const camApi = {
  get: (id: string, signal?: AbortSignal) => request<Camera>(cam(id), { signal }),
  capabilities: (id: string, signal?: AbortSignal) => request<Capabilities>(cam(id, '/onvif/capabilities'), { signal }),

  ptzMove: (id: string, m: PtzMove) => post<{ status: string }>(cam(id, '/ptz/move'), m),
  ptzStop: (id: string) => post<{ status: string }>(cam(id, '/ptz/stop')),
  ptzStatus: (id: string) => request<PtzStatus>(cam(id, '/ptz/status')),
  presets: (id: string) => request<{ presets: Preset[] }>(cam(id, '/ptz/presets')).then((r) => r.presets ?? []),
  createPreset: (id: string, name: string) => post<{ token: string }>(cam(id, '/ptz/presets'), { name }),
  gotoPreset: (id: string, token: string) => post(cam(id, `/ptz/presets/${encodeURIComponent(token)}/goto`)),
  deletePreset: (id: string, token: string) =>
    request(cam(id, `/ptz/presets/${encodeURIComponent(token)}`), { method: 'DELETE' }),

  imagingOptions: (id: string) => request<ImagingOptions>(cam(id, '/imaging/options')),
  imagingSettings: (id: string) => request<ImagingSettings>(cam(id, '/imaging/settings')),
  putImaging: (id: string, patch: ImagingSettings) =>
    request(cam(id, '/imaging/settings'), { method: 'PUT', body: patch }),

  testConnection: (t: TestInput, signal?: AbortSignal) =>
    post<TestResult>('/api/cameras/test-connection', t, signal),
};

/** The URL as shown on screen: a password embedded as user:password@ is replaced by ***. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
