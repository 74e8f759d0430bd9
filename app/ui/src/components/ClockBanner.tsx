// Owns the "clock not synchronised" banner of the shell: reads the public /api/health at
// start, every minute and after the clock was set (CLOCK_CHANGED), and links to the System
// page while its clock check warns. A failed read keeps what was shown.
import { useEffect, useState } from 'preact/hooks';
import { sysApi } from '../api-system';
import { CLOCK_CHANGED, clockWarning } from '../clock';
import { t } from '../i18n';

export function ClockBanner() {
  const [warning, setWarning] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = () =>
      sysApi.healthChecks().then(
        (h) => alive && setWarning(clockWarning(h)),
        () => undefined,
      );
    void load();
    const timer = setInterval(load, 60_000);
    addEventListener(CLOCK_CHANGED, load);
    return () => {
      alive = false;
      clearInterval(timer);
      removeEventListener(CLOCK_CHANGED, load);
    };
  }, []);

  if (warning == null) return null;
  return (
    <div class="banner-warning" role="status" id="clock-banner" title={warning}>
      {t('banner.clock')} <a href="#/system">{t('banner.clockLink')}</a>
    </div>
  );
}
