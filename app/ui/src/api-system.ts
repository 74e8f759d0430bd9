// Owns the typed endpoints of the archives, storage/stats, system (with its clock), features,
// backups and password pages (shapes as the daemon answers them, see docs/api.md), and binary
// uploads (firmware bundle, backup archive) through XMLHttpRequest so the UI gets upload progress.
import { ApiError, authHeaders, request, type Settings } from './api';

export interface Archive {
  camera_id: string;
  retention_days: number;
  recordings_count: number;
  total_size_mb: number;
  total_bytes: number;
  camera_exists: boolean;
  oldest: string | null;
  newest: string | null;
}

export interface Recording {
  id: string;
  camera_id: string;
  file_path: string;
  format: string;
  started_at: string;
  ended_at: string | null;
  duration: number;
  file_size: number;
  frame_count?: number;
  merged: boolean;
  width?: number;
  height?: number;
}

export interface CardWear {
  assumed_pe_cycles: number;
  wear_percent: number;
  estimated_days_left: number | null;
}

export interface Stats {
  total_bytes: number;
  used_bytes: number;
  available_bytes: number;
  used_percent: number;
  recording_count: number;
  camera_count: number;
  recordings_bytes: number;
  bytes_written: Record<string, number>;
  media_received_bytes: number;
  write_amplification: number | null;
  lifetime_bytes_written: number;
  card_wear: CardWear;
  cleanup: {
    last_run_time: string | null;
    recordings_deleted: number;
    bytes_released: number;
    files_removed: number;
    error_count: number;
    recording_paused: boolean;
  };
}

export interface SystemStats {
  cpu: { total: number; idle: number };
  memory: { total: number; available: number; process_rss?: number };
  network: { bytes_sent: number; bytes_recv: number };
  uptime: string;
  timestamp: number;
  /** Not sent by the daemon today; shown when a future version adds it. */
  temperature_celsius?: number | null;
}

export interface TrendSample {
  date: string;
  total_bytes: number;
  used_bytes: number;
  recording_count: number;
  lifetime_bytes_written: number;
}

export interface SystemInfo {
  version: string;
  firmware_version: string | null;
  slot: string | null;
  board: string | null;
  uptime: string;
  system_uptime_secs: number;
}

export interface UpdateStatus {
  state: string;
  bytes_received: number;
  bytes_total: number | null;
  progress_percent: number;
  version: string | null;
  message: string;
}

export interface TranscodingCheck {
  supported: boolean;
  ffmpeg_status: string;
  encoders: Record<string, string>;
  warnings: string[];
  max_concurrent: number;
  estimated_fps: number;
  total_cores: number;
  total_memory_mb: number;
  h264_encoder_type: string;
  h265_encoder_type: string;
  devices: { type: string; name: string; encodes?: string[] }[];
  benchmark?: { width: number; height: number; frames: number; seconds: number; encoder: string } | null;
}

export interface MergeStatus {
  enabled: boolean;
  error_count: number;
  files_created: number;
  recordings_created: number;
  last_run_time: string | null;
  segments_merged: number;
}

export type Features = Record<string, boolean>;

export interface BackupInfo {
  backup_id: string;
  path: string;
  size_bytes: number;
  created_at: string;
}

export interface Restored {
  status: string;
  restart_required: boolean;
  recordings_dropped: number;
  files_adopted: number;
}

export interface Health {
  status: string;
  uptime?: string;
  checks?: Record<string, { status: string; message: string } | undefined>;
}

/** GET|PUT /api/system/time. `source`: system, ntp, user, step (empty while untrusted). */
export interface ClockStatus {
  time: string;
  trusted: boolean;
  source: string;
  reason: string;
  ntp_synchronised: boolean;
}

const enc = encodeURIComponent;

