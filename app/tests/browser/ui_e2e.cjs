#!/usr/bin/env node
// End-to-end test of the web UI in Debian's headless Chromium (playwright-core), against the
// real daemon (serving the UI, or app/ui/scripts/dev-proxy.cjs in front of it) and a fake
// RTSP camera. Loopback URLs only.
//
//   node ui_e2e.cjs --base http://127.0.0.1:PORT --rtsp rtsp://127.0.0.1:P/cam0 --shots DIR
//        [--user U --password P] [--play-timeout 40]
//
// Steps: log in (when a password is set; else the "no password" banner must show); add a
// camera through the Cameras form; its live tile's <video> currentTime must advance >= 2 s;
// change retention_days in Settings, reload, value kept; a failing API call (camera URL
// ftp://x) shows the server's error text; Chinese on every page with no raw i18n keys;
// delete the camera; a full-page screenshot of every page in --shots.
// Prints one JSON line; exit 0 on success, 1 with "error" naming the failed step.
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const opt = { base: null, rtsp: null, shots: null, user: 'admin', password: null, playTimeout: 40 };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--base') opt.base = argv[++i].replace(/\/$/, '');
  else if (a === '--rtsp') opt.rtsp = argv[++i];
  else if (a === '--shots') opt.shots = argv[++i];
  else if (a === '--user') opt.user = argv[++i];
  else if (a === '--password') opt.password = argv[++i];
  else if (a === '--play-timeout') opt.playTimeout = Number(argv[++i]);
  else { console.error(`unknown argument ${a}`); process.exit(2); }
}
if (!opt.base || !opt.rtsp || !opt.shots) {
  console.error('usage: ui_e2e.cjs --base URL --rtsp RTSP_URL --shots DIR [--user U --password P]');
  process.exit(2);
}
for (const u of [opt.base, opt.rtsp]) {
  if (!/^127\./.test(new URL(u).hostname)) { console.error(`loopback URLs only: ${u}`); process.exit(2); }
}
fs.mkdirSync(opt.shots, { recursive: true });

// Key-like tokens that would mean a missing translation (t() renders missing keys as ⟦key⟧):
// every key prefix of the English dictionaries (app/ui/src/i18n/en.ts and *.en.ts).
const I18N_DIR = path.join(__dirname, '../../ui/src/i18n');
const PREFIXES = new Set();
for (const f of fs.readdirSync(I18N_DIR).filter((f) => f === 'en.ts' || f.endsWith('.en.ts'))) {
  for (const m of fs.readFileSync(path.join(I18N_DIR, f), 'utf8').matchAll(/^\s*'([a-zA-Z]+)\.[\w.]+':/gm)) PREFIXES.add(m[1]);
}
const RAW_KEY = new RegExp(`⟦|\\b(${[...PREFIXES].join('|')})\\.[a-zA-Z]+\\b`);

// The page-specific steps live in steps/*.cjs; each exports { run(ctx), zh: [[route, text]] }
// (zh: a route and a Chinese text that must show on it in step 7).
const STEPS = ['recordings', 'camera', 'pages', 'xiaomi', 'clock'].map((n) => ({ name: n, ...require(`./steps/${n}.cjs`) }));
const CJK = /[\u4e00-\u9fff]/;

