// Owns one live tile: hls.js playback of the camera's LL-HLS stream (hls.js is loaded on
// demand as its own chunk), falling back to refreshing the snapshot every 2 s when HLS fails,
// and retrying HLS every 20 s while in fallback. Shows the camera name, status and mode.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, authHeaders, requestBlob, type Camera } from '../api';
import { t } from '../i18n';
import { errorText } from './ErrorBox';
import { StatusBadge } from './StatusBadge';

type Mode = 'starting' | 'hls' | 'snapshot';
const SNAPSHOT_MS = 2000;
const HLS_RETRY_MS = 20000;

type HlsModule = typeof import('hls.js/light');
let hlsPromise: Promise<HlsModule> | null = null;
function loadHls(): Promise<HlsModule> {
  hlsPromise ??= import('hls.js/light');
  return hlsPromise;
}

export function LiveTile({ camera }: { camera: Camera }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [mode, setMode] = useState<Mode>('starting');
  const [hlsError, setHlsError] = useState<string | null>(null);
  const [snapError, setSnapError] = useState<string | null>(null);
  const [snapUrl, setSnapUrl] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  // HLS playback (re-run on each retry attempt).
  useEffect(() => {
    let destroyed = false;
    let hls: InstanceType<HlsModule['default']> | null = null;
    const fail = (reason: string) => {
      if (destroyed) return;
      hls?.destroy();
      hls = null;
      setHlsError(reason);
      setMode('snapshot');
    };
    setMode('starting');
    loadHls()
      .then(({ default: Hls }) => {
        if (destroyed) return;
        const video = videoRef.current!;
        if (!Hls.isSupported()) return fail('Media Source Extensions are not available in this browser');
        const headers = authHeaders();
        hls = new Hls({
          lowLatencyMode: true,
          xhrSetup: (xhr) => {
            for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
          },
        });
        hls.on(Hls.Events.MANIFEST_PARSED, () => {
          video.play().catch(() => undefined);
        });
        hls.on(Hls.Events.FRAG_BUFFERED, () => {
          if (!destroyed) setMode('hls');
        });
        hls.on(Hls.Events.ERROR, (_e, d) => {
          if (!d.fatal) return;
          const status = d.response?.code ? ` (HTTP ${d.response.code})` : '';
          let text = '';
          const body = (d.networkDetails as XMLHttpRequest | undefined)?.responseText;
          try {
            text = body ? (JSON.parse(body) as { error?: string }).error ?? '' : '';
          } catch {
            /* not JSON */
          }
          fail(text || `${d.details}${status}`);
        });
        hls.loadSource(api.streamUrl(camera.id));
        hls.attachMedia(video);
      })
      .catch((e) => fail(errorText(e)));
    return () => {
      destroyed = true;
      hls?.destroy();
    };
  }, [camera.id, attempt]);

  // Snapshot fallback loop, and periodic HLS retry.
  useEffect(() => {
    if (mode !== 'snapshot') return;
    const ctl = new AbortController();
    let url: string | null = null;
    const refresh = async () => {
      try {
        const blob = await requestBlob(api.snapshotUrl(camera.id), ctl.signal);
        const next = URL.createObjectURL(blob);
        if (url) URL.revokeObjectURL(url);
        url = next;
        setSnapUrl(next);
        setSnapError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setSnapError(errorText(e));
      }
    };
    void refresh();
    const timer = setInterval(refresh, SNAPSHOT_MS);
    const retry = setTimeout(() => setAttempt((a) => a + 1), HLS_RETRY_MS);
    return () => {
      ctl.abort();
      clearInterval(timer);
      clearTimeout(retry);
      if (url) URL.revokeObjectURL(url);
    };
  }, [mode, camera.id]);

  const modeLabel = mode === 'hls' ? t('live.modeHls') : mode === 'snapshot' ? t('live.modeSnapshot') : t('live.modeStarting');
  return (
    <figure class="tile" data-camera-id={camera.id} data-mode={mode}>
      <div class="tile-media">
        <video ref={videoRef} muted playsInline autoplay aria-label={camera.name} hidden={mode === 'snapshot'} />
        {mode === 'snapshot' && snapUrl && <img src={snapUrl} alt={camera.name} />}
      </div>
      <figcaption class="tile-caption">
        <a class="tile-name" href={`#/camera/${encodeURIComponent(camera.id)}`}>{camera.name}</a>
        <StatusBadge status={camera.status} />
        <span class="tile-mode">{modeLabel}</span>
      </figcaption>
      {mode === 'snapshot' && hlsError && (
        <p class="tile-error" role="status">
          {t('live.hlsFailed', { reason: hlsError })}
          {snapError && <> {t('live.snapshotFailed', { reason: snapError })}</>}
        </p>
      )}
    </figure>
  );
}
