// Unit tests for the timeline logic: local day bounds and day shifting, clipping at midnight,
// merging adjacent/overlapping/near spans, gaps, layout in percent, hit-testing (inside, gap,
// after the last, overlap), the next recording, the being-recorded tail, zoom windows, ticks
// and formatting. Days are built with the local Date constructor, so any TZ gives the same results.
import { describe, expect, it } from 'vitest';
import {
  clip, clock, dayBounds, dayEdges, dayKey, fmtDuration, fmtSize, gaps, hitTest, isDayKey,
  mergeSpans, nextSpan, percentOf, place, shiftDay, ticks, timeAt, timeOfDay, toSpans, zoomWindow, type Span,
} from './timeline';

const DAY = '2026-11-26';
const D0 = new Date(2026, 10, 26).getTime(); // local midnight
const H = 3600e3;
const M = 60e3;
const S = 1000;
const span = (id: string, start: number, end: number): Span => ({ id, start, end });

describe('local days', () => {
  it('bounds are local midnights', () => {
    const b = dayBounds(DAY);
    expect(b.start).toBe(D0);
    expect(b.end).toBe(new Date(2026, 10, 27).getTime());
    expect(dayKey(b.start)).toBe(DAY);
    expect(dayKey(b.end - 1)).toBe(DAY);
    expect(dayKey(b.end)).toBe('2026-11-27');
  });
  it('shifts across month and year ends', () => {
    expect(shiftDay(DAY, 1)).toBe('2026-11-27');
    expect(shiftDay('2026-11-30', 1)).toBe('2026-12-01');
    expect(shiftDay('2026-01-01', -1)).toBe('2025-12-31');
    expect(shiftDay('2028-02-28', 1)).toBe('2028-02-29');
  });
  it('validates day keys', () => {
    expect(isDayKey(DAY)).toBe(true);
    expect(isDayKey('2026-02-30')).toBe(false);
    expect(isDayKey('2026-2-3')).toBe(false);
    expect(isDayKey(null)).toBe(false);
    expect(() => dayBounds('nope')).toThrow();
  });
  it('parses a time of day within the day', () => {
    expect(timeOfDay(DAY, '10:30')).toBe(D0 + 10 * H + 30 * M);
    expect(timeOfDay(DAY, '10:30:15')).toBe(D0 + 10 * H + 30 * M + 15 * S);
    expect(timeOfDay(DAY, '25:00')).toBeNull();
    expect(timeOfDay(DAY, 'x')).toBeNull();
  });
});

describe('spans', () => {
  it('parses RFC 3339 and sorts by start, dropping bad ones', () => {
    const s = toSpans([
      { id: 'b', started_at: '2026-11-26T20:09:28.057Z', ended_at: '2026-11-26T20:09:58.072Z' },
      { id: 'a', started_at: '2026-11-26T20:08:57.642562207Z', ended_at: '2026-11-26T20:09:28.057762207Z' },
      { id: 'bad', started_at: 'x', ended_at: '2026-11-26T20:09:58Z' },
      { id: 'neg', started_at: '2026-11-26T20:09:58Z', ended_at: '2026-11-26T20:09:00Z' },
    ]);
    expect(s.map((x) => x.id)).toEqual(['a', 'b']);
    expect(s[0].start).toBe(Date.UTC(2026, 10, 26, 20, 8, 57, 642));
  });
  it('clips recordings crossing midnight to the day', () => {
    const s = [span('prev', D0 - 10 * M, D0 + 5 * M), span('in', D0 + H, D0 + 2 * H), span('next', D0 + 24 * H - M, D0 + 24 * H + M), span('out', D0 - 2 * H, D0 - H)];
    const c = clip(s, D0, D0 + 24 * H);
    expect(c).toEqual([span('prev', D0, D0 + 5 * M), span('in', D0 + H, D0 + 2 * H), span('next', D0 + 24 * H - M, D0 + 24 * H)]);
  });
  it('merges overlapping, touching and near (< 2 s) spans, keeps real gaps', () => {
    const b = mergeSpans([
      span('c', D0 + 60 * S + 1500, D0 + 90 * S), // 1.5 s after b: merged
      span('a', D0, D0 + 30 * S),
      span('b', D0 + 30 * S, D0 + 60 * S), // touches a
      span('d', D0 + 80 * S, D0 + 85 * S), // inside c (overlap)
      span('e', D0 + 95 * S, D0 + 100 * S), // 5 s gap: separate
    ]);
    expect(b).toEqual([
      { start: D0, end: D0 + 90 * S, ids: ['a', 'b', 'c', 'd'] },
      { start: D0 + 95 * S, end: D0 + 100 * S, ids: ['e'] },
    ]);
    expect(mergeSpans([span('a', 0, 10), span('b', 13, 20)], 2)).toHaveLength(2);
    expect(mergeSpans([])).toEqual([]);
  });
  it('finds the gaps, leading and trailing included', () => {
    const blocks = mergeSpans([span('a', D0 + H, D0 + 2 * H), span('b', D0 + 3 * H, D0 + 4 * H)]);
    expect(gaps(blocks, D0, D0 + 24 * H)).toEqual([
      { start: D0, end: D0 + H },
      { start: D0 + 2 * H, end: D0 + 3 * H },
      { start: D0 + 4 * H, end: D0 + 24 * H },
    ]);
    // No gaps when covered; gaps limited to the range (e.g. until now).
    expect(gaps(mergeSpans([span('x', D0 - H, D0 + 25 * H)]), D0, D0 + 24 * H)).toEqual([]);
    expect(gaps(blocks, D0, D0 + 150 * M)).toEqual([{ start: D0, end: D0 + H }, { start: D0 + 2 * H, end: D0 + 150 * M }]);
    expect(gaps([], D0, D0 + H)).toEqual([{ start: D0, end: D0 + H }]);
  });
});

