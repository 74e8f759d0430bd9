// Owns the system page: version, firmware build, A/B slot, board and uptimes
// (GET /api/system/info), plus the clock, firmware update, transcoding check and reboot cards.
import { useEffect, useState } from 'preact/hooks';
import { sysApi, type SystemInfo } from '../api-system';
import { ErrorBox } from '../components/ErrorBox';
import { SysClock } from '../components/SysClock';
import { SysFirmware } from '../components/SysFirmware';
import { SysReboot } from '../components/SysReboot';
import { SysTranscode } from '../components/SysTranscode';
import { t } from '../i18n';
import { formatDuration } from '../sys-format';
import '../system.css';

export function SystemPage() {
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const load = () =>
      sysApi.systemInfo().then(
        (i) => {
          setInfo(i);
          setError(null);
        },
        setError,
      );
    void load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, []);

  const na = t('system.notAppliance');
  return (
    <section aria-labelledby="system-title" class="sys-page">
      <h1 id="system-title">{t('system.title')}</h1>
      <ErrorBox error={error} />
      {!info && !error && <p class="muted">{t('common.loading')}</p>}
      <div class="sys-grid">
        {info && (
          <div class="card" id="system-info">
            <h2>{t('system.about')}</h2>
            <dl class="kv">
              <dt>{t('system.version')}</dt>
              <dd id="sys-version">{info.version}</dd>
              <dt>{t('system.firmware')}</dt>
              <dd>{info.firmware_version ?? na}</dd>
              <dt>{t('system.slot')}</dt>
              <dd id="sys-slot">{info.slot ?? na}</dd>
              <dt>{t('system.board')}</dt>
              <dd>{info.board ?? na}</dd>
              <dt>{t('system.daemonUptime')}</dt>
              <dd>{info.uptime}</dd>
              <dt>{t('system.systemUptime')}</dt>
              <dd>{formatDuration(info.system_uptime_secs)}</dd>
            </dl>
            {info.slot == null && <p class="muted small">{t('system.devHint')}</p>}
          </div>
        )}
        <SysClock />
      </div>
      <div class="sys-grid">
        <SysFirmware />
        <SysTranscode />
      </div>
      <SysReboot />
    </section>
  );
}
