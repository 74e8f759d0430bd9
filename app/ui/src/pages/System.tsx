// Owns the system page: version, slot, firmware upload with progress, reboot, transcoding check.
import { t } from '../i18n';

export function SystemPage() {
  return <h1>{t('system.title')}</h1>;
}
