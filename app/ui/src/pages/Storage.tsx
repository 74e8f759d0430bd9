// Owns the storage and statistics page: disk usage, per-camera usage, the daily trends chart,
// write amplification and card-wear estimate, cleanup/merge counters and system load
// (CPU, memory, network). Refreshed every 10 s in place (old values stay until new ones come).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { sysApi, type Archive, type MergeStatus, type Stats, type SystemStats, type TrendSample } from '../api-system';
import { ErrorBox } from '../components/ErrorBox';
import { SysCameraUsage, SysDiskBar } from '../components/SysUsage';
import { TrendChart } from '../components/TrendChart';
import { getLang, t, type Key } from '../i18n';
import { cpuPercent, dailyDeltas, formatBytes, formatPercent, memPercent, type CpuSample } from '../sys-format';
import '../system.css';

const REFRESH_MS = 10_000;
type Metric = 'used' | 'written' | 'count';
const METRICS: { id: Metric; key: Key }[] = [
  { id: 'used', key: 'storage.trendUsed' },
  { id: 'written', key: 'storage.trendWritten' },
  { id: 'count', key: 'storage.trendCount' },
];

function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(getLang()) : t('storage.never');
}

export function StoragePage() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [sys, setSys] = useState<SystemStats | null>(null);
  const [cpu, setCpu] = useState<number | null>(null);
  const [trends, setTrends] = useState<TrendSample[] | null>(null);
  const [archives, setArchives] = useState<Archive[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [threshold, setThreshold] = useState<number | null>(null);
  const [merge, setMerge] = useState<MergeStatus | null>(null);
  const [metric, setMetric] = useState<Metric>('used');
  const [error, setError] = useState<unknown>(null);
  const prevCpu = useRef<CpuSample | null>(null);

  const loadFast = async () => {
    const [s, y, a, m] = await Promise.all([sysApi.stats(), sysApi.systemStats(), sysApi.archives(), sysApi.mergeStatus()]);
    setStats(s);
    setSys(y);
    setArchives(a);
    setMerge(m);
    const c = cpuPercent(prevCpu.current, y.cpu);
    if (c != null) setCpu(c);
    prevCpu.current = y.cpu;
  };
  const loadSlow = async () => {
    const [tr, cams, set] = await Promise.all([sysApi.trends(), api.listCameras(), api.getSettings()]);
    setTrends(tr);
    setNames(Object.fromEntries(cams.map((c) => [c.id, c.name])));
    setThreshold(set.cleanup.disk_threshold_percent);
  };

  useEffect(() => {
    let alive = true;
    let tick = 0;
    const run = (slow: boolean) =>
      Promise.all([loadFast(), slow ? loadSlow() : null]).then(
        () => alive && setError(null),
        (e) => alive && setError(e),
      );
    void run(true);
    // A second sample soon after the first, so CPU load shows without waiting a full period.
    const first = setTimeout(() => void run(false), 2000);
    const timer = setInterval(() => void run(++tick % 6 === 0), REFRESH_MS);
    return () => {
      alive = false;
      clearTimeout(first);
      clearInterval(timer);
    };
  }, []);

  const dates = (trends ?? []).map((s) => s.date);
  const series =
    metric === 'used'
      ? (trends ?? []).map((s) => s.used_bytes)
      : metric === 'written'
        ? dailyDeltas((trends ?? []).map((s) => s.lifetime_bytes_written))
        : (trends ?? []).map((s) => s.recording_count);
  const wa = stats?.write_amplification;
  const wear = stats?.card_wear;

  return (
    <section aria-labelledby="storage-title" class="sys-page">
      <h1 id="storage-title">{t('storage.title')}</h1>
      <ErrorBox error={error} />
      {!stats && !error && <p class="muted">{t('common.loading')}</p>}
      {stats && (
        <div class="sys-grid">
          <div class="card">
            <h2>{t('storage.disk')}</h2>
            <SysDiskBar stats={stats} threshold={threshold} />
            <dl class="kv">
              <dt>{t('storage.recordingCount')}</dt>
              <dd id="recording-count">{stats.recording_count}</dd>
              <dt>{t('storage.cameraCount')}</dt>
              <dd>{stats.camera_count}</dd>
            </dl>
          </div>
          <div class="card">
            <h2>{t('storage.perCamera')}</h2>
            <SysCameraUsage archives={archives} names={names} />
          </div>
        </div>
      )}

      <div class="card">
        <div class="page-head">
          <h2 id="trends-title">{t('storage.trends')}</h2>
          <div class="btn-group" role="group" aria-label={t('storage.trendPick')}>
            {METRICS.map((m) => (
              <button type="button" class="btn btn-small" aria-pressed={metric === m.id} data-metric={m.id}
                onClick={() => setMetric(m.id)}>
                {t(m.key)}
              </button>
            ))}
          </div>
        </div>
        {trends == null ? (
          <p class="muted">{t('common.loading')}</p>
        ) : (
          <TrendChart id="trend-chart" label={t(METRICS.find((m) => m.id === metric)!.key)} dates={dates} values={series}
            kind={metric === 'count' ? 'count' : 'bytes'}
            format={(v) => (metric === 'count' ? String(v) : formatBytes(v))}
            emptyText={t('storage.noTrends')} />
        )}
        <p class="muted small">{t('storage.trendHelp')}</p>
      </div>

      {stats && (
        <div class="sys-grid">
          <div class="card">
            <h2>{t('storage.writes')}</h2>
            <dl class="kv">
              <dt>{t('storage.writeAmp')}</dt>
              <dd id="write-amp">{wa == null ? t('storage.notYet') : `${wa.toFixed(2)}×`}</dd>
            </dl>
            <p class="muted small">{t('storage.writeAmpHelp')}</p>
            <dl class="kv">
              <dt>{t('storage.cardWear')}</dt>
              <dd id="card-wear">{wear ? formatPercent(wear.wear_percent) : '–'}</dd>
              <dt>{t('storage.daysLeft')}</dt>
              <dd>{wear?.estimated_days_left == null ? t('storage.notYetDays') : t('storage.days', { n: wear.estimated_days_left })}</dd>
            </dl>
            <p class="muted small">{t('storage.cardWearHelp', { cycles: wear?.assumed_pe_cycles ?? 1000 })}</p>
            <dl class="kv small">
              <dt>{t('storage.writtenSinceStart')}</dt>
              <dd>{formatBytes(stats.bytes_written.process_total)}</dd>
              <dt>{t('storage.receivedSinceStart')}</dt>
              <dd>{formatBytes(stats.media_received_bytes)}</dd>
              <dt>{t('storage.lifetimeWritten')}</dt>
              <dd>{formatBytes(stats.lifetime_bytes_written)}</dd>
            </dl>
          </div>
          <div class="card">
            <h2>{t('storage.cleanup')}</h2>
            <dl class="kv small">
              <dt>{t('storage.lastRun')}</dt>
              <dd>{when(stats.cleanup.last_run_time)}</dd>
              <dt>{t('storage.deleted')}</dt>
              <dd>{stats.cleanup.recordings_deleted}</dd>
              <dt>{t('storage.released')}</dt>
              <dd>{formatBytes(stats.cleanup.bytes_released)}</dd>
              <dt>{t('storage.cleanupErrors')}</dt>
              <dd>{stats.cleanup.error_count}</dd>
            </dl>
            {merge && (
              <>
                <h2>{t('storage.merge')}</h2>
                <dl class="kv small">
                  <dt>{t('storage.mergeEnabled')}</dt>
                  <dd>{merge.enabled ? t('storage.yes') : t('storage.no')}</dd>
                  <dt>{t('storage.segmentsMerged')}</dt>
                  <dd>{merge.segments_merged}</dd>
                  <dt>{t('storage.lastRun')}</dt>
                  <dd>{when(merge.last_run_time)}</dd>
                </dl>
              </>
            )}
          </div>
        </div>
      )}

      {sys && (
        <div class="card" id="system-load">
          <h2>{t('storage.system')}</h2>
          <dl class="kv">
            <dt>{t('storage.cpu')}</dt>
            <dd id="cpu-load">{cpu == null ? t('storage.measuring') : formatPercent(cpu)}</dd>
            <dt>{t('storage.memory')}</dt>
            <dd>
              {t('storage.memUsed', {
                used: formatBytes(sys.memory.total - sys.memory.available),
                total: formatBytes(sys.memory.total),
                pct: formatPercent(memPercent(sys.memory.total, sys.memory.available)),
              })}
            </dd>
            {sys.memory.process_rss != null && (
              <>
                <dt>{t('storage.rss')}</dt>
                <dd>{formatBytes(sys.memory.process_rss)}</dd>
              </>
            )}
            {sys.temperature_celsius != null && (
              <>
                <dt>{t('storage.temperature')}</dt>
                <dd>{`${sys.temperature_celsius.toFixed(1)} °C`}</dd>
              </>
            )}
            <dt>{t('storage.network')}</dt>
            <dd>{t('storage.netTotals', { sent: formatBytes(sys.network.bytes_sent), recv: formatBytes(sys.network.bytes_recv) })}</dd>
            <dt>{t('storage.uptime')}</dt>
            <dd>{sys.uptime}</dd>
          </dl>
          <p class="muted small">{t('storage.systemHelp')}</p>
        </div>
      )}
    </section>
  );
}
