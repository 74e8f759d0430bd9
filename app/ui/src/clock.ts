// Owns the pure logic of the box's clock in the UI: the NTP server list as typed (commas or
// new lines) and back, the box's time ticking locally from the last fetch, its difference from
// the browser's clock, when "set the time" is offered, the clock warning of /api/health, and
// which plain-words explanation a refused set gets. No DOM, no i18n: tested in clock.test.ts.
import type { ClockStatus, Health } from './api-system';

/** Fired on `window` after the clock was set, so the banner re-reads /api/health. */
export const CLOCK_CHANGED = 'mibee-clock-changed';

/** "a.example, 192.0.2.1\nb" → ["a.example", "192.0.2.1", "b"]: commas, semicolons and
 * white space separate; empty entries and repeats are dropped (the daemon checks the rest). */
export function parseServers(s: string): string[] {
  const out: string[] = [];
  for (const p of s.split(/[\s,;]+/)) if (p && !out.includes(p)) out.push(p);
  return out;
}

/** The list as the field shows it: one server per line. */
export function formatServers(list: readonly string[] | null | undefined): string {
  return (list ?? []).join('\n');
}

/** The box's time at `now`, from its RFC 3339 time fetched at `fetchedAt` (same ms clock as
 * `now`, e.g. performance.now()); null when the time does not parse. */
export function boxNow(time: string, fetchedAt: number, now: number): Date | null {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms + Math.max(0, now - fetchedAt)) : null;
}

/** How far the box's clock is ahead of the browser's (seconds, negative: behind), from its
 * time and the browser's epoch ms when it was read; null when the time does not parse. */
export function clockSkewSecs(time: string, browserMs: number): number | null {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? Math.round((ms - browserMs) / 1000) : null;
}

/** "Set the time from this browser" is offered only while the clock is not trusted and NTP
 * does not keep it (the daemon would answer 409). */
export function canSetClock(s: ClockStatus): boolean {
  return !s.trusted && !s.ntp_synchronised;
}

/** The clock check's message when /api/health warns about the clock, else null. */
export function clockWarning(h: Health | null | undefined): string | null {
  const c = h?.checks?.clock;
  return c && c.status !== 'ok' ? c.message || c.status : null;
}

/** A refused PUT /api/system/time: 409 → NTP keeps the clock, 501 → the box cannot set it. */
export function setTimeProblem(status: number, code: string): 'ntp' | 'cannot' | null {
  if (status === 409 || code === 'CLOCK_SYNCHRONISED') return 'ntp';
  if (status === 501 || code === 'NOT_IMPLEMENTED') return 'cannot';
  return null;
}
