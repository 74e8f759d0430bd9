// Owns the pure logic of the recordings timeline: local-day bounds, clipping recordings to a
// day, merging near-adjacent spans, gaps, layout in percent, ticks, zoom windows, hit-testing
// a moment to (recording, offset), the next recording, and duration/size/clock formatting.
// No DOM, no fetch: everything takes explicit times (ms since the epoch) so it is unit-tested.

/** A recording reduced to what the timeline needs; times in ms since the epoch. */
export interface Span {
  id: string;
  start: number;
  end: number;
}

/** Several spans drawn as one bar (joined when closer than the merge tolerance). */
export interface Block {
  start: number;
  end: number;
  ids: string[];
}

/** Spans closer than this are drawn as one bar. */
export const MERGE_GAP_MS = 2000;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYY-MM-DD` of the local calendar day holding `ms`. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Whether `s` is a real `YYYY-MM-DD` date (2026-02-30 is not). */
export function isDayKey(s: string | null | undefined): s is string {
  const m = s ? DAY_RE.exec(s) : null;
  if (!m) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3]);
}

/** Local midnight starting `day` and the next local midnight (23 or 25 h apart on DST days). */
export function dayBounds(day: string): { start: number; end: number } {
  const m = DAY_RE.exec(day);
  if (!m) throw new Error(`not a day: ${day}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  const d = Number(m[3]);
  return { start: new Date(y, mo, d).getTime(), end: new Date(y, mo, d + 1).getTime() };
}

/** The day `delta` calendar days after `day`. */
export function shiftDay(day: string, delta: number): string {
  const m = DAY_RE.exec(day);
  if (!m) throw new Error(`not a day: ${day}`);
  return dayKey(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + delta, 12).getTime());
}

/** Spans from API recordings (RFC 3339 times), sorted by start; unparsable ones dropped. */
export function toSpans(recs: readonly { id: string; started_at: string; ended_at: string }[]): Span[] {
  const out: Span[] = [];
  for (const r of recs) {
    const start = Date.parse(r.started_at);
    const end = Date.parse(r.ended_at);
    if (Number.isFinite(start) && Number.isFinite(end) && end >= start) out.push({ id: r.id, start, end });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The spans cut to `[from, to)`; spans wholly outside are dropped. */
export function clip(spans: readonly Span[], from: number, to: number): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    const start = Math.max(s.start, from);
    const end = Math.min(s.end, to);
    if (end > start) out.push({ id: s.id, start, end });
  }
  return out;
}

/** Joins sorted spans that overlap, touch or are closer than `tolerance` ms into blocks. */
export function mergeSpans(spans: readonly Span[], tolerance = MERGE_GAP_MS): Block[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Block[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start - last.end <= tolerance) {
      last.end = Math.max(last.end, s.end);
      last.ids.push(s.id);
    } else out.push({ start: s.start, end: s.end, ids: [s.id] });
  }
  return out;
}

/** The holes between blocks inside `[from, to)` (leading and trailing ones included). */
export function gaps(blocks: readonly Block[], from: number, to: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let cur = from;
  for (const b of blocks) {
    if (b.end <= from) continue;
    if (b.start >= to) break;
    if (b.start > cur) out.push({ start: cur, end: Math.min(b.start, to) });
    cur = Math.max(cur, b.end);
  }
  if (cur < to) out.push({ start: cur, end: to });
  return out;
}

/** Left and width in percent of `[start, end)` inside the view; null when not visible. */
export function place(start: number, end: number, viewStart: number, viewEnd: number): { left: number; width: number } | null {
  const len = viewEnd - viewStart;
  if (len <= 0) return null;
  const a = Math.max(start, viewStart);
  const b = Math.min(end, viewEnd);
  if (b <= a) return null;
  return { left: ((a - viewStart) / len) * 100, width: ((b - a) / len) * 100 };
}

/** Position of the instant `t` in percent of the view (may be outside 0–100). */
export function percentOf(t: number, viewStart: number, viewEnd: number): number {
  return ((t - viewStart) / (viewEnd - viewStart)) * 100;
}

/** The instant at fraction `f` (0 = left edge, 1 = right edge, clamped) of the view. */
export function timeAt(f: number, viewStart: number, viewEnd: number): number {
  const c = Math.min(1, Math.max(0, f));
  return Math.round(viewStart + c * (viewEnd - viewStart));
}

export type Hit =
  /** `t` lies inside `span`; play from `offset` seconds into it. */
  | { kind: 'inside'; span: Span; offset: number }
  /** `t` lies in a gap; `span` is the next recording (play from its start). */
  | { kind: 'gap'; span: Span; offset: 0 }
  /** Nothing recorded at or after `t`. */
  | { kind: 'none' };

