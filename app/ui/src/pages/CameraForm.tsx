// Owns the add/edit camera form (name, protocol, url, username, password, encoding, enabled).
// On submit it calls POST or PUT and shows the server's error text when it is refused;
// "Test connection" tries the current values without saving.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Camera, type CameraInput, type Encoding, type Protocol } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { TestConnection } from '../components/TestConnection';
import { t } from '../i18n';

const PROTOCOLS: Protocol[] = ['rtsp', 'onvif', 'http'];
const ENCODINGS: Encoding[] = ['h264', 'h265', 'mjpeg'];

export interface FormSeed {
  camera?: Camera; // editing
  preset?: CameraInput; // adding, e.g. from ONVIF discovery
  focusCredentials?: boolean;
}

export function CameraForm({ seed, onDone, onCancel }: { seed: FormSeed; onDone: (c: Camera, created: boolean) => void; onCancel: () => void }) {
  const cam = seed.camera;
  const init = cam ?? seed.preset ?? {};
  const [name, setName] = useState(init.name ?? '');
  const [protocol, setProtocol] = useState<Protocol>(init.protocol ?? 'rtsp');
  const [url, setUrl] = useState(init.url ?? '');
  const [username, setUsername] = useState(init.username ?? '');
  const [password, setPassword] = useState('');
  const [encoding, setEncoding] = useState<Encoding>(init.encoding ?? 'h264');
  const [enabled, setEnabled] = useState(init.enabled ?? true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  const userRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    (seed.focusCredentials ? userRef : firstRef).current?.focus();
  }, [seed]);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    const body: CameraInput = { name, protocol, url, username, encoding, enabled };
    if (password !== '' || !cam) body.password = password;
    try {
      const saved = cam ? await api.updateCamera(cam.id, body) : await api.createCamera(body);
      onDone(saved, !cam);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const val = (f: (v: string) => void) => (e: Event) => f((e.target as HTMLInputElement).value);
  const title = cam ? t('cams.editTitle') : t('cams.addTitle');
  return (
    <form class="card form camera-form" id="camera-form" onSubmit={submit} aria-label={title}>
      <h2>{title}</h2>
      {seed.focusCredentials && <p class="muted">{t('disc.hint')}</p>}
      <ErrorBox error={error} />
      <div class="form-grid">
        <label for="cam-name">{t('cams.name')}</label>
        <input id="cam-name" ref={firstRef} required maxLength={128} value={name} onInput={val(setName)} />
        <label for="cam-protocol">{t('cams.protocol')}</label>
        <select id="cam-protocol" value={protocol} onChange={val((v) => setProtocol(v as Protocol))}>
          {PROTOCOLS.map((p) => (
            <option value={p}>{p}</option>
          ))}
        </select>
        <label for="cam-url">{t('cams.url')}</label>
        <input id="cam-url" required value={url} onInput={val(setUrl)} placeholder="rtsp://192.168.1.10:554/stream1"
          autocomplete="off" spellcheck={false} />
        <label for="cam-username">{t('cams.username')}</label>
        <input id="cam-username" ref={userRef} value={username} onInput={val(setUsername)} autocomplete="off" />
        <label for="cam-password">{t('cams.password')}</label>
        <input id="cam-password" type="password" value={password} onInput={val(setPassword)} autocomplete="new-password"
          placeholder={cam?.has_password ? t('cams.passwordKeep') : ''} />
        <label for="cam-encoding">{t('cams.encoding')}</label>
        <select id="cam-encoding" value={encoding} onChange={val((v) => setEncoding(v as Encoding))}>
          {ENCODINGS.map((p) => (
            <option value={p}>{p}</option>
          ))}
        </select>
        <span />
        <label class="check">
          <input id="cam-enabled" type="checkbox" checked={enabled}
            onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} />
          {t('cams.enabled')}
        </label>
      </div>
      <TestConnection input={{ protocol, url, username, password, encoding, camera_id: cam?.id }} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="cam-save" disabled={busy}>
          {busy ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
