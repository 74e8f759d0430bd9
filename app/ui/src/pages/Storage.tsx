// Owns the storage and statistics page: usage, trends chart, write amplification, card-wear estimate.
import { t } from '../i18n';

export function StoragePage() {
  return <h1>{t('storage.title')}</h1>;
}
