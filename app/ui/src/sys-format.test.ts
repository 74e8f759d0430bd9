// Unit tests for sys-format.ts: byte/percent/duration formatting, CPU and memory shares, the
// disk bar, the chart's nice scale and point mapping, daily deltas, and the form checks.
import { describe, expect, it } from 'vitest';
import {
  byteUnit, chartPoints, clampPct, cpuPercent, dailyDeltas, diskSegments, formatBytes, formatDuration,
  formatPercent, labelIndexes, memPercent, niceScale, parseRetention, passwordProblem, pathD,
} from './sys-format';

describe('formatBytes', () => {
  it('uses binary units with 3 significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(2681341)).toBe('2.56 MB');
    expect(formatBytes(64366030848)).toBe('59.9 GB');
    expect(formatBytes(270553174016)).toBe('252 GB');
    expect(formatBytes(1024 ** 4)).toBe('1 TB');
  });
  it('handles missing and negative values', () => {
    expect(formatBytes(null)).toBe('–');
    expect(formatBytes(undefined)).toBe('–');
    expect(formatBytes(NaN)).toBe('–');
    expect(formatBytes(-2048)).toBe('-2 KB');
  });
});

describe('formatPercent and durations', () => {
  it('keeps one decimal, and tiny values visible', () => {
    expect(formatPercent(65.967)).toBe('66.0 %');
    expect(formatPercent(0)).toBe('0.0 %');
    expect(formatPercent(0.0031)).toBe('0.003 %');
    expect(formatPercent(null)).toBe('–');
  });
  it('formats seconds compactly', () => {
    expect(formatDuration(42.7)).toBe('42s');
    expect(formatDuration(90)).toBe('1m 30s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3h 5m');
    expect(formatDuration(52616)).toBe('14h 36m');
    expect(formatDuration(2 * 86400 + 3600)).toBe('2d 1h 0m');
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('cpu and memory', () => {
  it('computes busy share from two cumulative samples', () => {
    expect(cpuPercent(null, { total: 100, idle: 50 })).toBeNull();
    expect(cpuPercent({ total: 1000, idle: 800 }, { total: 1200, idle: 950 })).toBeCloseTo(25);
    expect(cpuPercent({ total: 1000, idle: 800 }, { total: 1000, idle: 800 })).toBeNull();
    expect(cpuPercent({ total: 1000, idle: 800 }, { total: 900, idle: 700 })).toBeNull();
  });
  it('computes memory in use', () => {
    expect(memPercent(1000, 250)).toBe(75);
    expect(memPercent(0, 0)).toBeNull();
  });
});

describe('disk bar', () => {
  it('splits used into recordings and other files', () => {
    const s = diskSegments(1000, 600, 100);
    expect(s.rec).toBeCloseTo(10);
    expect(s.other).toBeCloseTo(50);
    expect(s.free).toBeCloseTo(40);
  });
  it('never exceeds 100 % nor lets recordings exceed used', () => {
    const s = diskSegments(1000, 500, 900);
    expect(s.rec).toBeCloseTo(50);
    expect(s.other).toBe(0);
    expect(diskSegments(0, 0, 0)).toEqual({ rec: 0, other: 0, free: 100 });
    expect(clampPct(140)).toBe(100);
    expect(clampPct(NaN)).toBe(0);
  });
});

describe('chart scaling', () => {
  it('rounds the axis up to nice steps', () => {
    expect(niceScale(59.9)).toEqual({ max: 60, step: 20, ticks: [0, 20, 40, 60] });
    expect(niceScale(3)).toEqual({ max: 3, step: 1, ticks: [0, 1, 2, 3] });
    const s = niceScale(0.37);
    expect(s.step).toBe(0.1);
    expect(s.max).toBeCloseTo(0.4);
    expect(s.ticks.length).toBe(5);
    expect(niceScale(0).max).toBe(1);
  });
  it('picks one byte unit for the whole axis', () => {
    expect(byteUnit(500)).toEqual({ unit: 'B', div: 1 });
    expect(byteUnit(64366030848)).toEqual({ unit: 'GB', div: 1024 ** 3 });
  });
  it('maps values into the box (y grows downwards) and centres a single point', () => {
    const box = { left: 10, top: 0, width: 100, height: 50 };
    expect(chartPoints([0, 5, 10], 10, box)).toEqual([
      { x: 10, y: 50 },
      { x: 60, y: 25 },
      { x: 110, y: 0 },
    ]);
    expect(chartPoints([3], 6, box)).toEqual([{ x: 60, y: 25 }]);
    expect(pathD([{ x: 1.234, y: 2 }, { x: 3, y: 4.56 }])).toBe('M1.2 2 L3 4.6');
  });
  it('turns cumulative counters into daily amounts', () => {
    expect(dailyDeltas([100, 150, 150, 400])).toEqual([0, 50, 0, 250]);
    expect(dailyDeltas([100, 40])).toEqual([0, 0]);
    expect(dailyDeltas([])).toEqual([]);
  });
  it('spreads at most N date labels, always first and last', () => {
    expect(labelIndexes(3, 6)).toEqual([0, 1, 2]);
    const l = labelIndexes(30, 6);
    expect(l.length).toBe(6);
    expect(l[0]).toBe(0);
    expect(l[5]).toBe(29);
    expect(labelIndexes(0)).toEqual([]);
  });
});

describe('form checks', () => {
  it('checks the password like the API (8–1024) and the confirmation', () => {
    expect(passwordProblem('short', 'short')).toBe('short');
    expect(passwordProblem('long enough', 'long enougH')).toBe('mismatch');
    expect(passwordProblem('long enough', 'long enough')).toBeNull();
    expect(passwordProblem('x'.repeat(1025), 'x'.repeat(1025))).toBe('long');
    expect(passwordProblem('密码密码密码密码', '密码密码密码密码')).toBeNull();
  });
  it('parses retention days', () => {
    expect(parseRetention('30')).toBe(30);
    expect(parseRetention(' 7 ')).toBe(7);
    expect(parseRetention('0')).toBeNull();
    expect(parseRetention('3651')).toBeNull();
    expect(parseRetention('2.5')).toBeNull();
    expect(parseRetention('')).toBeNull();
  });
});
