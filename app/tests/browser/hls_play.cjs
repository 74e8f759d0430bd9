#!/usr/bin/env node
// Plays a live HLS stream with hls.js in Debian's headless Chromium (playwright-core) and
// reports whether the <video> really plays: after the first frame shows, currentTime is
// sampled for --seconds and must advance by --min-advance. Loopback URLs only.
//
//   node hls_play.cjs http://127.0.0.1:PORT/api/cameras/x/stream/stream.m3u8
//        [--seconds 6] [--min-advance 5] [--user U --password P] [--startup-timeout 15]
//
// Prints one JSON line; exit 0 when the stream played.
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const opt = { seconds: 6, minAdvance: 5, user: null, password: null, startupTimeout: 15, url: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--seconds') opt.seconds = Number(argv[++i]);
  else if (a === '--min-advance') opt.minAdvance = Number(argv[++i]);
  else if (a === '--user') opt.user = argv[++i];
  else if (a === '--password') opt.password = argv[++i];
  else if (a === '--startup-timeout') opt.startupTimeout = Number(argv[++i]);
  else opt.url = a;
}
if (!opt.url) { console.error('usage: hls_play.cjs URL.m3u8'); process.exit(2); }
const u = new URL(opt.url);
if (!/^(127\.|\[::1\]$)/.test(u.hostname)) { console.error('loopback URLs only'); process.exit(2); }

const harnessUrl = `${u.origin}/__hls_harness__.html`;
const html = `<!doctype html><html><body style="margin:0;background:#000">
<video id="v" muted playsinline autoplay style="width:640px;height:360px"></video></body></html>`;

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--autoplay-policy=no-user-gesture-required'],
  });
  const result = { url: opt.url, ok: false };
  try {
    const ctx = await browser.newContext(opt.user ? { httpCredentials: { username: opt.user, password: opt.password } } : {});
    const page = await ctx.newPage();
    const consoleLines = [];
    page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`.slice(0, 300)));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`.slice(0, 300)));
    await page.route(harnessUrl, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: html }));
    await page.goto(harnessUrl);
    await page.addScriptTag({ path: require.resolve('hls.js/dist/hls.min.js') });
    const t0 = Date.now();
    result.hls_version = await page.evaluate((src) => {
      const v = document.getElementById('v');
      window.__ev = { errors: [], fatal: null, frags: 0, parts: 0 };
      const hls = new Hls({ lowLatencyMode: true });
      hls.on(Hls.Events.FRAG_LOADED, (_e, d) => { if (d.part) window.__ev.parts++; else window.__ev.frags++; });
      hls.on(Hls.Events.ERROR, (_e, d) => {
        window.__ev.errors.push(`${d.type}/${d.details}${d.fatal ? ' FATAL' : ''}`);
        if (d.fatal) window.__ev.fatal = d.details;
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => v.play().catch((e) => window.__ev.errors.push('play(): ' + e)));
      hls.loadSource(src);
      hls.attachMedia(v);
      window.__hls = hls;
      return Hls.version;
    }, opt.url);
    const sample = () => page.evaluate(() => {
      const v = document.getElementById('v');
      return { t: v.currentTime, rs: v.readyState, w: v.videoWidth, h: v.videoHeight,
        latency: window.__hls.latency, fatal: window.__ev.fatal };
    });
    let s = await sample();
    while (!(s.rs >= 2 && s.t > 0) && !s.fatal && Date.now() - t0 < opt.startupTimeout * 1000) {
      await page.waitForTimeout(100);
      s = await sample();
    }
    result.startup_ms = Date.now() - t0;
    const start = s;
    const tStart = Date.now();
    while (Date.now() - tStart < opt.seconds * 1000 && !s.fatal) {
      await page.waitForTimeout(250);
      s = await sample();
    }
    const ev = await page.evaluate(() => window.__ev);
    Object.assign(result, {
      advanced_s: +(s.t - start.t).toFixed(3),
      window_s: +((Date.now() - tStart) / 1000).toFixed(3),
      video_size: [s.w, s.h],
      hls_latency_s: s.latency == null ? null : +s.latency.toFixed(3),
      frags_loaded: ev.frags, parts_loaded: ev.parts,
      errors: ev.errors.slice(0, 10), fatal: ev.fatal, console: consoleLines.slice(0, 10),
    });
    result.ok = !ev.fatal && start.rs >= 2 && result.advanced_s >= opt.minAdvance;
  } catch (e) {
    result.error = String((e && e.message) || e).slice(0, 500);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
})();
