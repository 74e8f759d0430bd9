// Owns the Cameras page's "Import from Xiaomi" card: the button that opens the panel, the
// Xiaomi sign-in state read when it opens (GET /api/xiaomi/auth, default region from settings),
// and the switch between signing in (XiaomiSignIn) and the signed-in account (XiaomiAccount).
// Xiaomi errors concern the Xiaomi account only: this NVR's own sign-in is never touched.
import { useState } from 'preact/hooks';
import { xiaomiApi, xiaomiErrorKind, type XiaomiAuthStatus, type XiaomiRegion } from '../api-xiaomi';
import { t, type Key } from '../i18n';
import '../xiaomi.css';
import { ErrorBox } from './ErrorBox';
import { XiaomiAccount } from './XiaomiAccount';
import { XiaomiSignIn } from './XiaomiSignIn';

type State =
  | { kind: 'closed' }
  | { kind: 'loading' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'signed-out'; error: unknown; hint: Key | null }
  | { kind: 'signed-in'; status: XiaomiAuthStatus };

export function XiaomiImport({ onSynced }: { onSynced: () => void }) {
  const [state, setState] = useState<State>({ kind: 'closed' });
  const [region, setRegion] = useState<XiaomiRegion>('cn');
  // A new key per sign-in form, so it starts clean after a sign-out.
  const [formKey, setFormKey] = useState(0);

  const signedOut = (error: unknown = null) => {
    setFormKey((k) => k + 1);
    const hint: Key | null = error != null && xiaomiErrorKind(error) === 'signed-out' ? 'xiaomi.sessionEnded' : null;
    setState({ kind: 'signed-out', error, hint });
  };

  const load = async () => {
    setState({ kind: 'loading' });
    try {
      const [status, r] = await Promise.all([xiaomiApi.status(), xiaomiApi.defaultRegion()]);
      setRegion(r);
      if (status.signed_in) setState({ kind: 'signed-in', status });
      else signedOut();
    } catch (e) {
      setState({ kind: 'failed', error: e });
    }
  };

  const open = state.kind !== 'closed';
  const toggle = () => (open ? setState({ kind: 'closed' }) : void load());

  return (
    <section class="card xiaomi" id="xiaomi" aria-labelledby="xiaomi-title">
      <div class="page-head">
        <h2 id="xiaomi-title">{t('xiaomi.title')}</h2>
        <button type="button" class="btn" id="xiaomi-open" aria-expanded={open} aria-controls="xiaomi-panel" onClick={toggle}>
          {open ? t('xiaomi.close') : t('xiaomi.open')}
        </button>
      </div>
      <p class="muted small xiaomi-intro">{t('xiaomi.intro')}</p>
      {open && (
        <div id="xiaomi-panel" class="xiaomi-panel">
          <p class="alert alert-warn small xiaomi-note" id="xiaomi-rtsp-note">{t('xiaomi.rtspNote')}</p>
          {state.kind === 'loading' && <p class="muted" role="status">{t('xiaomi.checking')}</p>}
          {state.kind === 'failed' && (
            <>
              <ErrorBox error={state.error} />
              <button type="button" class="btn" onClick={() => void load()}>{t('common.retry')}</button>
            </>
          )}
          {state.kind === 'signed-out' && (
            <XiaomiSignIn key={formKey} defaultRegion={region} initialError={state.error} initialHint={state.hint}
              onSignedIn={(status) => setState({ kind: 'signed-in', status })} />
          )}
          {state.kind === 'signed-in' && (
            <XiaomiAccount status={state.status} onSignedOut={signedOut} onSynced={onSynced} />
          )}
        </div>
      )}
    </section>
  );
}