const result = { ok: false, steps: [], shots: [] };
let step = 'start';
const mark = (name, extra) => { step = name; result.steps.push(extra ? { step: name, ...extra } : { step: name }); };

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
  const consoleLines = [];
  const camName = `E2E Cam ${Date.now() % 100000}`;
  let camId = null;
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleLines.push(m.text().slice(0, 200)); });
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`.slice(0, 200)));
    const shot = async (name) => {
      const file = path.join(opt.shots, `${name}.png`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: file, fullPage: true });
      result.shots.push(file);
    };
    const go = async (route) => {
      await page.click(`nav a[href="#/${route}"]`);
      await page.waitForFunction((r) => location.hash === `#/${r}`, route);
    };
    const alertText = async (root = page) => (await root.locator('[role=alert] .alert-text').first().textContent({ timeout: 15000 })).trim();

    // 1. Login (or the no-password banner).
    mark('login');
    await page.goto(`${opt.base}/`);
    if (opt.password != null) {
      await page.locator('#login-user').waitFor({ timeout: 15000 });
      await shot('login');
      // A wrong password first: the error must be shown in plain words.
      await page.fill('#login-user', opt.user);
      await page.fill('#login-password', `${opt.password}-wrong`);
      await page.click('#login-submit');
      result.login_error = await alertText();
      if (!/fail|wrong|invalid|credential|password/i.test(result.login_error)) throw new Error(`unreadable login error: ${result.login_error}`);
      await page.fill('#login-password', opt.password);
      await page.click('#login-submit');
      await page.locator('nav a[href="#/cameras"]').waitFor({ timeout: 15000 });
    } else {
      await page.locator('#no-password-banner').waitFor({ timeout: 15000 });
      result.banner = (await page.locator('#no-password-banner').textContent()).trim();
      await page.goto(`${opt.base}/#/login`);
      await page.locator('#login-user').waitFor();
      await shot('login');
      await page.goto(`${opt.base}/#/live`);
    }

    // 2. Failing API call: a camera with an ftp:// URL.
    mark('error-shown');
    await go('cameras');
    await page.click('#add-camera');
    await page.fill('#cam-name', `${camName} bad`);
    await page.fill('#cam-url', 'ftp://x');
    await page.click('#cam-save');
    result.api_error = await alertText(page.locator('#camera-form'));
    if (!/ftp|scheme|url/i.test(result.api_error) || /\[object|^\{/.test(result.api_error)) {
      throw new Error(`API error not readable: ${result.api_error}`);
    }
    await shot('cameras-error');

    // 3. Add the camera through the form.
    mark('add-camera');
    await page.fill('#cam-name', camName);
    await page.fill('#cam-url', opt.rtsp);
    await page.click('#cam-save');
    const row = page.locator('.cam-row', { has: page.locator('.cam-name', { hasText: camName }) });
    await row.waitFor({ timeout: 15000 });
    camId = await row.getAttribute('data-camera-id');
    const t0 = Date.now();
    let status = await row.getAttribute('data-status');
    while (status !== 'recording' && Date.now() - t0 < 20000) {
      await page.waitForTimeout(1000);
      status = await row.getAttribute('data-status');
    }
    result.camera = { id: camId, status_after_add: status };
    await shot('cameras');

    // 3b. ONVIF discovery UI with a stubbed answer (the real probe is multicast, which tests
    // must not send): Discover lists the device, Add opens the form prefilled as onvif.
    mark('discovery-ui');
    const devUrl = 'http://127.0.0.1:9/onvif/device_service';
    await page.route('**/api/onvif/discover', (route) => route.fulfill({ status: 200, contentType: 'application/json',
      body: JSON.stringify({ devices: [{ uuid: 'urn:uuid:e2e', name: 'Mock ONVIF', model: 'M1', manufacturer: 'E2E', url: devUrl }] }) }));
    await page.click('#discover');
    await page.getByText('Mock ONVIF').waitFor({ timeout: 10000 });
    await page.locator('.list-row', { hasText: 'Mock ONVIF' }).getByRole('button').click();
    await page.locator('#camera-form').waitFor();
    // The form moves focus to the username field in an effect, which runs after paint: wait
    // for it (a few seconds at most) rather than reading focus the instant the form exists.
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'cam-username',
      null, { timeout: 5000 }).catch(() => {});
    const pre = { protocol: await page.inputValue('#cam-protocol'), url: await page.inputValue('#cam-url'),
      focused: await page.evaluate(() => document.activeElement && document.activeElement.id) };
    result.discovery = pre;
    if (pre.protocol !== 'onvif' || pre.url !== devUrl || pre.focused !== 'cam-username') {
      throw new Error(`discovery Add did not prefill the form: ${JSON.stringify(pre)}`);
    }
    await shot('cameras-discovery');
    await page.locator('#camera-form').getByRole('button', { name: 'Cancel' }).click();
    await page.unroute('**/api/onvif/discover');

    // 4. Live grid: that camera's video plays.
    mark('live-plays');
    await go('live');
    await page.click('button[data-layout="4"]');
    const video = page.locator(`.tile[data-camera-id="${camId}"] video`);
    await video.waitFor({ state: 'attached', timeout: 15000 });
    const sample = () => video.evaluate((v) => ({ t: v.currentTime, rs: v.readyState,
      mode: v.closest('.tile').dataset.mode, w: v.videoWidth, h: v.videoHeight,
      buf: Array.from({ length: v.buffered.length }, (_, i) => `${v.buffered.start(i).toFixed(2)}-${v.buffered.end(i).toFixed(2)}`).join(' ') }));
    const tp = Date.now();
    let s = await sample();
    while (!(s.rs >= 2 && s.t > 0) && Date.now() - tp < opt.playTimeout * 1000) {
      await page.waitForTimeout(250);
      s = await sample();
    }
    result.startup_ms = Date.now() - tp;
    const first = s;
    // Sample for up to 12 s; pass as soon as it advanced >= 2 s (allows a short startup stall).
    const tw = Date.now();
    const trace = [[0, +first.t.toFixed(2), first.rs, first.buf]];
    while (s.t - first.t < 2.5 && Date.now() - tw < 12000) {
      await page.waitForTimeout(250);
      s = await sample();
      trace.push([Date.now() - tw, +s.t.toFixed(2), s.rs, s.buf]);
    }
    result.live = { trace: trace.filter((_, i) => i % 4 === 0), // [ms, currentTime, readyState, buffered]
      advanced_s: +(s.t - first.t).toFixed(3), mode: s.mode, video_size: [s.w, s.h] };
    if (!(first.rs >= 2 && s.t - first.t >= 2)) {
      const tileText = await page.locator(`.tile[data-camera-id="${camId}"]`).innerText();
      throw new Error(`live video did not advance >= 2 s (${JSON.stringify(result.live)}; tile: ${tileText})`);
    }
    await shot('live');

    // 5. Settings: retention_days survives a reload.
    mark('settings-persist');
    await go('settings');
    const input = page.locator('#retention-days');
    await input.waitFor();
    const before = Number(await input.inputValue());
    const next = before === 45 ? 46 : 45;
    await input.fill(String(next));
    await page.click('#settings-save');
    await page.locator('.alert-ok').waitFor({ timeout: 10000 });
    await page.reload();
    await input.waitFor({ timeout: 15000 });
    const after = Number(await input.inputValue());
    result.retention = { before, set: next, after_reload: after };
    if (after !== next) throw new Error(`retention_days not kept after reload: ${after} != ${next}`);
    await shot('settings');

    // 5b. The page-specific steps (recordings timeline and playback; camera view, archives,
    // storage, system, settings additions; Xiaomi; the clock and NTP servers).
    for (const st of STEPS) {
      await st.run({ page, go, shot, mark, result, opt, camId, camName, alertText });
    }

    // 6. Dark theme and phone width.
    mark('theme-and-phone');
    await page.click('#theme-toggle');
    const themeNow = await page.evaluate(() => document.documentElement.dataset.theme);
    await shot(`settings-${themeNow}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await go('cameras');
    await row.waitFor();
    await shot('cameras-phone');
    await page.click('#theme-toggle');
    await page.setViewportSize({ width: 1280, height: 800 });

    // 7. Chinese on every page, no raw keys.
    mark('chinese');
    await page.selectOption('#lang-select', 'zh-CN');
    result.zh = {};
    const zhPages = [['live', '实时画面'], ['cameras', '添加摄像头'], ['settings', '录像保留天数'], ...STEPS.flatMap((st) => st.zh)];
    for (const [route, expect] of zhPages) {
      await go(route);
      await page.getByText(expect).first().waitFor({ timeout: 10000 });
      const text = await page.locator('body').innerText();
      const raw = text.match(RAW_KEY);
      if (raw) throw new Error(`raw i18n key on ${route}: ${raw[0]}`);
      if (!CJK.test(text)) throw new Error(`no Chinese text on ${route}`);
      result.zh[route] = 'ok';
      await shot(`${route}-zh`);
    }
    if (opt.password != null) {
      await page.click('#logout');
    } else {
      await page.goto(`${opt.base}/#/login`);
    }
    await page.locator('#login-user').waitFor();
    const loginText = await page.locator('body').innerText();
    if (RAW_KEY.test(loginText) || !/登录/.test(loginText)) throw new Error('login page not in Chinese or has raw keys');
    result.zh.login = 'ok';
    await shot('login-zh');
    if (opt.password != null) {
      await page.fill('#login-user', opt.user);
      await page.fill('#login-password', opt.password);
      await page.click('#login-submit');
      await page.locator('nav a[href="#/cameras"]').waitFor({ timeout: 15000 });
    }
    await page.selectOption('#lang-select', 'en');

    // 8. Delete the camera through the UI.
    mark('delete-camera');
    await go('cameras');
    await row.locator('.cam-delete').click();
    await row.locator('.cam-confirm-delete').click();
    await row.waitFor({ state: 'detached', timeout: 15000 });
    camId = null;

    result.ok = true;
  } catch (e) {
    result.error = `${step}: ${String((e && e.message) || e).split('\n')[0].slice(0, 600)}`;
  } finally {
    result.console_errors = consoleLines.slice(0, 10);
    await browser.close();
    // A failed run must not leave its camera behind (it would crowd the next run's live grid).
    if (camId) {
      const h = { 'X-Requested-With': 'XMLHttpRequest' };
      if (opt.password != null) h.Authorization = `Basic ${Buffer.from(`${opt.user}:${opt.password}`).toString('base64')}`;
      await fetch(`${opt.base}/api/cameras/${encodeURIComponent(camId)}`, { method: 'DELETE', headers: h }).catch(() => {});
    }
  }
  console.log(JSON.stringify(result));
  process.exit(result.ok ? 0 : 1);
})();
