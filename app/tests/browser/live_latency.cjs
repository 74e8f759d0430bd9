#!/usr/bin/env node
// Glass-to-glass latency in headless Chromium: plays a live stream from a camera that paints
// its capture clock into every frame (fakecam overlay=clock: Unix ms, 42 bits, MSB first, as
// 14x14 black/white blocks on the top edge) and, for every frame the <video> presents
// (requestVideoFrameCallback), reads the clock back from the pixels and compares it with the
// frame's display time. Loopback URLs only.
//
//   node live_latency.cjs --ws  ws://127.0.0.1:P/api/cameras/x/live      [--seconds 10]
//   node live_latency.cjs --hls http://127.0.0.1:P/.../stream.m3u8        [--seconds 10]
//
// Prints one JSON line: {mode, frames, median_ms, p95_ms, min_ms, max_ms, startup_ms}.
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const opt = { mode: null, url: null, seconds: 10, warmup: 3 };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--ws' || a === '--hls') { opt.mode = a.slice(2); opt.url = argv[++i]; }
  else if (a === '--seconds') opt.seconds = Number(argv[++i]);
  else if (a === '--warmup') opt.warmup = Number(argv[++i]);
}
if (!opt.url) { console.error('usage: live_latency.cjs --ws|--hls URL'); process.exit(2); }
const u = new URL(opt.url);
if (!/^(127\.|\[::1\]$)/.test(u.hostname)) { console.error('loopback URLs only'); process.exit(2); }
const origin = `http://${u.host}`;
const harnessUrl = `${origin}/__latency_harness__.html`;
const html = `<!doctype html><html><body style="margin:0;background:#000">
<video id="v" muted playsinline autoplay></video><canvas id="c" style="display:none"></canvas></body></html>`;

// Runs in the page: playback plus the per-frame clock reader.
function pageMain({ mode, url, bits, block }) {
  const v = document.getElementById('v');
  const c = document.getElementById('c');
  const g = c.getContext('2d', { willReadFrequently: true });
  window.__lat = { samples: [], errors: [], firstFrameAt: null, t0: performance.now() };
  const onFrame = (_now, meta) => {
    if (v.videoWidth) {
      const w = bits * block;
      c.width = w; c.height = block;
      g.drawImage(v, 0, 0, w, block, 0, 0, w, block);
      const px = g.getImageData(0, 0, w, block).data;
      let ms = 0;
      for (let i = 0; i < bits; i++) {
        const o = ((block >> 1) * w + i * block + (block >> 1)) * 4;
        ms = ms * 2 + (px[o] + px[o + 1] + px[o + 2] > 384 ? 1 : 0);
      }
      const shown = performance.timeOrigin + meta.expectedDisplayTime;
      const wrap = 2 ** bits;
      const lat = ((shown % wrap) - ms + wrap) % wrap;
      if (window.__lat.firstFrameAt === null) window.__lat.firstFrameAt = performance.now();
      window.__lat.samples.push(lat);
    }
    v.requestVideoFrameCallback(onFrame);
  };
  v.requestVideoFrameCallback(onFrame);
  if (mode === 'hls') {
    const hls = new Hls({ lowLatencyMode: true });
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.__lat.errors.push(d.details); });
    hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch((e) => window.__lat.errors.push(String(e))));
    hls.loadSource(url);
    hls.attachMedia(v);
    return;
  }
  // WebSocket + MSE, chasing the live edge.
  const ms = new MediaSource();
  v.src = URL.createObjectURL(ms);
  ms.addEventListener('sourceopen', () => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let sb = null; const queue = [];
    const pump = () => {
      if (!sb || sb.updating || !queue.length) return;
      sb.appendBuffer(queue.shift());
    };
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        const init = JSON.parse(m.data);
        if (!sb) {
          sb = ms.addSourceBuffer(`video/mp4; codecs="${init.codecs}"`);
          sb.mode = 'segments';
          sb.addEventListener('updateend', () => {
            const b = v.buffered;
            if (b.length && b.end(b.length - 1) - v.currentTime > 0.3) v.currentTime = b.end(b.length - 1) - 0.05;
            pump();
          });
        }
        return;
      }
      queue.push(m.data); pump();
      if (v.paused) v.play().catch(() => {});
    };
    ws.onerror = () => window.__lat.errors.push('websocket error');
  });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // The harness page is synthesized by playwright, so Chromium cannot place it in the
    // loopback address space and would block its WebSocket as a "local network" request.
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
      '--disable-features=LocalNetworkAccessChecks',
      '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const result = { mode: opt.mode, url: opt.url, ok: false };
  try {
    const page = await browser.newPage();
    await page.route(harnessUrl, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: html }));
    await page.goto(harnessUrl);
    if (opt.mode === 'hls') await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
    await page.evaluate(pageMain, { mode: opt.mode, url: opt.url, bits: 42, block: 14 });
    // Warm-up (start-up, live-edge catch-up), then measure.
    await page.waitForTimeout(opt.warmup * 1000);
    const skip = await page.evaluate(() => window.__lat.samples.length);
    await page.waitForTimeout(opt.seconds * 1000);
    const st = await page.evaluate(() => window.__lat);
    const s = st.samples.slice(skip).sort((a, b) => a - b);
    const q = (p) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]) : null);
    Object.assign(result, {
      frames: s.length, median_ms: q(0.5), p95_ms: q(0.95), min_ms: q(0), max_ms: q(1),
      startup_ms: st.firstFrameAt === null ? null : Math.round(st.firstFrameAt - st.t0),
      errors: st.errors.slice(0, 5),
    });
    // A misread clock shows as nonsense latencies; a sane stream reads within a minute.
    result.ok = s.length > 0 && !st.errors.length && result.max_ms < 60000;
  } catch (e) {
    result.error = String((e && e.message) || e).slice(0, 500);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
})();
