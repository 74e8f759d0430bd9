// Owns the transcoding-check card: runs GET /api/transcoding/check on request (the first call
// benchmarks the encoder for up to 2 s) and shows encoders, measured speed and warnings.
import { useState } from 'preact/hooks';
import { sysApi, type TranscodingCheck } from '../api-system';
import { t } from '../i18n';
import { ErrorBox } from './ErrorBox';

export function SysTranscode() {
  const [res, setRes] = useState<TranscodingCheck | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setRes(await sysApi.transcodingCheck());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card" id="transcoding">
      <h2>{t('system.transcoding')}</h2>
      <p class="muted small">{t('system.transcodingHelp')}</p>
      <button type="button" class="btn" id="transcode-check" onClick={() => void run()} disabled={busy}>
        {busy ? t('system.checking') : t('system.check')}
      </button>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      {res && (
        <div id="transcode-result" aria-live="polite">
          <p class={res.supported ? 'alert alert-ok' : 'alert alert-warn'}>
            {res.supported ? t('system.tcSupported') : t('system.tcUnsupported')}
          </p>
          <dl class="kv small">
            <dt>H.264</dt>
            <dd>{`${res.encoders.h264 || '–'} (${res.h264_encoder_type})`}</dd>
            <dt>H.265</dt>
            <dd>{`${res.encoders.h265 || '–'} (${res.h265_encoder_type})`}</dd>
            <dt>{t('system.tcFps')}</dt>
            <dd>{t('system.tcFpsValue', { fps: res.estimated_fps.toFixed(1) })}</dd>
            <dt>{t('system.tcMax')}</dt>
            <dd>{res.max_concurrent}</dd>
            <dt>{t('system.tcCores')}</dt>
            <dd>{t('system.tcCoresValue', { cores: res.total_cores, mb: res.total_memory_mb })}</dd>
            <dt>{t('system.tcDevices')}</dt>
            <dd>{res.devices.map((d) => `${d.name} (${d.type}${d.encodes?.length ? `: ${d.encodes.join(', ')}` : ''})`).join('; ') || '–'}</dd>
            {res.benchmark && (
              <>
                <dt>{t('system.tcBench')}</dt>
                <dd>
                  {t('system.tcBenchValue', {
                    frames: res.benchmark.frames,
                    w: res.benchmark.width,
                    h: res.benchmark.height,
                    s: res.benchmark.seconds.toFixed(2),
                  })}
                </dd>
              </>
            )}
          </dl>
          {res.warnings.length > 0 && (
            <ul class="small tc-warnings">
              {res.warnings.map((w) => (
                <li>{w}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
