// Owns the camera status badge (translated status word, colour by state).
import type { CameraStatus } from '../api';
import { t, type Key } from '../i18n';

export function StatusBadge({ status }: { status: CameraStatus | string }) {
  const key = `status.${status}` as Key;
  const known = ['recording', 'connecting', 'reconnecting', 'stopped', 'disabled', 'error'].includes(status);
  return <span class={`badge badge-${known ? status : 'unknown'}`}>{known ? t(key) : status}</span>;
}
