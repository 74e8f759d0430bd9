// Owns the live grid page: layout 1/4/9 buttons (kept in localStorage) and one LiveTile per
// camera; the camera list (for names and status) refreshes every 10 s.
import { useEffect, useState } from 'preact/hooks';
import { api, type Camera } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { LiveTile } from '../components/LiveTile';
import { t } from '../i18n';

const LAYOUTS = [1, 4, 9] as const;
type Layout = (typeof LAYOUTS)[number];
const STORE = 'mibee.layout';

function savedLayout(): Layout {
  const n = Number(localStorage.getItem(STORE));
  return (LAYOUTS as readonly number[]).includes(n) ? (n as Layout) : 4;
}

export function LivePage() {
  const [layout, setLayout] = useState<Layout>(savedLayout);
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let alive = true;
    const load = () =>
      api.listCameras().then(
        (c) => alive && (setCameras(c), setError(null)),
        (e) => alive && setError(e),
      );
    void load();
    const timer = setInterval(load, 10000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);

  const choose = (n: Layout) => {
    setLayout(n);
    localStorage.setItem(STORE, String(n));
  };
  const shown = (cameras ?? []).filter((c) => c.enabled).slice(0, layout);

  return (
    <section aria-labelledby="live-title">
      <div class="page-head">
        <h1 id="live-title">{t('live.title')}</h1>
        <div class="btn-group" role="group" aria-label={t('live.layout')}>
          {LAYOUTS.map((n) => (
            <button type="button" class="btn btn-small" aria-pressed={layout === n} data-layout={n}
              title={t('live.layoutN', { n })} onClick={() => choose(n)}>
              <span aria-hidden="true">{n === 1 ? '1' : n === 4 ? '2×2' : '3×3'}</span>
              <span class="sr-only">{t('live.layoutN', { n })}</span>
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={error} />
      {cameras === null && !error && <p class="muted">{t('common.loading')}</p>}
      {cameras !== null && shown.length === 0 && <p class="muted">{t('live.none')}</p>}
      <div class={`grid grid-${layout}`}>
        {shown.map((c) => (
          <LiveTile key={c.id} camera={c} />
        ))}
      </div>
      {cameras && cameras.filter((c) => c.enabled).length > shown.length && (
        <p class="muted">{t('live.more', { shown: shown.length, total: cameras.filter((c) => c.enabled).length })}</p>
      )}
    </section>
  );
}