/**
 * Maps the instant `t` to the recording to play. `spans` are the whole (unclipped)
 * recordings, sorted by start. When recordings overlap, the one that started last wins.
 */
export function hitTest(spans: readonly Span[], t: number): Hit {
  let inside: Span | null = null;
  let next: Span | null = null;
  for (const s of spans) {
    if (s.start <= t && t < s.end) {
      if (!inside || s.start >= inside.start) inside = s;
    } else if (s.start > t && (!next || s.start < next.start)) next = s;
  }
  if (inside) return { kind: 'inside', span: inside, offset: (t - inside.start) / 1000 };
  if (next) return { kind: 'gap', span: next, offset: 0 };
  return { kind: 'none' };
}

/** The recording after `id` in start order (null when `id` is last or unknown). */
export function nextSpan(spans: readonly Span[], id: string): Span | null {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const i = sorted.findIndex((s) => s.id === id);
  return i >= 0 && i + 1 < sorted.length ? sorted[i + 1] : null;
}

/** Zoom levels: the width of the visible window in ms. */
export const ZOOMS = [
  { id: '24h', ms: 24 * 3600e3 },
  { id: '6h', ms: 6 * 3600e3 },
  { id: '1h', ms: 3600e3 },
  { id: '15m', ms: 15 * 60e3 },
] as const;
export type ZoomId = (typeof ZOOMS)[number]['id'];

/** A window of `width` ms centred on `center`, kept inside the day (the whole day if wider). */
export function zoomWindow(dayStart: number, dayEnd: number, width: number, center: number): { start: number; end: number } {
  if (width >= dayEnd - dayStart) return { start: dayStart, end: dayEnd };
  let start = Math.round(center - width / 2);
  start = Math.max(dayStart, Math.min(start, dayEnd - width));
  return { start, end: start + width };
}

export interface Tick {
  t: number;
  /** Label text (`HH:MM`) for major ticks, null for minor ones. */
  label: string | null;
}

/** Ticks at local clock times: every hour for a day view, finer when zoomed in. */
export function ticks(viewStart: number, viewEnd: number): Tick[] {
  const len = viewEnd - viewStart;
  const [stepMin, labelEvery] = len > 12 * 3600e3 ? [60, 180] : len > 2 * 3600e3 ? [30, 60] : len > 30 * 60e3 ? [5, 15] : [1, 5];
  const d = new Date(viewStart);
  // Walk local clock minutes from the start of the view's hour (DST-safe via the Date constructor).
  const base = new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours());
  const out: Tick[] = [];
  for (let m = 0; ; m += stepMin) {
    const t = new Date(base.getFullYear(), base.getMonth(), base.getDate(), base.getHours(), m).getTime();
    if (t > viewEnd) break;
    if (t < viewStart) continue;
    const at = new Date(t);
    const minuteOfDay = at.getHours() * 60 + at.getMinutes();
    out.push({ t, label: minuteOfDay % labelEvery === 0 ? `${pad(at.getHours())}:${pad(at.getMinutes())}` : null });
    if (out.length > 400) break;
  }
  return out;
}

/** Local wall-clock `HH:MM:SS` of `ms`. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `h:mm:ss` or `m:ss` of a duration in seconds (rounded down to whole seconds). */
export function fmtDuration(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Bytes in B / KB / MB / GB (1024-based, one decimal from KB up). */
export function fmtSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Milliseconds since local midnight of `day` for a `HH:MM` or `HH:MM:SS` input; null if invalid. */
export function timeOfDay(day: string, hhmm: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(hhmm.trim());
  if (!m || Number(m[1]) > 24 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return null;
  const { start } = dayBounds(day);
  const d = new Date(start);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), Number(m[1]), Number(m[2]), Number(m[3] ?? 0)).getTime();
}

/**
 * What the bar shows after the recordings of `[dayStart, dayEnd)`: the span still being
 * written (the open segment is listed only once it closes; it runs from the later of the last
 * recording's end and `recordingSince`, the start of the camera's current run of recording,
 * to now), the future (after now), and the range in which gaps are real (`gapsUntil`).
 * `recordingSince` is null when the camera is not recording.
 */
export function dayEdges(blocks: readonly Block[], dayStart: number, dayEnd: number, now: number, recordingSince: number | null) {
  const nowIn = Math.min(Math.max(now, dayStart), dayEnd);
  const last = blocks.length ? blocks[blocks.length - 1].end : null;
  let live: { start: number; end: number } | null = null;
  if (recordingSince != null && now >= dayStart) {
    const from = Math.max(last ?? dayStart, recordingSince, dayStart);
    if (from < nowIn) live = { start: from, end: nowIn };
  }
  const future = now < dayEnd ? { start: nowIn, end: dayEnd } : null;
  return { live, future, gapsUntil: live ? live.start : nowIn };
}
