// Owns the typed recordings endpoints: list (one page, or all pages of a time range), get,
// delete, batch delete (in chunks of the API's 1000-id limit) and the download URL (used as
// <video src> and download link: the media-session cookie authenticates those GETs).
import { request } from './api';

export type RecFormat = 'h264' | 'h265' | 'mjpeg';

export interface Recording {
  id: string;
  camera_id: string;
  file_path: string;
  format: RecFormat | string;
  started_at: string;
  ended_at: string;
  /** Seconds. */
  duration: number;
  file_size: number;
  frame_count: number;
  merged: boolean;
  width: number;
  height: number;
}

export interface RecordingQuery {
  camera_id?: string;
  format?: RecFormat;
  merged?: boolean;
  /** RFC 3339: recordings ending after this time. */
  start?: string;
  /** RFC 3339: recordings starting before this time. */
  end?: string;
  /** 1–1000 (API default 50). */
  limit?: number;
  offset?: number;
}

export interface RecordingPage {
  recordings: Recording[];
  total: number;
}

/** The API's page and batch limits. */
export const MAX_PAGE = 1000;
/** Safety stop for `listAll` (a day of 1 s segments would be 86 400). */
const MAX_PAGES = 100;

const enc = encodeURIComponent;

function query(q: RecordingQuery): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const recApi = {
  list: (q: RecordingQuery = {}, signal?: AbortSignal) => request<RecordingPage>(`/api/recordings${query(q)}`, { signal }),

  /** Every recording matching `q` (newest first), fetched page by page. */
  async listAll(q: Omit<RecordingQuery, 'limit' | 'offset'>, signal?: AbortSignal): Promise<RecordingPage> {
    const all: Recording[] = [];
    let total = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await recApi.list({ ...q, limit: MAX_PAGE, offset: all.length }, signal);
      total = r.total;
      all.push(...r.recordings);
      if (r.recordings.length < MAX_PAGE || all.length >= total) break;
    }
    // Paging by offset while recordings are added or deleted can repeat one: dedupe by id.
    const seen = new Set<string>();
    const recordings = all.filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)));
    return { recordings, total };
  },

  get: (id: string) => request<Recording>(`/api/recordings/${enc(id)}`),
  remove: (id: string) => request<{ status: string }>(`/api/recordings/${enc(id)}`, { method: 'DELETE' }),

  /** Deletes the ids in chunks of 1000; sums the API's `deleted` and `failed` counts. */
  async batchDelete(ids: readonly string[]): Promise<{ deleted: number; failed: number }> {
    let deleted = 0;
    let failed = 0;
    for (let i = 0; i < ids.length; i += MAX_PAGE) {
      const r = await request<{ deleted: number; failed: number }>('/api/recordings/batch-delete', {
        method: 'POST',
        body: { recording_ids: ids.slice(i, i + MAX_PAGE) },
      });
      deleted += r.deleted;
      failed += r.failed;
    }
    return { deleted, failed };
  },

  /** Seekable MP4 (HTTP Range); plain URL so <video> and <a download> use the session cookie. */
  downloadUrl: (id: string) => `/api/recordings/${enc(id)}/download`,
};
