// Owns how an API or other error is shown: the server's plain-words message (and code),
// in a role="alert" box so screen readers announce it. Never swallows anything.
import { ApiError } from '../api';
import { t } from '../i18n';

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

export function ErrorBox({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error == null) return null;
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div class="alert alert-error" role="alert">
      <strong>{t('common.error')}:</strong> <span class="alert-text">{errorText(error)}</span>
      {code && <span class="alert-code"> ({code})</span>}
      {onDismiss && (
        <button type="button" class="btn-link" onClick={onDismiss}>
          {t('common.dismiss')}
        </button>
      )}
    </div>
  );
}

export function Notice({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="alert alert-ok" role="status">
      {text}
    </div>
  );
}
