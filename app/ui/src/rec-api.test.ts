// Unit tests for the recordings endpoints: query building (camera_id, RFC 3339 range),
// listAll paging by offset until `total` (deduplicating ids repeated across pages), batch
// delete chunked at the API's 1000 ids with summed counts, and the plain download URL.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_PAGE, recApi, type Recording } from './api-recordings';

const rec = (i: number): Recording => ({
  id: String(i), camera_id: 'c', file_path: '', format: 'h264', started_at: '2026-11-26T10:00:00Z',
  ended_at: '2026-11-26T10:00:30Z', duration: 30, file_size: 1, frame_count: 1, merged: false, width: 1, height: 1,
});

let urls: string[];
let bodies: unknown[];
function serve(handler: (url: URL) => unknown) {
  urls = [];
  bodies = [];
  vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
  vi.stubGlobal('fetch', vi.fn(async (u: string, init: RequestInit) => {
    urls.push(u);
    if (init.body) bodies.push(JSON.parse(String(init.body)));
    return new Response(JSON.stringify(handler(new URL(u, 'http://x'))), { status: 200, headers: { 'Content-Type': 'application/json' } });
  }));
}
afterEach(() => vi.unstubAllGlobals());

describe('recApi', () => {
  it('builds the list query', async () => {
    serve(() => ({ recordings: [], total: 0 }));
    await recApi.list({ camera_id: 'cam 1', start: '2026-11-26T00:00:00.000Z', limit: 10 });
    expect(urls[0]).toBe('/api/recordings?camera_id=cam+1&start=2026-11-26T00%3A00%3A00.000Z&limit=10');
  });
  it('listAll pages by offset until total, dropping repeats', async () => {
    const total = 2 * MAX_PAGE + 5;
    serve((u) => {
      const off = Number(u.searchParams.get('offset'));
      const lim = Number(u.searchParams.get('limit'));
      // The second page repeats the last id of the first (a recording added meanwhile shifts pages).
      const from = off === MAX_PAGE ? off - 1 : off;
      const n = Math.max(0, Math.min(lim, total - from));
      return { recordings: Array.from({ length: n }, (_, i) => rec(from + i)), total };
    });
    const r = await recApi.listAll({ camera_id: 'c' });
    expect(urls).toHaveLength(3);
    expect(urls.map((u) => new URL(u, 'http://x').searchParams.get('limit'))).toEqual(['1000', '1000', '1000']);
    expect(r.total).toBe(total);
    expect(new Set(r.recordings.map((x) => x.id)).size).toBe(r.recordings.length);
  });
  it('stops after one short page', async () => {
    serve(() => ({ recordings: [rec(1), rec(2)], total: 2 }));
    expect((await recApi.listAll({})).recordings).toHaveLength(2);
    expect(urls).toHaveLength(1);
  });
  it('batch-deletes in chunks of 1000 and sums the counts', async () => {
    serve(() => ({ deleted: 999, failed: 1 }));
    const ids = Array.from({ length: 2500 }, (_, i) => String(i));
    expect(await recApi.batchDelete(ids)).toEqual({ deleted: 2997, failed: 3 });
    expect(bodies.map((b) => (b as { recording_ids: string[] }).recording_ids.length)).toEqual([1000, 1000, 500]);
    expect(urls.every((u) => u === '/api/recordings/batch-delete')).toBe(true);
  });
  it('download URL is a plain same-origin path (cookie auth)', () => {
    expect(recApi.downloadUrl('123')).toBe('/api/recordings/123/download');
  });
});
