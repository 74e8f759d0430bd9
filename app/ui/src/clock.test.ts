// Unit tests for clock.ts (server list parsing and display, the ticking box time, the skew,
// when "set the time" is offered, the health warning, refused-set explanations) and for the
// clock endpoints of api-system.ts (PUT body, errors, /api/health read also when it is 503).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api';
import { sysApi, type ClockStatus } from './api-system';
import { boxNow, canSetClock, clockSkewSecs, clockWarning, formatServers, parseServers, setTimeProblem } from './clock';

const status = (over: Partial<ClockStatus> = {}): ClockStatus => ({
  time: '2026-12-02T10:15:00Z', trusted: true, source: 'system', reason: '', ntp_synchronised: false, ...over,
});

describe('NTP server list', () => {
  it('splits on commas, semicolons, spaces and new lines, dropping empties and repeats', () => {
    expect(parseServers('pool.ntp.org, 192.168.1.1\n\n  time.example ;ntp2.example,')).toEqual([
      'pool.ntp.org', '192.168.1.1', 'time.example', 'ntp2.example',
    ]);
    expect(parseServers('a.example\r\na.example, b')).toEqual(['a.example', 'b']);
    expect(parseServers('2001:db8::1, fe80::1')).toEqual(['2001:db8::1', 'fe80::1']);
  });
  it('an empty or blank field means the board defaults ([])', () => {
    expect(parseServers('')).toEqual([]);
    expect(parseServers(' \n , ')).toEqual([]);
  });
  it('keeps what the daemon must judge (it names the bad entry)', () => {
    expect(parseServers('bad_host!')).toEqual(['bad_host!']);
  });
  it('shows one server per line and round-trips', () => {
    expect(formatServers(['a.example', '192.0.2.1'])).toBe('a.example\n192.0.2.1');
    expect(formatServers([])).toBe('');
    expect(formatServers(undefined)).toBe('');
    expect(parseServers(formatServers(['a.example', '192.0.2.1']))).toEqual(['a.example', '192.0.2.1']);
  });
});

describe('box time', () => {
  it('ticks from the fetched time by the elapsed local time', () => {
    expect(boxNow('2026-12-02T10:15:00Z', 1000, 1000)?.toISOString()).toBe('2026-12-02T10:15:00.000Z');
    expect(boxNow('2026-12-02T10:15:00.250Z', 1000, 62_000)?.toISOString()).toBe('2026-12-02T10:16:01.250Z');
    expect(boxNow('2026-12-02T12:15:00+02:00', 0, 0)?.toISOString()).toBe('2026-12-02T10:15:00.000Z');
  });
  it('never runs backwards and rejects what does not parse', () => {
    expect(boxNow('2026-12-02T10:15:00Z', 5000, 4000)?.toISOString()).toBe('2026-12-02T10:15:00.000Z');
    expect(boxNow('not a time', 0, 0)).toBeNull();
  });
  it('measures the box against the browser in whole seconds', () => {
    const browser = Date.parse('2026-12-02T10:15:00Z');
    expect(clockSkewSecs('2026-12-02T10:15:00.4Z', browser)).toBe(0);
    expect(clockSkewSecs('2026-12-02T11:15:00Z', browser)).toBe(3600);
    expect(clockSkewSecs('2026-01-01T00:00:00Z', browser)).toBe(-(335 * 86400 + 10 * 3600 + 15 * 60));
    expect(clockSkewSecs('', browser)).toBeNull();
  });
});

describe('clock state', () => {
  it('offers "set the time" only while untrusted and not kept by NTP', () => {
    expect(canSetClock(status())).toBe(false);
    expect(canSetClock(status({ source: 'ntp', ntp_synchronised: true }))).toBe(false);
    expect(canSetClock(status({ trusted: false, source: '', reason: 'clock not synchronised: x' }))).toBe(true);
    expect(canSetClock(status({ trusted: false, source: '', ntp_synchronised: true }))).toBe(false);
  });
  it('reads the clock warning of /api/health', () => {
    const h = (clock?: { status: string; message: string }) => ({ status: 'ok', checks: clock ? { clock } : {} });
    expect(clockWarning(h({ status: 'ok', message: '' }))).toBeNull();
    expect(clockWarning(h({ status: 'warning', message: 'clock not synchronised: restored' }))).toBe(
      'clock not synchronised: restored',
    );
    expect(clockWarning(h({ status: 'warning', message: '' }))).toBe('warning');
    expect(clockWarning(h())).toBeNull(); // an older daemon without the check
    expect(clockWarning({ status: 'ok' })).toBeNull();
    expect(clockWarning(null)).toBeNull();
  });
  it('explains a refused set in plain words', () => {
    expect(setTimeProblem(409, 'CLOCK_SYNCHRONISED')).toBe('ntp');
    expect(setTimeProblem(501, 'NOT_IMPLEMENTED')).toBe('cannot');
    expect(setTimeProblem(400, 'INVALID_INPUT')).toBeNull();
    expect(setTimeProblem(0, 'NETWORK')).toBeNull();
  });
});

describe('clock endpoints', () => {
  type Call = { url: string; init: RequestInit };
  let calls: Call[] = [];
  const respond = (status: number, body: unknown) => {
    calls = [];
    vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    }));
  };
  afterEach(() => vi.unstubAllGlobals());

  it('PUTs the time and returns the new state', async () => {
    respond(200, status({ source: 'user' }));
    const s = await sysApi.setSystemTime('2026-12-02T10:15:00.000Z');
    expect(s.source).toBe('user');
    expect(calls[0].url).toBe('/api/system/time');
    expect(calls[0].init.method).toBe('PUT');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ time: '2026-12-02T10:15:00.000Z' });
  });
  it('turns a 501 into ApiError with the server words and code', async () => {
    respond(501, { error: 'this daemon may not set the clock: EPERM', code: 'NOT_IMPLEMENTED' });
    const e = await sysApi.setSystemTime('2026-12-02T10:15:00Z').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(501);
    expect((e as ApiError).code).toBe('NOT_IMPLEMENTED');
    expect((e as ApiError).message).toContain('may not set the clock');
  });
  it('reads /api/health anonymously, also when it answers 503', async () => {
    const body = { status: 'unhealthy', checks: { clock: { status: 'warning', message: 'clock not synchronised: x' } } };
    respond(503, body);
    const h = await sysApi.healthChecks();
    expect(clockWarning(h)).toBe('clock not synchronised: x');
    expect(calls[0].init.credentials).toBe('omit');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBeUndefined();
  });
  it('fails on other statuses', async () => {
    respond(404, { error: 'no such route', code: 'NOT_FOUND' });
    await expect(sysApi.healthChecks()).rejects.toThrow('no such route');
  });
});
