// Owns the pure formatting and arithmetic of the storage and system pages: bytes, percents,
// uptimes, CPU share from two /proc/stat samples, disk-bar geometry, and the trend chart's
// axis scaling (nice ticks) and point mapping. No DOM, no i18n: unit-tested in sys-format.test.ts.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (binary multiples, as `df -h`; 3 significant digits). */
export function formatBytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '–';
  if (n < 0) return `-${formatBytes(-n)}`;
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits).replace(/\.?0+$/, '')} ${UNITS[i]}`;
}

/** 65.967 → "66.0 %"; tiny non-zero values keep enough digits to be visible ("0.003 %"). */
export function formatPercent(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '–';
  if (p !== 0 && Math.abs(p) < 0.1) return `${Number(p.toPrecision(1))} %`;
  return `${p.toFixed(1)} %`;
}

/** Seconds → compact "3d 4h 5m" (or "42s" under a minute). */
export function formatDuration(secs: number | null | undefined): string {
  if (secs == null || !Number.isFinite(secs) || secs < 0) return '–';
  const s = Math.floor(secs);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export interface CpuSample {
  total: number;
  idle: number;
}

/** CPU busy share in percent between two cumulative samples; null when not computable. */
export function cpuPercent(prev: CpuSample | null, cur: CpuSample): number | null {
  if (!prev) return null;
  const dt = cur.total - prev.total;
  const di = cur.idle - prev.idle;
  if (!(dt > 0) || di < 0) return null;
  return Math.min(100, Math.max(0, (1 - di / dt) * 100));
}

/** Memory in use as a percent of total (total − available). */
export function memPercent(total: number, available: number): number | null {
  if (!(total > 0)) return null;
  return Math.min(100, Math.max(0, ((total - available) / total) * 100));
}

/** Clamp to 0–100 for CSS widths. */
export function clampPct(p: number): number {
  return Number.isFinite(p) ? Math.min(100, Math.max(0, p)) : 0;
}

/** Disk bar segments in percent of the filesystem: used by recordings, used by others, free. */
export function diskSegments(total: number, used: number, recordings: number): { rec: number; other: number; free: number } {
  if (!(total > 0)) return { rec: 0, other: 0, free: 100 };
  const rec = clampPct((Math.min(recordings, used) / total) * 100);
  const usedPct = clampPct((used / total) * 100);
  return { rec, other: Math.max(0, usedPct - rec), free: Math.max(0, 100 - usedPct) };
}

/** "Nice" axis: a max ≥ the data max and round tick steps (1, 2, 5 × 10^k). */
export function niceScale(max: number, ticks = 4): { max: number; step: number; ticks: number[] } {
  if (!(max > 0) || !Number.isFinite(max)) return { max: 1, step: 0.25, ticks: [0, 0.25, 0.5, 0.75, 1] };
  const raw = max / ticks;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const top = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(Number(v.toPrecision(12)));
  return { max: top, step, ticks: out };
}

/** The byte unit that fits a chart's maximum, so every tick is labelled in the same unit. */
export function byteUnit(max: number): { unit: string; div: number } {
  let i = 0;
  let v = max;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return { unit: UNITS[i], div: Math.pow(1024, i) };
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Maps values to chart coordinates: x spread evenly (one point centred), y from 0..max. */
export function chartPoints(values: number[], max: number, box: Box): { x: number; y: number }[] {
  const n = values.length;
  return values.map((v, i) => ({
    x: box.left + (n <= 1 ? box.width / 2 : (i / (n - 1)) * box.width),
    y: box.top + box.height - (max > 0 ? (Math.max(0, v) / max) * box.height : 0),
  }));
}

/** An SVG path "M x y L x y …" through the points (rounded to 0.1 px). */
export function pathD(pts: { x: number; y: number }[]): string {
  return pts.map((p, i) => `${i ? 'L' : 'M'}${+p.x.toFixed(1)} ${+p.y.toFixed(1)}`).join(' ');
}

/** Daily deltas of a cumulative counter (first day: 0); a counter reset counts as 0. */
export function dailyDeltas(cumulative: number[]): number[] {
  return cumulative.map((v, i) => (i === 0 ? 0 : Math.max(0, v - cumulative[i - 1])));
}

/** At most `max` evenly spaced label indexes out of n (always first and last). */
export function labelIndexes(n: number, max = 6): number[] {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Client-side password check, mirroring the API (8–1024 characters). */
export function passwordProblem(pw: string, confirm: string): 'short' | 'long' | 'mismatch' | null {
  const len = [...pw].length;
  if (len < 8) return 'short';
  if (len > 1024) return 'long';
  if (pw !== confirm) return 'mismatch';
  return null;
}

/** Retention days as typed → a valid integer 1..3650, or null. */
export function parseRetention(s: string): number | null {
  if (!/^\s*\d+\s*$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 3650 ? n : null;
}
