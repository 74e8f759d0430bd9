// Owns the disk-usage bar of the storage page (recordings / other files / free, with the
// cleanup threshold marked) and the per-camera usage list (bytes and recordings per archive).
import type { Archive, Stats } from '../api-system';
import { t } from '../i18n';
import { clampPct, diskSegments, formatBytes, formatPercent } from '../sys-format';

export function SysDiskBar({ stats, threshold }: { stats: Stats; threshold: number | null }) {
  const seg = diskSegments(stats.total_bytes, stats.used_bytes, stats.recordings_bytes);
  const over = threshold != null && stats.used_percent >= threshold;
  return (
    <div class="disk" id="disk-usage">
      <div class="disk-head">
        <strong id="disk-used">{t('storage.usedOf', { used: formatBytes(stats.used_bytes), total: formatBytes(stats.total_bytes) })}</strong>
        <span class="muted"> ({formatPercent(stats.used_percent)})</span>
      </div>
      <div class="disk-bar" role="img"
        aria-label={t('storage.barLabel', { pct: formatPercent(stats.used_percent), free: formatBytes(stats.available_bytes) })}>
        <span class="disk-seg disk-rec" style={{ width: `${seg.rec}%` }} />
        <span class="disk-seg disk-other" style={{ width: `${seg.other}%` }} />
        {threshold != null && (
          <span class="disk-threshold" style={{ left: `${clampPct(threshold)}%` }} title={t('storage.threshold', { pct: threshold })} />
        )}
      </div>
      <ul class="legend small">
        <li><span class="swatch disk-rec" /> {t('storage.legendRec', { size: formatBytes(stats.recordings_bytes) })}</li>
        <li><span class="swatch disk-other" /> {t('storage.legendOther', { size: formatBytes(Math.max(0, stats.used_bytes - stats.recordings_bytes)) })}</li>
        <li><span class="swatch disk-free" /> {t('storage.legendFree', { size: formatBytes(stats.available_bytes) })}</li>
        {threshold != null && <li><span class="swatch swatch-line" /> {t('storage.threshold', { pct: threshold })}</li>}
      </ul>
      {over && <div class="alert alert-warn" role="status">{t('storage.overThreshold')}</div>}
      {stats.cleanup.recording_paused && <div class="alert alert-error" role="alert">{t('storage.paused')}</div>}
    </div>
  );
}

export function SysCameraUsage({ archives, names }: { archives: Archive[]; names: Record<string, string> }) {
  if (archives.length === 0) return <p class="muted">{t('storage.noCameraUsage')}</p>;
  const max = Math.max(...archives.map((a) => a.total_bytes), 1);
  const sorted = [...archives].sort((a, b) => b.total_bytes - a.total_bytes);
  return (
    <table class="table cam-usage" id="camera-usage">
      <thead>
        <tr>
          <th scope="col">{t('storage.camera')}</th>
          <th scope="col">{t('storage.size')}</th>
          <th scope="col">{t('storage.recordings')}</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((a) => (
          <tr>
            <th scope="row">
              {names[a.camera_id] ?? a.camera_id}
              {!a.camera_exists && <span class="muted small"> ({t('archives.deletedCamera')})</span>}
              <span class="mini-bar" aria-hidden="true">
                <span style={{ width: `${clampPct((a.total_bytes / max) * 100)}%` }} />
              </span>
            </th>
            <td class="num">{formatBytes(a.total_bytes)}</td>
            <td class="num">{a.recordings_count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
