// Unit tests for explaining playback failures: HTTP status of the media URL first (401 = no
// media session, 404 = gone), then formats the browser cannot play (MJPEG, H.265), then the
// MediaError code; every message key exists in both languages.
import { describe, expect, it } from 'vitest';
import { en } from './i18n/en';
import { zh } from './i18n/zh';
import { explainVideoError, type VideoFailure } from './rec-media';

const base: VideoFailure = { code: 4, message: 'MEDIA_ELEMENT_ERROR: Format error', format: 'h264', httpStatus: 206, canHevc: false };

describe('explainVideoError', () => {
  it('names the missing media session on 401', () => {
    expect(explainVideoError({ ...base, httpStatus: 401 })).toEqual({ key: 'rec.errAuth', vars: { status: 401 }, offerDownload: false });
  });
  it('says a deleted recording is gone', () => {
    expect(explainVideoError({ ...base, httpStatus: 404 }).key).toBe('rec.errGone');
    expect(explainVideoError({ ...base, httpStatus: 500 }).key).toBe('rec.errHttp');
  });
  it('says H.265 is not playable here and offers the download', () => {
    expect(explainVideoError({ ...base, format: 'h265' })).toMatchObject({ key: 'rec.errHevc', offerDownload: true });
    expect(explainVideoError({ ...base, format: 'h265', canHevc: true, code: 2 }).key).toBe('rec.errNetwork');
    expect(explainVideoError({ ...base, format: 'mjpeg' }).key).toBe('rec.errMjpeg');
  });
  it('falls back to the MediaError code with its message', () => {
    expect(explainVideoError({ ...base, code: 3 })).toMatchObject({ key: 'rec.errDecode', vars: { reason: base.message } });
    expect(explainVideoError({ ...base, code: 4 }).key).toBe('rec.errFormat');
    expect(explainVideoError({ ...base, code: 2, httpStatus: 0, message: '' })).toMatchObject({ key: 'rec.errNetwork', vars: { reason: 'MediaError 2' } });
    expect(explainVideoError({ ...base, code: 1 }).key).toBe('rec.errOther');
  });
  it('every key it can return exists in en and zh', () => {
    for (const k of ['rec.errAuth', 'rec.errGone', 'rec.errHttp', 'rec.errMjpeg', 'rec.errHevc', 'rec.errNetwork', 'rec.errDecode', 'rec.errFormat', 'rec.errOther'] as const) {
      expect(en[k]).toBeTruthy();
      expect(zh[k]).toBeTruthy();
    }
  });
});
