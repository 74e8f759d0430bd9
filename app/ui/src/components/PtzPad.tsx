// Owns the PTZ pad of one camera: 8 directions + zoom, press-and-hold = continuous move and
// release = stop, a tap (or Enter/Space) = a relative step, arrow keys / +/- while the pad has
// focus, a speed slider, and the position readout. Commands go out one after another (a stop
// can never overtake its move) and the camera is stopped on release, pointer leave, focus
// loss, tab hidden and unmount, so it is never left moving.
import { useEffect, useRef, useState } from 'preact/hooks';
import { camApi, type PtzStatus } from '../api-camera';
import { t, type Key } from '../i18n';
import { ErrorBox } from './ErrorBox';

type Dir = { key: string; label: Key; pan: number; tilt: number; zoom: number; icon: string };
const DIRS: Dir[] = [
  { key: 'up-left', label: 'ptz.upLeft', pan: -1, tilt: 1, zoom: 0, icon: '↖' },
  { key: 'up', label: 'ptz.up', pan: 0, tilt: 1, zoom: 0, icon: '↑' },
  { key: 'up-right', label: 'ptz.upRight', pan: 1, tilt: 1, zoom: 0, icon: '↗' },
  { key: 'left', label: 'ptz.left', pan: -1, tilt: 0, zoom: 0, icon: '←' },
  { key: 'right', label: 'ptz.right', pan: 1, tilt: 0, zoom: 0, icon: '→' },
  { key: 'down-left', label: 'ptz.downLeft', pan: -1, tilt: -1, zoom: 0, icon: '↙' },
  { key: 'down', label: 'ptz.down', pan: 0, tilt: -1, zoom: 0, icon: '↓' },
  { key: 'down-right', label: 'ptz.downRight', pan: 1, tilt: -1, zoom: 0, icon: '↘' },
];
const ZOOM_IN: Dir = { key: 'zoom-in', label: 'ptz.zoomIn', pan: 0, tilt: 0, zoom: 1, icon: '+' };
const ZOOM_OUT: Dir = { key: 'zoom-out', label: 'ptz.zoomOut', pan: 0, tilt: 0, zoom: -1, icon: '−' };
const byKey = (k: string) => [...DIRS, ZOOM_IN, ZOOM_OUT].find((d) => d.key === k)!;
const KEYS: Record<string, string> = {
  ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right', '+': 'zoom-in', '=': 'zoom-in', '-': 'zoom-out',
};
/** A press longer than this becomes a continuous move; shorter is a tap (relative step). */
const HOLD_MS = 200;
const STEP = 0.1;
const SPEED_KEY = 'mibee.ptzSpeed';

function axes(d: Dir, scale: number) {
  const a: { pan?: number; tilt?: number; zoom?: number } = {};
  if (d.zoom) a.zoom = d.zoom * scale;
  else {
    a.pan = d.pan * scale;
    a.tilt = d.tilt * scale;
  }
  return a;
}

const fmt = (v: number | null | undefined) => (v == null ? '–' : v.toFixed(2));