describe('layout', () => {
  const end = D0 + 24 * H;
  it('places spans in percent and clips to the view', () => {
    expect(place(D0 + 6 * H, D0 + 12 * H, D0, end)).toEqual({ left: 25, width: 25 });
    expect(place(D0 - H, D0 + 6 * H, D0, end)).toEqual({ left: 0, width: 25 });
    expect(place(D0 + 25 * H, D0 + 26 * H, D0, end)).toBeNull();
    expect(percentOf(D0 + 18 * H, D0, end)).toBe(75);
  });
  it('maps x fractions back to time, clamped', () => {
    expect(timeAt(0.5, D0, end)).toBe(D0 + 12 * H);
    expect(timeAt(-1, D0, end)).toBe(D0);
    expect(timeAt(2, D0, end)).toBe(end);
    // x → time → percent round trip
    expect(percentOf(timeAt(0.3125, D0, end), D0, end)).toBeCloseTo(31.25, 6);
  });
  it('zoom windows stay inside the day', () => {
    expect(zoomWindow(D0, end, H, D0 + 12 * H)).toEqual({ start: D0 + 11.5 * H, end: D0 + 12.5 * H });
    expect(zoomWindow(D0, end, H, D0 + 10 * M)).toEqual({ start: D0, end: D0 + H });
    expect(zoomWindow(D0, end, H, end)).toEqual({ start: end - H, end });
    expect(zoomWindow(D0, end, 48 * H, D0)).toEqual({ start: D0, end });
  });
  it('ticks every hour for a day, labelled every 3 h; finer when zoomed', () => {
    const day = ticks(D0, end);
    expect(day).toHaveLength(25);
    expect(day.filter((k) => k.label).map((k) => k.label)).toEqual(['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '00:00']);
    const hour = ticks(D0 + 10 * H + 7 * M, D0 + 11 * H + 7 * M);
    expect(hour[0].t).toBe(D0 + 10 * H + 10 * M);
    expect(hour.filter((k) => k.label).map((k) => k.label)).toEqual(['10:15', '10:30', '10:45', '11:00']);
    expect(ticks(D0, D0 + 15 * M)).toHaveLength(16);
  });
});

describe('hit test', () => {
  const spans = [span('a', D0 + H, D0 + H + 30 * S), span('b', D0 + H + 30 * S, D0 + H + 60 * S), span('c', D0 + 2 * H, D0 + 2 * H + 30 * S)];
  it('inside a recording gives the offset in seconds', () => {
    expect(hitTest(spans, D0 + H + 12.5 * S)).toEqual({ kind: 'inside', span: spans[0], offset: 12.5 });
    // The boundary belongs to the recording that starts there.
    expect(hitTest(spans, D0 + H + 30 * S)).toEqual({ kind: 'inside', span: spans[1], offset: 0 });
  });
  it('in a gap gives the next recording from its start', () => {
    expect(hitTest(spans, D0 + 90 * M)).toEqual({ kind: 'gap', span: spans[2], offset: 0 });
    expect(hitTest(spans, D0)).toEqual({ kind: 'gap', span: spans[0], offset: 0 });
  });
  it('after the last recording gives none', () => {
    expect(hitTest(spans, D0 + 2 * H + 30 * S)).toEqual({ kind: 'none' });
    expect(hitTest([], D0)).toEqual({ kind: 'none' });
  });
  it('uses the whole recording for one crossing midnight (offset from its real start)', () => {
    const cross = [span('x', D0 - 10 * M, D0 + 10 * M)];
    expect(hitTest(cross, D0 + M)).toEqual({ kind: 'inside', span: cross[0], offset: 660 });
  });
  it('overlapping recordings: the one that started last wins', () => {
    const o = [span('long', D0, D0 + H), span('short', D0 + 10 * M, D0 + 20 * M)];
    expect(hitTest(o, D0 + 15 * M)).toMatchObject({ kind: 'inside', span: { id: 'short' }, offset: 300 });
    expect(hitTest(o, D0 + 30 * M)).toMatchObject({ kind: 'inside', span: { id: 'long' }, offset: 1800 });
  });
  it('next recording follows start order', () => {
    expect(nextSpan(spans, 'a')?.id).toBe('b');
    expect(nextSpan([spans[2], spans[0], spans[1]], 'b')?.id).toBe('c');
    expect(nextSpan(spans, 'c')).toBeNull();
    expect(nextSpan(spans, 'zz')).toBeNull();
  });
});

describe('day edges (being recorded, future)', () => {
  const end = D0 + 24 * H;
  const blocks = mergeSpans([span('a', D0 + H, D0 + 10 * H)]);
  it('marks the open segment after the last recording while recording', () => {
    const now = D0 + 10 * H + 20 * S;
    const e = dayEdges(blocks, D0, end, now, D0 + 9 * H);
    expect(e.live).toEqual({ start: D0 + 10 * H, end: now });
    expect(e.future).toEqual({ start: now, end });
    expect(e.gapsUntil).toBe(D0 + 10 * H);
  });
  it('an outage before the current run of recording is a gap, not "being recorded"', () => {
    const now = D0 + 10 * H + 10 * 60 * S;
    const since = D0 + 10 * H + 3 * 60 * S; // the camera came back 3 min after the last recording
    expect(dayEdges(blocks, D0, end, now, since)).toMatchObject({ live: { start: since, end: now }, gapsUntil: since });
    expect(dayEdges(blocks, D0, end, D0 + 10 * H + S, null)).toMatchObject({ live: null, gapsUntil: D0 + 10 * H + S });
  });
  it('a past day has no future and gaps run to midnight', () => {
    expect(dayEdges(blocks, D0, end, end + 5 * H, null)).toEqual({ live: null, future: null, gapsUntil: end });
  });
  it('just after midnight the part since midnight is being recorded', () => {
    const prev = mergeSpans(clip([span('x', D0 - H, D0 - 10 * S)], D0, end));
    expect(dayEdges(prev, D0, end, D0 + 30 * S, D0 - 2 * H).live).toEqual({ start: D0, end: D0 + 30 * S });
  });
});

describe('formatting', () => {
  it('durations', () => {
    expect(fmtDuration(0)).toBe('0:00');
    expect(fmtDuration(30.015)).toBe('0:30');
    expect(fmtDuration(61)).toBe('1:01');
    expect(fmtDuration(3723.9)).toBe('1:02:03');
    expect(fmtDuration(-5)).toBe('0:00');
  });
  it('sizes', () => {
    expect(fmtSize(0)).toBe('0 B');
    expect(fmtSize(1023)).toBe('1023 B');
    expect(fmtSize(1536)).toBe('1.5 KB');
    expect(fmtSize(1225942)).toBe('1.2 MB');
    expect(fmtSize(5 * 1024 ** 3)).toBe('5.0 GB');
  });
  it('local clock', () => {
    expect(clock(D0 + 9 * H + 5 * M + 7 * S + 900)).toBe('09:05:07');
  });
});
