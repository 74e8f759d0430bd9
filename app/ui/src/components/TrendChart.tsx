// Owns the hand-made SVG line chart of the storage page: one daily series with a y axis in a
// single unit, date labels, point tooltips (<title>), and a keyboard/hover cursor whose value
// is announced below the chart. Sized to its container in real pixels so text stays readable.
import { useEffect, useRef, useState } from 'preact/hooks';
import { byteUnit, chartPoints, labelIndexes, niceScale, pathD } from '../sys-format';

export interface TrendChartProps {
  id: string;
  /** Accessible name, e.g. "Disk space used per day". */
  label: string;
  dates: string[];
  values: number[];
  /** 'bytes': y labels in one byte unit; 'count': plain numbers. */
  kind: 'bytes' | 'count';
  /** Formats one value for tooltips and the cursor readout. */
  format: (v: number) => string;
  /** Shown when there is no sample. */
  emptyText: string;
}

const H = 220;
const PAD = { left: 58, right: 16, top: 14, bottom: 34 };

export function TrendChart(p: TrendChartProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);
  const [cursor, setCursor] = useState<number | null>(null);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(260, Math.floor(el.clientWidth)));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const n = p.values.length;
  if (n === 0) {
    return (
      <div ref={wrap} class="chart-wrap">
        <p class="muted chart-empty">{p.emptyText}</p>
      </div>
    );
  }

  const dataMax = Math.max(...p.values, 0);
  const unit = p.kind === 'bytes' ? byteUnit(dataMax) : { unit: '', div: 1 };
  const scale = niceScale(dataMax / unit.div);
  const box = { left: PAD.left, top: PAD.top, width: width - PAD.left - PAD.right, height: H - PAD.top - PAD.bottom };
  const pts = chartPoints(p.values.map((v) => v / unit.div), scale.max, box);
  const yOf = (v: number) => box.top + box.height - (v / scale.max) * box.height;
  const tickText = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(scale.step < 0.1 ? 2 : 1));
  const sel = cursor != null && cursor < n ? cursor : null;
  const dense = box.width / n < 18; // small dots, so the line between them stays visible

  const onKey = (e: KeyboardEvent) => {
    const cur = sel ?? n - 1;
    let next: number | null = null;
    if (e.key === 'ArrowLeft') next = Math.max(0, cur - 1);
    else if (e.key === 'ArrowRight') next = Math.min(n - 1, cur + 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = n - 1;
    else if (e.key === 'Escape') return setCursor(null);
    if (next != null) {
      e.preventDefault();
      setCursor(next);
    }
  };
  const onMove = (e: PointerEvent) => {
    const svg = e.currentTarget as SVGSVGElement;
    const x = e.clientX - svg.getBoundingClientRect().left;
    let best = 0;
    pts.forEach((pt, i) => {
      if (Math.abs(pt.x - x) < Math.abs(pts[best].x - x)) best = i;
    });
    setCursor(best);
  };

  return (
    <div ref={wrap} class="chart-wrap">
      <svg id={p.id} class="chart" width={width} height={H} viewBox={`0 0 ${width} ${H}`} role="img"
        aria-label={p.label} tabIndex={0} onKeyDown={onKey} onPointerMove={onMove} onPointerLeave={() => setCursor(null)}
        onBlur={() => setCursor(null)}>
        {scale.ticks.map((v) => (
          <g class="chart-tick">
            <line x1={box.left} x2={box.left + box.width} y1={yOf(v)} y2={yOf(v)} class="chart-grid" />
            <text x={box.left - 6} y={yOf(v) + 4} text-anchor="end">
              {tickText(v)}
            </text>
          </g>
        ))}
        {unit.unit && (
          <text class="chart-unit" x={6} y={box.top - 2}>
            {unit.unit}
          </text>
        )}
        {labelIndexes(n, Math.max(2, Math.floor(box.width / 90))).map((i) => (
          <text class="chart-xlabel" x={pts[i].x} y={H - 10} text-anchor={n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle'}>
            {p.dates[i]?.slice(5) ?? ''}
          </text>
        ))}
        <line class="chart-axis" x1={box.left} x2={box.left + box.width} y1={box.top + box.height} y2={box.top + box.height} />
        {n > 1 && <path class="chart-line" d={pathD(pts)} />}
        {sel != null && <line class="chart-cursor" x1={pts[sel].x} x2={pts[sel].x} y1={box.top} y2={box.top + box.height} />}
        {pts.map((pt, i) => (
          <circle class={i === sel ? 'chart-dot chart-dot-sel' : 'chart-dot'} cx={pt.x} cy={pt.y} r={i === sel ? 5 : dense ? 2 : 3.5}>
            <title>{`${p.dates[i]}: ${p.format(p.values[i])}`}</title>
          </circle>
        ))}
      </svg>
      <p class="small chart-readout" aria-live="polite">
        {sel != null ? `${p.dates[sel]}: ${p.format(p.values[sel])}` : `${p.dates[n - 1]}: ${p.format(p.values[n - 1])}`}
      </p>
    </div>
  );
}
