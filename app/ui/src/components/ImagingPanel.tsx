// Owns one camera's imaging controls: a slider per value imaging/options gives a range for
// (brightness, contrast, saturation, sharpness, manual exposure time and gain) with the device's
// own min/max, exposure and white-balance modes, current values from imaging/settings; changes
// are applied ~300 ms after the last move (PUT partial), with Saved / error, and a Reset that
// writes back the values read when the panel opened.
import { useEffect, useRef, useState } from 'preact/hooks';
import { camApi, type ImagingOptions, type ImagingSettings, type Range } from '../api-camera';
import { t, type Key } from '../i18n';
import { ErrorBox } from './ErrorBox';

type Field = 'brightness' | 'contrast' | 'saturation' | 'sharpness' | 'exposure.mode' | 'exposure.exposure_time'
  | 'exposure.gain' | 'white_balance.mode';
type Values = Partial<Record<Field, number | string>>;
const NUMERIC: Field[] = ['brightness', 'contrast', 'saturation', 'sharpness', 'exposure.exposure_time', 'exposure.gain'];
const LABEL: Record<Field, Key> = {
  brightness: 'imaging.brightness', contrast: 'imaging.contrast', saturation: 'imaging.saturation',
  sharpness: 'imaging.sharpness', 'exposure.mode': 'imaging.exposureMode', 'exposure.exposure_time': 'imaging.exposureTime',
  'exposure.gain': 'imaging.gain', 'white_balance.mode': 'imaging.wbMode',
};
const DEBOUNCE_MS = 300;

function flatten(s: ImagingSettings): Values {
  const v: Values = {};
  const put = (f: Field, x: number | string | null | undefined) => {
    if (x != null) v[f] = x;
  };
  put('brightness', s.brightness);
  put('contrast', s.contrast);
  put('saturation', s.saturation);
  put('sharpness', s.sharpness);
  put('exposure.mode', s.exposure?.mode);
  put('exposure.exposure_time', s.exposure?.exposure_time);
  put('exposure.gain', s.exposure?.gain);
  put('white_balance.mode', s.white_balance?.mode);
  return v;
}

function nest(v: Values): ImagingSettings {
  const out: Record<string, unknown> = {};
  for (const [f, x] of Object.entries(v)) {
    const [a, b] = f.split('.');
    if (b) out[a] = { ...(out[a] as object | undefined), [b]: x };
    else out[a] = x;
  }
  return out as ImagingSettings;
}

function rangeOf(o: ImagingOptions, f: Field): Range | null {
  if (f === 'exposure.exposure_time') return o.exposure?.exposure_time ?? null;
  if (f === 'exposure.gain') return o.exposure?.gain ?? null;
  return (o[f as 'brightness'] as Range | null | undefined) ?? null;
}

const stepOf = (r: Range) => (r.max - r.min >= 50 ? 1 : (r.max - r.min) / 100);
const show = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

type Save = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'error'; error: unknown };

