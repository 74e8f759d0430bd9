// Owns the backups section of the settings page: the list (date, size), Create backup,
// Download (plain link: the media-session cookie authenticates GETs), upload of an archive
// kept elsewhere (POST /api/backups, with progress), and Restore after an on-page
// confirmation that says what restore replaces.
import { useEffect, useState } from 'preact/hooks';
import { sysApi, uploads, type BackupInfo, type Restored } from '../api-system';
import { getLang, t } from '../i18n';
import { formatBytes } from '../sys-format';
import { ErrorBox, Notice } from './ErrorBox';

export function SettingsBackups() {
  const [list, setList] = useState<BackupInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [uploadPct, setUploadPct] = useState<number | null>(null);

  const load = () => sysApi.backups().then(setList, setError);
  useEffect(() => {
    void load();
  }, []);

  const run = async (fn: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await fn());
      await load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  };

  const create = () => run(async () => t('backup.created', { id: (await sysApi.createBackup()).backup_id }));
  const restore = (id: string) =>
    run(async () => {
      const r: Restored = await sysApi.restoreBackup(id);
      return (
        t('backup.restored', { dropped: r.recordings_dropped, adopted: r.files_adopted }) +
        (r.restart_required ? ` ${t('backup.restartRequired')}` : '')
      );
    });
  const upload = (ev: Event) => {
    const input = ev.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setUploadPct(0);
    void run(async () => {
      try {
        const b = await uploads.backup(file, setUploadPct).done;
        return t('backup.uploaded', { id: b.backup_id });
      } finally {
        input.value = '';
        setUploadPct(null);
      }
    });
  };

  const lang = getLang();
  return (
    <section class="card" id="backups" aria-labelledby="backups-title">
      <h2 id="backups-title">{t('backup.title')}</h2>
      <p class="muted small">{t('backup.help')}</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <Notice text={notice} />
      <div class="actions">
        <button type="button" class="btn btn-primary" id="backup-create" disabled={busy} onClick={() => void create()}>
          {t('backup.create')}
        </button>
        <label class="btn file-btn">
          {t('backup.upload')}
          <input type="file" id="backup-upload" accept=".tar.gz,.tgz,application/gzip" class="sr-only" disabled={busy}
            onChange={upload} />
        </label>
      </div>
      {uploadPct != null && <progress max={100} value={uploadPct} aria-label={t('backup.uploading')} />}
      {list === null && !error && <p class="muted">{t('common.loading')}</p>}
      {list && list.length === 0 && <p class="muted" id="backups-empty">{t('backup.none')}</p>}
      {list && list.length > 0 && (
        <ul class="list backup-list">
          {list.map((b) => (
            <li class="list-row backup-row" data-backup-id={b.backup_id}>
              <div class="cam-info">
                <strong>{new Date(b.created_at).toLocaleString(lang)}</strong>
                <div class="muted small">
                  {formatBytes(b.size_bytes)} · {b.backup_id}
                </div>
              </div>
              <div class="btn-group" role="group" aria-label={t('backup.actions', { id: b.backup_id })}>
                <a class="btn btn-small backup-download" href={sysApi.backupDownloadUrl(b.backup_id)} download>
                  {t('backup.download')}
                </a>
                <button type="button" class="btn btn-small backup-restore" disabled={busy} onClick={() => setConfirming(b.backup_id)}>
                  {t('backup.restore')}
                </button>
              </div>
              {confirming === b.backup_id && (
                <div class="confirm full" role="group" aria-label={t('backup.restore')}>
                  <p class="alert alert-warn">{t('backup.restoreWarn', { date: new Date(b.created_at).toLocaleString(lang) })}</p>
                  <div class="btn-group">
                    <button type="button" class="btn btn-danger backup-restore-confirm" disabled={busy} onClick={() => void restore(b.backup_id)}>
                      {t('backup.restoreConfirm')}
                    </button>
                    <button type="button" class="btn" onClick={() => setConfirming(null)}>
                      {t('common.cancel')}
                    </button>
                  </div>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
