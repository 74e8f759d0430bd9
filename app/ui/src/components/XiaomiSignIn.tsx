// Owns the Xiaomi sign-in steps of the import panel: account / password / region form, then,
// when Xiaomi asks for it, the captcha (picture, code, "new picture") or the e-mail/phone
// verification code. Each refusal is shown in plain words with what to do next; a wrong
// password after the captcha returns to the form, a wrong verification code may be retyped.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  captchaSrc,
  xiaomiApi,
  xiaomiErrorKind,
  XIAOMI_REGIONS,
  type XiaomiAuthAnswer,
  type XiaomiAuthStatus,
  type XiaomiCaptcha,
  type XiaomiRegion,
  type XiaomiVerification,
} from '../api-xiaomi';
import { t, type Key } from '../i18n';
import { ErrorBox } from './ErrorBox';

type Step = { kind: 'form' } | { kind: 'captcha'; c: XiaomiCaptcha; wrong: boolean } | { kind: 'verify'; v: XiaomiVerification };
type Busy = null | 'signin' | 'captcha' | 'new-captcha' | 'verify';

const REGION_KEY: Record<XiaomiRegion, Key> = {
  cn: 'xiaomi.regionCn', de: 'xiaomi.regionDe', us: 'xiaomi.regionUs', ru: 'xiaomi.regionRu',
  tw: 'xiaomi.regionTw', sg: 'xiaomi.regionSg', in: 'xiaomi.regionIn', i2: 'xiaomi.regionI2',
};

export interface SignInProps {
  defaultRegion: XiaomiRegion;
  /** Why the form is shown again (e.g. the session ended), shown above it. */
  initialError?: unknown;
  initialHint?: Key | null;
  onSignedIn: (s: XiaomiAuthStatus) => void;
}