export const sysApi = {
  archives: () => request<{ archives: Archive[] }>('/api/archives').then((r) => r.archives ?? []),
  archiveRecordings: (cam: string, limit: number, offset: number) =>
    request<{ recordings: Recording[]; total: number }>(`/api/archives/${enc(cam)}/recordings?limit=${limit}&offset=${offset}`),
  deleteArchiveRecording: (cam: string, rid: string) =>
    request(`/api/archives/${enc(cam)}/recordings/${enc(rid)}`, { method: 'DELETE' }),
  deleteArchive: (cam: string) => request(`/api/archives/${enc(cam)}`, { method: 'DELETE' }),
  putRetention: (cam: string, days: number) =>
    request(`/api/archives/${enc(cam)}/retention`, { method: 'PUT', body: { retention_days: days } }),
  recordingDownloadUrl: (rid: string) => `/api/recordings/${enc(rid)}/download`,

  stats: () => request<Stats>('/api/stats'),
  systemStats: () => request<SystemStats>('/api/stats/system'),
  trends: () => request<{ trends: TrendSample[] }>('/api/stats/trends').then((r) => r.trends ?? []),
  mergeStatus: () => request<MergeStatus>('/api/merge/status'),

  systemInfo: () => request<SystemInfo>('/api/system/info'),
  updateStatus: () => request<UpdateStatus>('/api/system/update'),
  reboot: () => request<{ status: string }>('/api/system/reboot', { method: 'POST' }),
  transcodingCheck: () => request<TranscodingCheck>('/api/transcoding/check'),
  /** Public; used while the box reboots. `credentials: null` so no auth is sent. */
  health: (signal?: AbortSignal) => request<Health>('/api/health', { credentials: null, quiet401: true, signal }),
  /** Public /api/health with its checks, also when it answers 503 (an error elsewhere). */
  healthChecks: async (): Promise<Health> => {
    const res = await fetch('/api/health', { headers: authHeaders(null), credentials: 'omit' });
    if (res.status !== 200 && res.status !== 503) throw xhrError(res.status, res.statusText, await res.text());
    return (await res.json()) as Health;
  },
  systemTime: () => request<ClockStatus>('/api/system/time'),
  /** 409 CLOCK_SYNCHRONISED when NTP keeps the clock, 501 when the daemon may not set it. */
  setSystemTime: (time: string) => request<ClockStatus>('/api/system/time', { method: 'PUT', body: { time } }),

  features: () => request<{ features: Features }>('/api/features').then((r) => r.features ?? {}),
  putFeatures: (patch: Features) => request('/api/features', { method: 'PUT', body: patch }),

  /** `auth.password` is set inside the `auth` section; `""` turns authentication off. */
  setPassword: (password: string) => request('/api/settings', { method: 'PUT', body: { auth: { password } } }),
  settings: () => request<Settings>('/api/settings'),

  backups: () => request<{ backups: BackupInfo[] }>('/api/backups').then((r) => r.backups ?? []),
  createBackup: () => request<BackupInfo>('/api/backup', { method: 'POST' }),
  restoreBackup: (id: string) => request<Restored>(`/api/backups/${enc(id)}/restore`, { method: 'POST' }),
  /** A plain link: the media-session cookie authenticates GETs (no Basic header on <a>). */
  backupDownloadUrl: (id: string) => `/api/backups/${enc(id)}/download`,
};

export interface UploadHandle<T> {
  done: Promise<T>;
  abort: () => void;
}

/** Parses an XHR error body like api.ts does for fetch (server's plain words and code). */
export function xhrError(status: number, statusText: string, text: string): ApiError {
  try {
    const j = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (j && typeof j.error === 'string' && j.error) {
      return new ApiError(j.error, typeof j.code === 'string' ? j.code : 'ERROR', status);
    }
  } catch {
    /* not JSON */
  }
  const body = text.trim().slice(0, 200);
  return new ApiError(`HTTP ${status} ${statusText}`.trim() + (body ? `: ${body}` : ''), `HTTP_${status}`, status);
}

/** POSTs a file as the raw body with auth headers; `onProgress` gets 0–100 of the upload. */
export function uploadFile<T>(path: string, file: Blob, onProgress: (pct: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', path);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.upload.onload = () => onProgress(100);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
        } catch {
          resolve(xhr.responseText as unknown as T);
        }
      } else reject(xhrError(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError('Cannot reach the NVR: the upload was interrupted', 'NETWORK', 0));
    xhr.onabort = () => reject(new ApiError('Upload cancelled', 'ABORTED', 0));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

export const uploads = {
  /** `reboot`: boot into the new slot once installed (`?reboot=true`). */
  firmware: (file: Blob, onProgress: (pct: number) => void, reboot = false) =>
    uploadFile<UpdateStatus>(`/api/system/update${reboot ? '?reboot=true' : ''}`, file, onProgress),
  backup: (file: Blob, onProgress: (pct: number) => void) => uploadFile<BackupInfo>('/api/backups', file, onProgress),
};
