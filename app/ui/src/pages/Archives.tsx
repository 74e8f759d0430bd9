// Owns the archives page: archived recordings per camera and their retention.
import { t } from '../i18n';

export function ArchivesPage() {
  return <h1>{t('archives.title')}</h1>;
}
