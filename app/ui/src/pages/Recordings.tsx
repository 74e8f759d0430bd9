// Owns the recordings page: per-camera day timeline, playback from a clicked moment, list with filters and multi-select delete, downloads.
import { t } from '../i18n';

export function RecordingsPage() {
  return <h1>{t('rec.title')}</h1>;
}