export function PtzPad({ cameraId, refreshKey }: { cameraId: string; refreshKey?: number }) {
  const [speed, setSpeed] = useState(() => {
    const n = Number(localStorage.getItem(SPEED_KEY));
    return n > 0 && n <= 1 ? n : 0.5;
  });
  const [active, setActive] = useState<string | null>(null);
  const [status, setStatus] = useState<PtzStatus | null>(null);
  const [error, setError] = useState<unknown>(null);
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const moving = useRef(false); // a continuous move was sent and not stopped yet
  const holdTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const pressed = useRef<string | null>(null);
  const speedRef = useRef(speed);
  speedRef.current = speed;

  /** Runs PTZ commands strictly in order; errors are shown, the queue goes on. */
  const send = (fn: () => Promise<unknown>) => {
    queue.current = queue.current.then(fn).catch((e) => setError(e));
    return queue.current;
  };
  const refreshStatus = () =>
    camApi.ptzStatus(cameraId).then(
      (s) => setStatus(s),
      (e) => setError(e),
    );

  const stop = () => {
    if (holdTimer.current) clearTimeout(holdTimer.current);
    holdTimer.current = null;
    pressed.current = null;
    setActive(null);
    if (!moving.current) return;
    moving.current = false;
    void send(() => camApi.ptzStop(cameraId)).then(refreshStatus);
  };
  const stopRef = useRef(stop);
  stopRef.current = stop;

  const startContinuous = (d: Dir) => {
    moving.current = true;
    setError(null);
    void send(() => camApi.ptzMove(cameraId, { mode: 'continuous', ...axes(d, 1), speed: speedRef.current }));
  };
  const step = (d: Dir) => {
    setError(null);
    void send(() => camApi.ptzMove(cameraId, { mode: 'relative', ...axes(d, STEP), speed: speedRef.current })).then(() =>
      setTimeout(refreshStatus, 400),
    );
  };

  /** Press: after HOLD_MS it becomes a continuous move; a release before that is a tap. */
  const press = (key: string) => {
    if (pressed.current) stop();
    pressed.current = key;
    setActive(key);
    holdTimer.current = setTimeout(() => {
      holdTimer.current = null;
      if (pressed.current === key) startContinuous(byKey(key));
    }, HOLD_MS);
  };
  const release = (key: string, tap: boolean) => {
    if (pressed.current !== key) return;
    const wasHold = holdTimer.current === null;
    stop();
    if (!wasHold && tap) step(byKey(key));
  };

  useEffect(() => {
    void refreshStatus();
    const onHidden = () => document.visibilityState === 'hidden' && stopRef.current();
    const onBlur = () => stopRef.current();
    document.addEventListener('visibilitychange', onHidden);
    window.addEventListener('blur', onBlur);
    return () => {
      document.removeEventListener('visibilitychange', onHidden);
      window.removeEventListener('blur', onBlur);
      stopRef.current();
    };
  }, [cameraId]);
  useEffect(() => {
    if (refreshKey) void refreshStatus();
  }, [refreshKey]);

  const onKeyDown = (e: KeyboardEvent) => {
    const key = KEYS[e.key];
    if (!key) return;
    e.preventDefault();
    if (!e.repeat && pressed.current !== key) press(key);
  };
  const onKeyUp = (e: KeyboardEvent) => {
    const key = KEYS[e.key];
    if (key) release(key, true);
  };
  const onFocusOut = (e: FocusEvent) => {
    const to = e.relatedTarget as Node | null;
    if (!to || !(e.currentTarget as HTMLElement).contains(to)) stop();
  };

  const button = (d: Dir) => (
    <button
      type="button"
      class={`btn ptz-btn ptz-${d.key}`}
      data-dir={d.key}
      aria-label={t(d.label)}
      title={t(d.label)}
      aria-pressed={active === d.key}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
        press(d.key);
      }}
      onPointerUp={() => release(d.key, true)}
      onPointerCancel={() => release(d.key, false)}
      onPointerLeave={() => release(d.key, false)}
      onLostPointerCapture={() => release(d.key, false)}
      onContextMenu={(e) => e.preventDefault()}
      onClick={(e) => {
        // Keyboard activation (Enter / Space) has no pointer: one relative step.
        if (e.detail === 0 && !pressed.current) step(d);
      }}
    >
      <span aria-hidden="true">{d.icon}</span>
    </button>
  );

  return (
    <section class="card ptz" aria-labelledby="ptz-title">
      <h2 id="ptz-title">{t('ptz.title')}</h2>
      <p class="muted small">{t('ptz.hint')}</p>
      <div class="ptz-pad" role="group" aria-label={t('ptz.pad')} tabIndex={0} id="ptz-pad"
        onKeyDown={onKeyDown} onKeyUp={onKeyUp} onFocusOut={onFocusOut}>
        {button(DIRS[0])}
        {button(DIRS[1])}
        {button(DIRS[2])}
        {button(DIRS[3])}
        <button type="button" class="btn ptz-btn ptz-stop" id="ptz-stop" aria-label={t('ptz.stop')} title={t('ptz.stop')}
          onClick={() => {
            moving.current = true; // an explicit Stop is always sent
            stop();
          }}>
          <span aria-hidden="true">■</span>
        </button>
        {button(DIRS[4])}
        {button(DIRS[5])}
        {button(DIRS[6])}
        {button(DIRS[7])}
      </div>
      <div class="ptz-zoom" role="group" aria-label={t('ptz.zoom')}>
        {button(ZOOM_OUT)}
        <span class="muted small">{t('ptz.zoom')}</span>
        {button(ZOOM_IN)}
      </div>
      <label class="ptz-speed" for="ptz-speed">
        <span>{t('ptz.speed')}</span>
        <input id="ptz-speed" type="range" min={0.1} max={1} step={0.1} value={speed}
          onInput={(e) => {
            const v = Number((e.target as HTMLInputElement).value);
            setSpeed(v);
            localStorage.setItem(SPEED_KEY, String(v));
          }} />
        <output for="ptz-speed">{Math.round(speed * 100)}%</output>
      </label>
      <p class="ptz-status small" id="ptz-status" role="status" data-moving={status?.moving ? 'true' : 'false'}>
        {status
          ? t('ptz.position', { pan: fmt(status.pan), tilt: fmt(status.tilt), zoom: fmt(status.zoom) }) +
            (status.moving ? ` · ${t('ptz.moving')}` : '')
          : t('common.loading')}
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
    </section>
  );
}
