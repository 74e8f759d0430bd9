// Owns one camera's page: live video, PTZ pad with presets, imaging sliders, snapshot download.
import { t } from '../i18n';

export function CameraViewPage({ id }: { id: string }) {
  return <h1>{t('camview.title')}: {id}</h1>;
}
