// Unit tests for the Xiaomi endpoints: request paths and bodies (captcha vs verification
// answers), the 202 challenges passed through as answers, a 401 XIAOMI_* not treated as this
// NVR's own sign-in, the error kinds, the captcha data: URL and the default region.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, isOwnAuthError } from './api';
import { captchaSrc, xiaomiApi, xiaomiErrorKind } from './api-xiaomi';

let calls: { url: string; method: string; body: unknown }[];
function serve(status: number, answer: unknown) {
  calls = [];
  vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(JSON.stringify(answer), { status, headers: { 'Content-Type': 'application/json' } });
  }));
}
afterEach(() => vi.unstubAllGlobals());

describe('xiaomiApi', () => {
  it('passes a 202 captcha challenge through as the answer', async () => {
    serve(202, { status: 'captcha_required', captcha_id: 'c1', captcha_image: 'AAAA', captcha_type: 'image/png' });
    const a = await xiaomiApi.signIn({ username: 'u@example.com', password: 'p', region: 'de' });
    expect(a.status).toBe('captcha_required');
    expect(calls[0]).toEqual({ url: '/api/xiaomi/auth', method: 'POST', body: { username: 'u@example.com', password: 'p', region: 'de' } });
  });
  it('sends captcha and verification answers with their own field names', async () => {
    serve(200, { status: 'signed_in', user_id: '1', token: '0123456789abcdef', region: 'cn', username: 'u' });
    await xiaomiApi.answerCaptcha('c1', 'ABCD');
    await xiaomiApi.answerVerification('v1', '123456');
    await xiaomiApi.newCaptcha('u');
    expect(calls.map((c) => [c.url, c.body])).toEqual([
      ['/api/xiaomi/verify', { captcha_id: 'c1', captcha_code: 'ABCD' }],
      ['/api/xiaomi/verify', { verification_id: 'v1', code: '123456' }],
      ['/api/xiaomi/captcha', { username: 'u' }],
    ]);
  });
  it('a 401 XIAOMI_AUTH_FAILED is an ApiError about Xiaomi, not this NVR', async () => {
    serve(401, { error: 'Xiaomi rejected the sign-in: wrong verification code', code: 'XIAOMI_AUTH_FAILED' });
    const e = await xiaomiApi.answerVerification('v1', '000000').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(isOwnAuthError(e as ApiError)).toBe(false);
    expect(xiaomiErrorKind(e)).toBe('rejected');
  });
  it('defaults the region from settings, cn when missing or unknown', async () => {
    serve(200, { xiaomi: { region: 'sg' } });
    expect(await xiaomiApi.defaultRegion()).toBe('sg');
    serve(200, { xiaomi: { region: 'mars' } });
    expect(await xiaomiApi.defaultRegion()).toBe('cn');
    serve(200, {});
    expect(await xiaomiApi.defaultRegion()).toBe('cn');
  });
});

describe('helpers', () => {
  it('classifies errors', () => {
    expect(xiaomiErrorKind(new ApiError('x', 'XIAOMI_AUTH_REQUIRED', 401))).toBe('signed-out');
    expect(xiaomiErrorKind(new ApiError('x', 'XIAOMI_CLOUD_ERROR', 502))).toBe('cloud');
    expect(xiaomiErrorKind(new ApiError('invalid input: unknown or expired sign-in id: POST /api/xiaomi/auth again', 'INVALID_INPUT', 400))).toBe('expired');
    expect(xiaomiErrorKind(new ApiError('invalid input: region', 'INVALID_INPUT', 400))).toBe('other');
    expect(xiaomiErrorKind(new Error('x'))).toBe('other');
  });
  it('builds the captcha data: URL, image types only', () => {
    expect(captchaSrc({ captcha_image: 'iVBO\nRw0=', captcha_type: 'image/png' })).toBe('data:image/png;base64,iVBORw0=');
    expect(captchaSrc({ captcha_image: 'R0lG', captcha_type: 'image/gif' })).toBe('data:image/gif;base64,R0lG');
    expect(captchaSrc({ captcha_image: 'AAAA', captcha_type: 'text/html' })).toBe('data:image/png;base64,AAAA');
  });
});
