// Owns the camera form's "Test connection" button: POSTs the form's current values to
// /api/cameras/test-connection (nothing is saved) and shows the outcome: codec, resolution,
// time to first frame and frames on success, the camera's failure reason in plain words
// otherwise, or the server's refusal (e.g. a URL scheme it cannot test).
import { useEffect, useRef, useState } from 'preact/hooks';
import { camApi, type TestInput, type TestResult } from '../api-camera';
import { t } from '../i18n';
import '../camera-view.css';
import { ErrorBox } from './ErrorBox';

type State = { kind: 'idle' } | { kind: 'testing' } | { kind: 'done'; r: TestResult } | { kind: 'error'; error: unknown };

function summary(r: TestResult): string {
  const d = r.details ?? {};
  const parts: string[] = [];
  const codec = [d.encoding?.toUpperCase(), d.codec ? `(${d.codec})` : ''].filter(Boolean).join(' ');
  if (codec) parts.push(codec);
  if (d.width && d.height) parts.push(`${d.width}×${d.height}`);
  if (d.latency_ms != null) parts.push(t('testconn.latency', { ms: d.latency_ms }));
  if (d.frames_received != null) parts.push(t('testconn.frames', { n: d.frames_received }));
  return parts.join(' · ');
}

export function TestConnection({ input }: { input: TestInput }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const ctl = useRef<AbortController | null>(null);
  useEffect(() => () => ctl.current?.abort(), []);

  const run = async () => {
    ctl.current?.abort();
    const c = new AbortController();
    ctl.current = c;
    setState({ kind: 'testing' });
    const body: TestInput = { url: input.url?.trim(), protocol: input.protocol, encoding: input.encoding };
    if (input.username) body.username = input.username;
    if (input.password) body.password = input.password;
    if (input.camera_id) body.camera_id = input.camera_id; // the stored password is used
    try {
      const r = await camApi.testConnection(body, c.signal);
      setState({ kind: 'done', r });
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setState({ kind: 'error', error: e });
    }
  };

  return (
    <div class="testconn" id="test-connection">
      <button type="button" class="btn" id="cam-test" onClick={run}
        disabled={state.kind === 'testing' || !input.url?.trim()} aria-describedby="cam-test-result">
        {state.kind === 'testing' ? t('testconn.testing') : t('testconn.button')}
      </button>
      <div id="cam-test-result" aria-live="polite">
        {state.kind === 'testing' && <p class="muted small">{t('testconn.wait')}</p>}
        {state.kind === 'done' && state.r.success && (
          <div class="alert alert-ok testconn-ok" role="status" data-result="ok">
            <strong>{t('testconn.ok')}</strong> <span class="testconn-details">{summary(state.r)}</span>
          </div>
        )}
        {state.kind === 'done' && !state.r.success && (
          <div class="alert alert-error testconn-fail" role="alert" data-result="fail">
            <strong>{t('testconn.failed')}:</strong> <span class="alert-text">{state.r.message || t('testconn.noReason')}</span>
          </div>
        )}
        {state.kind === 'error' && <ErrorBox error={state.error} />}
      </div>
    </div>
  );
}
