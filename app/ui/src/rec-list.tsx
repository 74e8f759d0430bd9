// Owns the list of the day's recordings under the timeline: a time-of-day range filter,
// client-side pages (the page fetched the whole day), checkboxes with select-all, "Delete
// selected" with an on-page confirmation (batch delete), and per-row Play and Download.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { recApi, type Recording } from './api-recordings';
import { ErrorBox } from './components/ErrorBox';
import { t } from './i18n';
import { clock, dayKey, fmtDuration, fmtSize, timeOfDay } from './timeline';

const PAGE = 50;

export interface RecListProps {
  day: string;
  /** The day's recordings, newest first. */
  recs: readonly Recording[];
  playingId: string | null;
  onPlay: (rec: Recording) => void;
  /** After a deletion: the ids asked for and the API's counts (the page reloads). */
  onDeleted: (ids: string[], res: { deleted: number; failed: number }) => void;
}

export function RecList({ day, recs, playingId, onPlay, onDeleted }: RecListProps) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  // The confirmation takes the focus, so keyboard users land on it (Cancel is next to it).
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  // A new day or camera starts clean.
  useEffect(() => {
    setFrom('');
    setTo('');
    setPage(0);
    setSelected(new Set());
    setConfirming(false);
  }, [day, recs[0]?.camera_id]);

  const fromMs = from ? timeOfDay(day, from) : null;
  const toMs = to ? timeOfDay(day, to) : null;
  const filtered = useMemo(
    () =>
      recs.filter((r) => {
        if (fromMs !== null && Date.parse(r.ended_at) <= fromMs) return false;
        if (toMs !== null && Date.parse(r.started_at) >= toMs) return false;
        return true;
      }),
    [recs, fromMs, toMs],
  );
  // Drop selections of recordings that disappeared (deleted, retention).
  useEffect(() => {
    const ids = new Set(recs.map((r) => r.id));
    setSelected((s) => (Array.from(s).every((id) => ids.has(id)) ? s : new Set(Array.from(s).filter((id) => ids.has(id)))));
  }, [recs]);

  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const cur = Math.min(page, pages - 1);
  const shown = filtered.slice(cur * PAGE, cur * PAGE + PAGE);
  const allSelected = filtered.length > 0 && filtered.every((r) => selected.has(r.id));
  const selCount = selected.size;

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(filtered.map((r) => r.id)));

  const doDelete = async () => {
    const ids = Array.from(selected);
    setBusy(true);
    setError(null);
    try {
      const res = await recApi.batchDelete(ids);
      setSelected(new Set());
      setConfirming(false);
      onDeleted(ids, res);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const when = (iso: string) => {
    const ms = Date.parse(iso);
    return dayKey(ms) === day ? clock(ms) : `${clock(ms)} (${dayKey(ms).slice(5)})`;
  };
  const totalBytes = filtered.reduce((a, r) => a + r.file_size, 0);
  const totalSec = filtered.reduce((a, r) => a + r.duration, 0);

  return (
    <section class="card rec-list" aria-labelledby="rec-list-title">
      <div class="page-head">
        <h2 id="rec-list-title">{t('rec.listTitle')}</h2>
        <span class="muted small" id="rec-list-summary">
          {t('rec.listSummary', { n: filtered.length, duration: fmtDuration(totalSec), size: fmtSize(totalBytes) })}
        </span>
      </div>
      <div class="rec-filters">
        <label>
          {t('rec.filterFrom')} <input type="time" step={1} id="rec-filter-from" value={from} onInput={(e) => (setFrom((e.target as HTMLInputElement).value), setPage(0))} />
        </label>
        <label>
          {t('rec.filterTo')} <input type="time" step={1} id="rec-filter-to" value={to} onInput={(e) => (setTo((e.target as HTMLInputElement).value), setPage(0))} />
        </label>
        {(from || to) && (
          <button type="button" class="btn btn-small" onClick={() => (setFrom(''), setTo(''))}>
            {t('rec.filterClear')}
          </button>
        )}
        <div class="rec-bulk">
          {confirming ? (
            <div class="rec-confirm" role="alertdialog" aria-labelledby="rec-confirm-text">
              <span id="rec-confirm-text">{t('rec.confirmDelete', { n: selCount })}</span>
              <button ref={confirmRef} type="button" class="btn btn-small btn-danger" id="rec-confirm-delete" disabled={busy} onClick={() => void doDelete()}>
                {busy ? t('rec.deleting') : t('rec.deleteConfirm')}
              </button>
              <button type="button" class="btn btn-small" disabled={busy} onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
            </div>
          ) : (
            <button type="button" class="btn btn-small btn-danger" id="rec-delete-selected" disabled={selCount === 0} onClick={() => setConfirming(true)}>
              {t('rec.deleteSelected', { n: selCount })}
            </button>
          )}
        </div>
      </div>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {filtered.length === 0 ? (
        <p class="muted">{recs.length === 0 ? t('rec.noneDay') : t('rec.noneFilter')}</p>
      ) : (
        <div class="rec-table-wrap">
          <table class="rec-table">
            <thead>
              <tr>
                <th scope="col" class="rec-col-check">
                  <input type="checkbox" id="rec-select-all" checked={allSelected} onChange={toggleAll}
                    aria-label={t('rec.selectAll', { n: filtered.length })} />
                </th>
                <th scope="col">{t('rec.colStart')}</th>
                <th scope="col">{t('rec.colEnd')}</th>
                <th scope="col">{t('rec.colDuration')}</th>
                <th scope="col" class="rec-col-size">{t('rec.colSize')}</th>
                <th scope="col" class="rec-col-format">{t('rec.colFormat')}</th>
                <th scope="col">
                  <span class="sr-only">{t('rec.colActions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr class="rec-row" data-rec-id={r.id} aria-current={playingId === r.id ? 'true' : undefined}>
                  <td class="rec-col-check">
                    <input type="checkbox" class="rec-check" checked={selected.has(r.id)} onChange={() => toggle(r.id)}
                      aria-label={t('rec.selectOne', { time: when(r.started_at) })} />
                  </td>
                  <td>{when(r.started_at)}</td>
                  <td>{when(r.ended_at)}</td>
                  <td>{fmtDuration(r.duration)}</td>
                  <td class="rec-col-size">{fmtSize(r.file_size)}</td>
                  <td class="rec-col-format">
                    {r.format.toUpperCase()} {r.width > 0 && `${r.width}×${r.height}`}
                    {r.merged && <span class="badge rec-merged">{t('rec.merged')}</span>}
                  </td>
                  <td class="rec-actions">
                    <button type="button" class="btn btn-small rec-play" onClick={() => onPlay(r)}
                      aria-label={t('rec.playAt', { time: when(r.started_at) })}>
                      ▶ <span class="rec-action-text">{t('rec.play')}</span>
                    </button>
                    <a class="btn btn-small rec-download" href={recApi.downloadUrl(r.id)} download
                      aria-label={t('rec.downloadAt', { time: when(r.started_at) })}>
                      ⤓ <span class="rec-action-text">{t('rec.download')}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {pages > 1 && (
        <nav class="rec-pager" aria-label={t('rec.pages')}>
          <button type="button" class="btn btn-small" disabled={cur === 0} onClick={() => setPage(cur - 1)}>
            {t('rec.prevPage')}
          </button>
          <span class="small">{t('rec.pageOf', { from: cur * PAGE + 1, to: cur * PAGE + shown.length, total: filtered.length })}</span>
          <button type="button" class="btn btn-small" disabled={cur >= pages - 1} onClick={() => setPage(cur + 1)}>
            {t('rec.nextPage')}
          </button>
        </nav>
      )}
    </section>
  );
}
