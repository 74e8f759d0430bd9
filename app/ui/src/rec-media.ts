// Owns turning a failed recording playback into plain words: what the browser can decode
// (H.265, MJPEG), what the server answered for the media URL (probed with the cookie only,
// like the <video> element: 401 = no media session, 404 = gone), and the MediaError code.
import type { Key } from './i18n';

export interface VideoFailure {
  /** MediaError.code (1 aborted, 2 network, 3 decode, 4 source not supported), 0 if unknown. */
  code: number;
  message: string;
  format: string;
  /** HTTP status of a probe GET of the media URL without the Basic header; 0 = not reachable. */
  httpStatus: number | null;
  /** Whether the browser says it can play H.265 in MP4. */
  canHevc: boolean;
}

export interface Explained {
  key: Key;
  vars: Record<string, string | number>;
  /** Offer the download as the way out. */
  offerDownload: boolean;
}

export function explainVideoError(f: VideoFailure): Explained {
  const reason = f.message || `MediaError ${f.code}`;
  if (f.httpStatus === 401 || f.httpStatus === 403) return { key: 'rec.errAuth', vars: { status: f.httpStatus }, offerDownload: false };
  if (f.httpStatus === 404) return { key: 'rec.errGone', vars: {}, offerDownload: false };
  if (f.httpStatus !== null && f.httpStatus >= 400) return { key: 'rec.errHttp', vars: { status: f.httpStatus }, offerDownload: false };
  if (f.format === 'mjpeg') return { key: 'rec.errMjpeg', vars: {}, offerDownload: true };
  if (f.format === 'h265' && (!f.canHevc || f.code === 3 || f.code === 4)) return { key: 'rec.errHevc', vars: {}, offerDownload: true };
  if (f.code === 2 || f.httpStatus === 0) return { key: 'rec.errNetwork', vars: { reason }, offerDownload: true };
  if (f.code === 3) return { key: 'rec.errDecode', vars: { reason }, offerDownload: true };
  if (f.code === 4) return { key: 'rec.errFormat', vars: { reason }, offerDownload: true };
  return { key: 'rec.errOther', vars: { reason }, offerDownload: true };
}

/** Whether this browser reports it can decode H.265 in MP4 (hvc1 or hev1). */
export function browserCanHevc(): boolean {
  if (typeof document === 'undefined') return false;
  const v = document.createElement('video');
  return ['video/mp4; codecs="hvc1.1.6.L93.B0"', 'video/mp4; codecs="hev1.1.6.L93.B0"'].some((c) => v.canPlayType(c) !== '');
}

/** Status of a 1-byte GET of `url` sent like the <video> sends it (cookie, no Basic header). */
export async function probeMedia(url: string): Promise<number> {
  try {
    // X-Requested-With: a 401 then carries no WWW-Authenticate, so no browser login pop-up.
    const res = await fetch(url, { headers: { Range: 'bytes=0-0', 'X-Requested-With': 'XMLHttpRequest' }, credentials: 'same-origin' });
    void res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}