export function XiaomiSignIn({ defaultRegion, initialError = null, initialHint = null, onSignedIn }: SignInProps) {
  const [step, setStep] = useState<Step>({ kind: 'form' });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [region, setRegion] = useState<XiaomiRegion>(defaultRegion);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState<Busy>(null);
  const [error, setError] = useState<unknown>(initialError);
  const [hint, setHint] = useState<Key | null>(initialHint);
  const userRef = useRef<HTMLInputElement>(null);
  const passRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => setRegion(defaultRegion), [defaultRegion]);

  // Focus follows the step: the code field of a new captcha/verification, else the form.
  const stepKey = step.kind === 'captcha' ? step.c.captcha_id : step.kind === 'verify' ? step.v.verification_id : 'form';
  useEffect(() => {
    if (step.kind !== 'form') codeRef.current?.focus();
    else if (username && hint === 'xiaomi.rejected') passRef.current?.select();
    else userRef.current?.focus();
  }, [stepKey]);

  const fail = (e: unknown, where: 'form' | 'captcha' | 'verify') => {
    const kind = xiaomiErrorKind(e);
    setError(e);
    setCode('');
    if (kind === 'rejected' && where === 'verify') {
      setHint('xiaomi.verifyRetry');
      codeRef.current?.focus();
    } else if (kind === 'rejected') {
      // A wrong account or password (Xiaomi tells only after the captcha).
      setHint('xiaomi.rejected');
      setStep({ kind: 'form' });
      passRef.current?.select();
    } else if (kind === 'expired') {
      setHint('xiaomi.expired');
      setStep({ kind: 'form' });
    } else {
      setHint(kind === 'cloud' ? 'xiaomi.cloudHint' : null);
    }
  };

  const answer = (a: XiaomiAuthAnswer, afterCaptcha: boolean) => {
    setCode('');
    if (a.status === 'signed_in') {
      setPassword('');
      onSignedIn({ signed_in: true, username: a.username, user_id: a.user_id, region: a.region });
    } else if (a.status === 'captcha_required') {
      setStep({ kind: 'captcha', c: a, wrong: afterCaptcha || !!a.message });
    } else {
      setStep({ kind: 'verify', v: a });
    }
  };

  const run = async (b: Busy, where: 'form' | 'captcha' | 'verify', fn: () => Promise<void>) => {
    setBusy(b);
    setError(null);
    setHint(null);
    try {
      await fn();
    } catch (e) {
      fail(e, where);
    } finally {
      setBusy(null);
    }
  };

  const signIn = (ev: Event) => {
    ev.preventDefault();
    void run('signin', 'form', async () => answer(await xiaomiApi.signIn({ username: username.trim(), password, region }), false));
  };
  const sendCode = (ev: Event) => {
    ev.preventDefault();
    if (step.kind === 'captcha') {
      const id = step.c.captcha_id;
      void run('captcha', 'captcha', async () => answer(await xiaomiApi.answerCaptcha(id, code.trim()), true));
    } else if (step.kind === 'verify') {
      const id = step.v.verification_id;
      void run('verify', 'verify', async () => answer(await xiaomiApi.answerVerification(id, code.trim()), false));
    }
  };
  const newCaptcha = () =>
    void run('new-captcha', 'captcha', async () => {
      const c = await xiaomiApi.newCaptcha(username.trim());
      setCode('');
      setStep({ kind: 'captcha', c, wrong: false });
    });
  const back = () => {
    setStep({ kind: 'form' });
    setError(null);
    setHint(null);
    setCode('');
  };

  const val = (f: (v: string) => void) => (e: Event) => f((e.target as HTMLInputElement).value);
  const errors = (
    <>
      <ErrorBox error={error} onDismiss={() => { setError(null); setHint(null); }} />
      {hint && <p class="small xiaomi-hint" id="xiaomi-hint">{t(hint)}</p>}
    </>
  );

  if (step.kind === 'form') {
    return (
      <form class="form xiaomi-form" id="xiaomi-signin-form" onSubmit={signIn} aria-busy={busy !== null}>
        {errors}
        <div class="form-grid">
          <label for="xiaomi-user">{t('xiaomi.account')}</label>
          <div>
            <input id="xiaomi-user" ref={userRef} type="text" autocomplete="username" required maxLength={256}
              spellcheck={false} autocapitalize="off" value={username} onInput={val(setUsername)}
              aria-describedby="xiaomi-user-help" class="xiaomi-input" />
            <div class="muted small" id="xiaomi-user-help">{t('xiaomi.accountHelp')}</div>
          </div>
          <label for="xiaomi-password">{t('xiaomi.password')}</label>
          <input id="xiaomi-password" ref={passRef} type="password" autocomplete="current-password" required
            value={password} onInput={val(setPassword)} aria-describedby="xiaomi-password-note" class="xiaomi-input" />
          <label for="xiaomi-region">{t('xiaomi.region')}</label>
          <div>
            <select id="xiaomi-region" value={region} aria-describedby="xiaomi-region-help"
              onChange={(e) => setRegion((e.target as HTMLSelectElement).value as XiaomiRegion)}>
              {XIAOMI_REGIONS.map((r) => (
                <option value={r}>{t(REGION_KEY[r])}</option>
              ))}
            </select>
            <div class="muted small" id="xiaomi-region-help">{t('xiaomi.regionHelp')}</div>
          </div>
        </div>
        <p class="muted small" id="xiaomi-password-note">{t('xiaomi.passwordNote')}</p>
        <div class="actions">
          <button type="submit" class="btn btn-primary" id="xiaomi-signin" disabled={busy !== null || !username.trim() || !password}>
            {busy === 'signin' ? t('xiaomi.signingIn') : t('xiaomi.signIn')}
          </button>
        </div>
      </form>
    );
  }

  if (step.kind === 'captcha') {
    const { c, wrong } = step;
    return (
      <form class="form xiaomi-form" id="xiaomi-captcha-form" onSubmit={sendCode} aria-busy={busy !== null} aria-labelledby="xiaomi-captcha-title">
        <h3 id="xiaomi-captcha-title">{t('xiaomi.captchaTitle')}</h3>
        <p class="muted small">{t('xiaomi.captchaHelp', { user: username.trim() })}</p>
        {wrong && (
          <div class="alert alert-warn" role="alert" id="xiaomi-captcha-wrong">
            <span class="alert-text">{t('xiaomi.captchaWrong')}</span>
          </div>
        )}
        {errors}
        <div class="xiaomi-captcha">
          <img id="xiaomi-captcha-img" class="xiaomi-captcha-img" data-captcha-id={c.captcha_id} src={captchaSrc(c)} alt={t('xiaomi.captchaImage')} />
          <button type="button" class="btn btn-small" id="xiaomi-captcha-new" onClick={newCaptcha} disabled={busy !== null}>
            {busy === 'new-captcha' ? t('xiaomi.captchaLoading') : t('xiaomi.captchaNew')}
          </button>
        </div>
        <label for="xiaomi-captcha-code">{t('xiaomi.captchaCode')}</label>
        <input id="xiaomi-captcha-code" ref={codeRef} type="text" autocomplete="off" autocapitalize="off" spellcheck={false}
          required maxLength={32} value={code} onInput={val(setCode)} class="xiaomi-code" />
        <div class="actions">
          <button type="submit" class="btn btn-primary" id="xiaomi-captcha-submit" disabled={busy !== null || !code.trim()}>
            {busy === 'captcha' ? t('xiaomi.verifying') : t('xiaomi.continue')}
          </button>
          <button type="button" class="btn" id="xiaomi-back" onClick={back} disabled={busy !== null}>
            {t('xiaomi.back')}
          </button>
        </div>
      </form>
    );
  }

  const { v } = step;
  return (
    <form class="form xiaomi-form" id="xiaomi-verify-form" onSubmit={sendCode} aria-busy={busy !== null} aria-labelledby="xiaomi-verify-title">
      <h3 id="xiaomi-verify-title">{t('xiaomi.verifyTitle')}</h3>
      <p id="xiaomi-verify-target">
        {t(v.method === 'phone' ? 'xiaomi.verifyPhone' : 'xiaomi.verifyEmail', { target: v.masked_target })}
      </p>
      {errors}
      <label for="xiaomi-code">{t('xiaomi.verifyCode')}</label>
      <input id="xiaomi-code" ref={codeRef} type="text" inputMode="numeric" autocomplete="one-time-code" spellcheck={false}
        required maxLength={16} value={code} onInput={val(setCode)} class="xiaomi-code" aria-describedby="xiaomi-verify-target" />
      <div class="actions">
        <button type="submit" class="btn btn-primary" id="xiaomi-code-submit" disabled={busy !== null || !code.trim()}>
          {busy === 'verify' ? t('xiaomi.verifying') : t('xiaomi.continue')}
        </button>
        <button type="button" class="btn" id="xiaomi-back" onClick={back} disabled={busy !== null}>
          {t('xiaomi.back')}
        </button>
      </div>
    </form>
  );
}
