// Owns the day timeline widget: a focusable bar (role=slider) showing the recorded spans,
// hatched gaps, the part still being recorded and the future, hour ticks, a cursor moved by
// click or arrow keys (1 min, Shift 10 min, PageUp/Down 1 h), the playhead, zoom (24 h to
// 15 min) with panning. It only reports moments (onPlay / onCursor): the page decides what to play.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';
import {
  clip, clock, dayEdges, gaps, mergeSpans, percentOf, place, ticks, timeAt, ZOOMS,
  type Span, type ZoomId,
} from '../timeline';

export interface TimelineProps {
  dayStart: number;
  dayEnd: number;
  /** The day's recordings, whole (not clipped), sorted by start. */
  spans: readonly Span[];
  now: number;
  /** Since when the camera has been recording (ms; null when it is not): its open segment is
   * not listed yet. */
  recordingSince: number | null;
  cursor: number | null;
  playhead: number | null;
  onCursor: (t: number) => void;
  onPlay: (t: number) => void;
}

const MIN = 60e3;

export function Timeline(p: TimelineProps) {
  const barRef = useRef<HTMLDivElement>(null);
  const [zoom, setZoom] = useState<ZoomId>('24h');
  const [center, setCenter] = useState<number | null>(null);
  const [hover, setHover] = useState<number | null>(null);

  const blocks = useMemo(() => mergeSpans(clip(p.spans, p.dayStart, p.dayEnd)), [p.spans, p.dayStart, p.dayEnd]);
  const edges = dayEdges(blocks, p.dayStart, p.dayEnd, p.now, p.recordingSince);
  const holes = gaps(blocks, p.dayStart, edges.gapsUntil);

  const width = ZOOMS.find((z) => z.id === zoom)!.ms;
  const fallbackCenter = p.cursor ?? p.playhead ?? (blocks.length ? blocks[blocks.length - 1].end : Math.min(p.now, p.dayEnd));
  const c = center ?? fallbackCenter;
  const viewLen = Math.min(width, p.dayEnd - p.dayStart);
  const vs = Math.max(p.dayStart, Math.min(Math.round(c - viewLen / 2), p.dayEnd - viewLen));
  const view = { start: vs, end: vs + viewLen };

  // Keep the playhead in view while playing (zoomed in only).
  useEffect(() => {
    if (p.playhead !== null && (p.playhead < view.start || p.playhead > view.end) && viewLen < p.dayEnd - p.dayStart) {
      setCenter(p.playhead);
    }
  }, [p.playhead]);
  // A new day: forget panning.
  useEffect(() => setCenter(null), [p.dayStart]);

  // The view follows its automatic centre until the user acts on it; then it stays put.
  const pin = () => center === null && setCenter(c);
  const moveCursor = (to: number) => {
    pin();
    const v = Math.max(p.dayStart, Math.min(to, p.dayEnd - 1000));
    p.onCursor(v);
    if (v < view.start || v > view.end) setCenter(v);
  };

  const fromEvent = (e: MouseEvent) => {
    const r = barRef.current!.getBoundingClientRect();
    return timeAt((e.clientX - r.left) / r.width, view.start, view.end);
  };

  const onKey = (e: KeyboardEvent) => {
    const base = p.cursor ?? p.playhead ?? Math.round((view.start + view.end) / 2);
    const step = e.shiftKey ? 10 * MIN : MIN;
    let handled = true;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') moveCursor(base - step);
    else if (e.key === 'ArrowRight' || e.key === 'ArrowUp') moveCursor(base + step);
    else if (e.key === 'PageUp') moveCursor(base - 60 * MIN);
    else if (e.key === 'PageDown') moveCursor(base + 60 * MIN);
    else if (e.key === 'Home') moveCursor(p.dayStart);
    else if (e.key === 'End') moveCursor(Math.min(p.now, p.dayEnd));
    else if (e.key === 'Enter' || e.key === ' ') p.onPlay(base);
    else handled = false;
    if (handled) e.preventDefault();
  };

  const chooseZoom = (z: ZoomId) => {
    setZoom(z);
    setCenter(p.cursor ?? p.playhead ?? null);
  };
  const pan = (dir: -1 | 1) => setCenter((view.start + view.end) / 2 + (dir * viewLen) / 2);

  const bar = (cls: string, start: number, end: number, extra: Record<string, string | number> = {}) => {
    const pos = place(start, end, view.start, view.end);
    if (!pos) return null;
    return <div class={cls} style={{ left: `${pos.left}%`, width: `${pos.width}%` }} {...extra} />;
  };
  const line = (cls: string, at: number | null, label?: string) => {
    if (at === null) return null;
    const x = percentOf(at, view.start, view.end);
    if (x < 0 || x > 100) return null;
    return (
      <div class={cls} style={{ left: `${x}%` }} aria-hidden="true">
        {label && <span class="tl-line-label">{label}</span>}
      </div>
    );
  };

  const zoomed = viewLen < p.dayEnd - p.dayStart;
  const cursorText = p.cursor !== null ? clock(p.cursor) : t('rec.tlNoCursor');

  return (
    <div class="tl" data-zoom={zoom}>
      <div class="tl-toolbar">
        <div class="btn-group" role="group" aria-label={t('rec.zoom')}>
          {ZOOMS.map((z) => (
            <button type="button" class="btn btn-small" data-zoom={z.id} aria-pressed={zoom === z.id} onClick={() => chooseZoom(z.id)}>
              {z.ms >= 3600e3 ? t('rec.zoomH', { n: z.ms / 3600e3 }) : t('rec.zoomMin', { n: z.ms / MIN })}
            </button>
          ))}
        </div>
        {zoomed && (
          <div class="btn-group">
            <button type="button" class="btn btn-small tl-pan-left" disabled={view.start <= p.dayStart} onClick={() => pan(-1)}
              aria-label={t('rec.panEarlier')}>
              ◀
            </button>
            <button type="button" class="btn btn-small tl-pan-right" disabled={view.end >= p.dayEnd} onClick={() => pan(1)}
              aria-label={t('rec.panLater')}>
              ▶
            </button>
          </div>
        )}
        <span class="tl-range muted small">
          {clock(view.start).slice(0, 5)}–{view.end >= p.dayEnd ? '24:00' : clock(view.end).slice(0, 5)}
        </span>
        <span class="tl-hover small" aria-hidden="true">
          {hover !== null ? clock(hover) : ''}
        </span>
      </div>
      <div
        ref={barRef}
        class="tl-bar"
        role="slider"
        tabIndex={0}
        aria-label={t('rec.tlLabel')}
        aria-describedby="tl-help"
        aria-valuemin={0}
        aria-valuemax={Math.round((p.dayEnd - p.dayStart) / 1000)}
        aria-valuenow={p.cursor !== null ? Math.round((p.cursor - p.dayStart) / 1000) : 0}
        aria-valuetext={cursorText}
        data-view-start={view.start}
        data-view-end={view.end}
        data-cursor={p.cursor ?? ''}
        onKeyDown={onKey}
        onClick={(e) => {
          const at = fromEvent(e);
          pin();
          p.onCursor(at);
          p.onPlay(at);
        }}
        onMouseMove={(e) => setHover(fromEvent(e))}
        onMouseLeave={() => setHover(null)}
      >
        {holes.map((g) => bar('tl-gap', g.start, g.end))}
        {blocks.map((b) =>
          bar('tl-span', b.start, b.end, { 'data-start': b.start, 'data-end': b.end, 'data-count': b.ids.length, title: `${clock(b.start)}–${clock(b.end)}` }),
        )}
        {edges.live && bar('tl-live', edges.live.start, edges.live.end, { title: t('rec.tlLive') })}
        {edges.future && bar('tl-future', edges.future.start, edges.future.end)}
        {line('tl-now', p.now < p.dayEnd && p.now >= p.dayStart ? p.now : null)}
        {line('tl-cursor', p.cursor)}
        {line('tl-playhead', p.playhead, p.playhead !== null ? clock(p.playhead) : undefined)}
      </div>
      <div class="tl-ticks" aria-hidden="true">
        {ticks(view.start, view.end).map((k) => (
          <div class={k.label ? 'tl-tick tl-tick-major' : 'tl-tick'} style={{ left: `${percentOf(k.t, view.start, view.end)}%` }}>
            {k.label && <span>{k.label}</span>}
          </div>
        ))}
      </div>
      <div class="tl-legend small muted">
        <span><i class="sw sw-span" /> {t('rec.legendRecorded')}</span>
        <span><i class="sw sw-gap" /> {t('rec.legendGap')}</span>
        <span><i class="sw sw-live" /> {t('rec.legendLive')}</span>
        <span><i class="sw sw-playhead" /> {t('rec.legendPlayhead')}</span>
      </div>
      <p id="tl-help" class="small muted tl-help">
        {t('rec.tlHelp')}
      </p>
    </div>
  );
}
