// Owns the archives page: archived recordings per camera id (count, size, time span,
// retention), editing a group's retention, deleting a whole group (confirmed), and opening a
// group's recordings (download / delete, in SysArchiveRecs).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { sysApi, type Archive } from '../api-system';
import { ErrorBox, Notice } from '../components/ErrorBox';
import { SysArchiveRecs } from '../components/SysArchiveRecs';
import { getLang, t } from '../i18n';
import { formatBytes, parseRetention } from '../sys-format';
import '../system.css';

function ArchiveRow(p: { a: Archive; name: string; onChanged: (msg?: string) => void }) {
  const { a } = p;
  const [days, setDays] = useState(String(a.retention_days));
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const idSafe = a.camera_id.replace(/[^\w-]/g, '_');

  useEffect(() => setDays(String(a.retention_days)), [a.retention_days]);

  const saveRetention = async (ev: Event) => {
    ev.preventDefault();
    const n = parseRetention(days);
    if (n == null) return setError(new Error(t('archives.retentionInvalid')));
    setBusy(true);
    setError(null);
    try {
      await sysApi.putRetention(a.camera_id, n);
      p.onChanged(t('archives.retentionSaved', { name: p.name, n }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const deleteAll = async () => {
    setBusy(true);
    setError(null);
    try {
      await sysApi.deleteArchive(a.camera_id);
      setConfirming(false);
      p.onChanged(t('archives.groupDeleted', { name: p.name }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const lang = getLang();
  const span = [a.oldest, a.newest].map((d) => (d ? new Date(d).toLocaleString(lang) : '–')).join(' – ');

  return (
    <li class="card archive" data-camera-id={a.camera_id}>
      <div class="page-head">
        <h2>
          {p.name}
          {!a.camera_exists && <span class="badge badge-unknown archive-deleted">{t('archives.deletedCamera')}</span>}
        </h2>
        <button type="button" class="btn btn-small archive-toggle" aria-expanded={open} aria-controls={`recs-${idSafe}`}
          onClick={() => setOpen(!open)}>
          {open ? t('archives.hideRecs') : t('archives.showRecs')}
        </button>
      </div>
      <p class="archive-summary">
        {t('archives.summary', { count: a.recordings_count, size: formatBytes(a.total_bytes) })}
        <span class="muted small"> · {span}</span>
      </p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <div class="archive-actions">
        <form class="inline-form" onSubmit={saveRetention}>
          <label for={`ret-${idSafe}`}>{t('archives.retention')}</label>
          <input id={`ret-${idSafe}`} class="archive-retention" type="number" inputMode="numeric" min={1} max={3650} step={1}
            required value={days} aria-describedby={`ret-help-${idSafe}`}
            onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
          <button type="submit" class="btn btn-small" disabled={busy}>
            {t('common.save')}
          </button>
        </form>
        {!confirming && (
          <button type="button" class="btn btn-small btn-danger archive-delete" onClick={() => setConfirming(true)}>
            {t('archives.deleteAll')}
          </button>
        )}
      </div>
      <p class="muted small" id={`ret-help-${idSafe}`}>
        {a.camera_exists ? t('archives.retentionCamera') : t('archives.retentionGroup')}
      </p>
      {confirming && (
        <div class="confirm" role="group" aria-label={t('archives.deleteAll')}>
          <p class="alert alert-warn">{t('archives.deleteAllWarn', { count: a.recordings_count, name: p.name })}</p>
          <div class="btn-group">
            <button type="button" class="btn btn-small btn-danger archive-confirm-delete" disabled={busy} onClick={() => void deleteAll()}>
              {t('archives.deleteAllConfirm')}
            </button>
            <button type="button" class="btn btn-small" onClick={() => setConfirming(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </div>
      )}
      {open && (
        <div id={`recs-${idSafe}`}>
          <SysArchiveRecs cameraId={a.camera_id} onChanged={() => p.onChanged()} />
        </div>
      )}
    </li>
  );
}

export function ArchivesPage() {
  const [archives, setArchives] = useState<Archive[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = async () => {
    try {
      const [a, cams] = await Promise.all([sysApi.archives(), api.listCameras()]);
      setArchives(a);
      setNames(Object.fromEntries(cams.map((c) => [c.id, c.name])));
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  return (
    <section aria-labelledby="archives-title" class="sys-page">
      <div class="page-head">
        <h1 id="archives-title">{t('archives.title')}</h1>
        <button type="button" class="btn btn-small" id="archives-refresh" onClick={() => void load()}>
          {t('archives.refresh')}
        </button>
      </div>
      <p class="muted">{t('archives.intro')}</p>
      <Notice text={notice} />
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {archives === null && !error && <p class="muted">{t('common.loading')}</p>}
      {archives && archives.length === 0 && (
        <p class="muted" id="archives-empty">
          {t('archives.empty')}
        </p>
      )}
      {archives && archives.length > 0 && (
        <ul class="list archive-list" id="archive-list">
          {archives.map((a) => (
            <ArchiveRow key={a.camera_id} a={a} name={names[a.camera_id] ?? a.camera_id}
              onChanged={(msg) => {
                setNotice(msg ?? null);
                void load();
              }} />
          ))}
        </ul>
      )}
    </section>
  );
}