export function ImagingPanel({ cameraId }: { cameraId: string }) {
  const [options, setOptions] = useState<ImagingOptions | null>(null);
  const [read, setRead] = useState<Values | null>(null);
  const [values, setValues] = useState<Values>({});
  const [loadError, setLoadError] = useState<unknown>(null);
  const [save, setSave] = useState<Save>({ kind: 'idle' });
  const pending = useRef<Values>({});
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    Promise.all([camApi.imagingOptions(cameraId), camApi.imagingSettings(cameraId)]).then(
      ([o, s]) => {
        const v = flatten(s);
        setOptions(o);
        setRead(v);
        setValues(v);
      },
      (e) => setLoadError(e),
    );
    return () => {
      // Leaving the page: a change still waiting for its debounce is sent now, not dropped.
      if (timer.current) flushRef.current();
    };
  }, [cameraId]);

  const apply = async (patch: Values) => {
    setSave({ kind: 'saving' });
    try {
      await camApi.putImaging(cameraId, nest(patch));
      setSave({ kind: 'saved' });
    } catch (e) {
      setSave({ kind: 'error', error: e });
      // Show what the camera really has now.
      camApi.imagingSettings(cameraId).then((s) => setValues(flatten(s)), () => undefined);
    }
  };
  const flush = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const patch = pending.current;
    pending.current = {};
    if (Object.keys(patch).length) void apply(patch);
  };
  const flushRef = useRef(flush);
  flushRef.current = flush;
  const change = (f: Field, x: number | string, now = false) => {
    setValues((v) => ({ ...v, [f]: x }));
    pending.current = { ...pending.current, [f]: x };
    if (timer.current) clearTimeout(timer.current);
    if (now) flush();
    else timer.current = setTimeout(flush, DEBOUNCE_MS);
  };
  const reset = () => {
    if (!read) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    pending.current = {};
    setValues(read);
    void apply(read);
  };

  if (loadError)
    return (
      <section class="card imaging" aria-labelledby="imaging-title">
        <h2 id="imaging-title">{t('imaging.title')}</h2>
        <ErrorBox error={loadError} />
      </section>
    );
  if (!options || !read)
    return (
      <section class="card imaging" aria-labelledby="imaging-title">
        <h2 id="imaging-title">{t('imaging.title')}</h2>
        <p class="muted">{t('common.loading')}</p>
      </section>
    );

  const manualExposure = String(values['exposure.mode'] ?? '') === 'manual';
  const sliders = NUMERIC.filter((f) => rangeOf(options, f) && typeof values[f] === 'number')
    .filter((f) => !f.startsWith('exposure.') || manualExposure);
  const modeSelect = (f: 'exposure.mode' | 'white_balance.mode', modes: string[]) =>
    modes.length > 1 && values[f] != null && (
      <div class="imaging-row">
        <label for={`imaging-${f.replace('.', '-')}`}>{t(LABEL[f])}</label>
        <select id={`imaging-${f.replace('.', '-')}`} value={String(values[f])}
          onChange={(e) => change(f, (e.target as HTMLSelectElement).value, true)}>
          {modes.map((m) => (
            <option value={m}>{m === 'auto' ? t('imaging.auto') : m === 'manual' ? t('imaging.manual') : m}</option>
          ))}
        </select>
      </div>
    );

  return (
    <section class="card imaging" aria-labelledby="imaging-title">
      <div class="page-head">
        <h2 id="imaging-title">{t('imaging.title')}</h2>
        <span class="imaging-state small" role="status" id="imaging-state">
          {save.kind === 'saving' ? t('common.saving') : save.kind === 'saved' ? t('common.saved') : ''}
        </span>
      </div>
      {save.kind === 'error' && <ErrorBox error={save.error} onDismiss={() => setSave({ kind: 'idle' })} />}
      {sliders.length === 0 && !options.exposure?.modes?.length && <p class="muted small">{t('imaging.none')}</p>}
      {sliders.map((f) => {
        const r = rangeOf(options, f)!;
        const id = `imaging-${f.replace('.', '-')}`;
        const v = values[f] as number;
        return (
          <div class="imaging-row" data-field={f}>
            <label for={id}>{t(LABEL[f])}</label>
            <input id={id} type="range" min={r.min} max={r.max} step={stepOf(r)} value={v}
              aria-valuetext={`${show(v)} (${show(r.min)}–${show(r.max)})`}
              onInput={(e) => change(f, Number((e.target as HTMLInputElement).value))} />
            <output for={id} class="imaging-value">{show(v)}</output>
          </div>
        );
      })}
      {modeSelect('exposure.mode', options.exposure?.modes ?? [])}
      {modeSelect('white_balance.mode', options.white_balance?.modes ?? [])}
      <p class="muted small">{t('imaging.units')}</p>
      <div class="actions">
        <button type="button" class="btn" id="imaging-reset" onClick={reset} disabled={save.kind === 'saving'}>
          {t('imaging.reset')}
        </button>
      </div>
    </section>
  );
}
