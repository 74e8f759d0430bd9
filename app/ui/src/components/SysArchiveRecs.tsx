// Owns the recordings list of one archive group (paged, newest first): download links (the
// media-session cookie authenticates them) and delete with an inline confirmation.
import { useEffect, useState } from 'preact/hooks';
import { sysApi, type Recording } from '../api-system';
import { ErrorBox, Notice } from './ErrorBox';
import { getLang, t } from '../i18n';
import { formatBytes, formatDuration } from '../sys-format';

const PAGE = 20;

export function SysArchiveRecs({ cameraId, onChanged }: { cameraId: string; onChanged: () => void }) {
  const [recs, setRecs] = useState<Recording[] | null>(null);
  const [total, setTotal] = useState(0);
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = (off: number) =>
    sysApi.archiveRecordings(cameraId, PAGE, off).then(
      (r) => {
        setRecs(r.recordings);
        setTotal(r.total);
        setError(null);
      },
      setError,
    );

  useEffect(() => {
    void load(offset);
  }, [cameraId, offset]);

  const remove = async (rid: string) => {
    setBusy(rid);
    setError(null);
    setNotice(null);
    try {
      await sysApi.deleteArchiveRecording(cameraId, rid);
      setNotice(t('archives.recDeleted'));
      await load(offset);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
      setConfirming(null);
    }
  };

  const lang = getLang();
  return (
    <div class="archive-recs">
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <Notice text={notice} />
      {recs === null && !error && <p class="muted">{t('common.loading')}</p>}
      {recs && recs.length === 0 && <p class="muted">{t('archives.noRecs')}</p>}
      {recs && recs.length > 0 && (
        <ul class="list rec-list">
          {recs.map((r) => (
            <li class="list-row archive-rec" data-recording-id={r.id}>
              <div class="cam-info">
                <strong>{new Date(r.started_at).toLocaleString(lang)}</strong>
                <div class="muted small">
                  {formatDuration(r.duration)} · {formatBytes(r.file_size)} · {r.format}
                  {r.width && r.height ? ` · ${r.width}×${r.height}` : ''}
                  {r.merged ? ` · ${t('archives.merged')}` : ''}
                </div>
              </div>
              <div class="btn-group" role="group" aria-label={t('archives.recActions')}>
                <a class="btn btn-small" href={sysApi.recordingDownloadUrl(r.id)} download>
                  {t('archives.download')}
                </a>
                {confirming === r.id ? (
                  <>
                    <button type="button" class="btn btn-small btn-danger rec-confirm-delete" disabled={busy === r.id}
                      onClick={() => void remove(r.id)}>
                      {t('archives.confirmDeleteRec')}
                    </button>
                    <button type="button" class="btn btn-small" onClick={() => setConfirming(null)}>
                      {t('common.cancel')}
                    </button>
                  </>
                ) : (
                  <button type="button" class="btn btn-small btn-danger rec-delete" onClick={() => setConfirming(r.id)}>
                    {t('archives.delete')}
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {total > PAGE && (
        <div class="actions pager">
          <button type="button" class="btn btn-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {t('archives.newer')}
          </button>
          <span class="muted small">
            {t('archives.range', { from: offset + 1, to: Math.min(total, offset + PAGE), total })}
          </span>
          <button type="button" class="btn btn-small" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            {t('archives.older')}
          </button>
        </div>
      )}
    </div>
  );
}
