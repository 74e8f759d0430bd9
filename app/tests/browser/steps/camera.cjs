// Owns the end-to-end steps of the camera view page and the camera form's Test connection
// (called from ../ui_e2e.cjs with its context):
//  camera-view:     from the Cameras list to #/camera/<camId>; its video plays, the "ONVIF
//                   only" note shows, the snapshot link downloads a JPEG.
//  camera-testconn: Test connection with the fake camera (success: codec / size) and with a
//                   closed port (the reason in plain words); nothing is saved.
//  camera-ptz:      starts ../../fixtures/onvifmock.py, adds it as an ONVIF camera, holds
//                   "right" on the pad (the mock's position moves, then it is stopped), arrow
//                   keys, a preset saved / gone to / deleted, an imaging slider applied; the
//                   page in Chinese; the camera is deleted and the mock killed at the end.
const { spawn } = require('child_process');
const http = require('http');
const path = require('path');

const MOCK = path.join(__dirname, '../../fixtures/onvifmock.py');

function startMock(rtsp) {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [MOCK, '--port', '0', '--user', 'admin', '--password', 'e2e-secret',
      '--rtsp-uri', rtsp], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`onvifmock did not start: ${err.slice(0, 300)}`)), 10000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/READY port=(\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc: p, port: Number(m[1]) }); }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`onvifmock exited ${code}: ${err.slice(0, 300)}`)); });
  });
}

function mockState(port) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/control/state' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    }).on('error', reject);
  });
}

/** An API call from the page with the Basic credentials the app keeps in sessionStorage. */
function apiCall(page, method, url, body) {
  return page.evaluate(async ([m, u, b]) => {
    const h = { 'X-Requested-With': 'XMLHttpRequest' };
    const raw = sessionStorage.getItem('mibee.credentials');
    if (raw) { const c = JSON.parse(raw); h.Authorization = `Basic ${btoa(`${c.username}:${c.password}`)}`; }
    if (b !== undefined) h['Content-Type'] = 'application/json';
    const r = await fetch(u, { method: m, headers: h, body: b === undefined ? undefined : JSON.stringify(b) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text: text.slice(0, 300) };
  }, [method, url, body]);
}

async function openFromCameras(ctx, id) {
  const { page, go } = ctx;
  await go('cameras');
  const link = page.locator(`.cam-row[data-camera-id="${id}"] a.cam-view-link`);
  await link.waitFor({ timeout: 15000 });
  await link.click();
  await page.waitForFunction((i) => location.hash === `#/camera/${encodeURIComponent(i)}`, id);
  await page.locator(`.camview[data-camera-id="${id}"]`).waitFor({ timeout: 15000 });
}

async function videoAdvances(page, seconds, timeoutMs) {
  const video = page.locator('.camview .tile video');
  await video.waitFor({ state: 'attached', timeout: 15000 });
  const t0 = Date.now();
  let first = null;
  let now = 0;
  while (Date.now() - t0 < timeoutMs) {
    now = await video.evaluate((v) => (v.readyState >= 2 ? v.currentTime : -1));
    if (now >= 0 && first === null) first = now;
    if (first !== null && now - first >= seconds) return +(now - first).toFixed(2);
    await page.waitForTimeout(250);
  }
  throw new Error(`camera view video did not advance ${seconds} s (first ${first}, now ${now})`);
}

async function viewStep(ctx) {
  const { page, mark, result, camId, opt } = ctx;
  mark('camera-view');
  await openFromCameras(ctx, camId);
  const out = { advanced_s: await videoAdvances(page, 2, opt.playTimeout * 1000) };
  await page.locator('#camview-no-ptz').waitFor({ timeout: 15000 });
  out.note = (await page.locator('#camview-no-ptz').textContent()).trim();
  if (await page.locator('#ptz-pad').count()) throw new Error('PTZ pad shown for a non-ONVIF camera');
  // The snapshot link: a plain GET (media-session cookie), downloaded as <id>-<time>.jpg.
  const snap = page.locator('#camview-snapshot');
  const href = await snap.getAttribute('href');
  out.snapshot_fetch = await page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin' });
    const b = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('Content-Type'), jpeg: b[0] === 0xff && b[1] === 0xd8, bytes: b.length };
  }, href);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), snap.click()]);
  const file = await dl.path();
  const buf = file ? require('fs').readFileSync(file) : Buffer.alloc(0);
  out.download = { name: dl.suggestedFilename(), bytes: buf.length, jpeg: buf[0] === 0xff && buf[1] === 0xd8 };
  result.camera_view = out;
  await ctx.shot('camera-view');
  if (!(out.snapshot_fetch.status === 200 && /image\/jpeg/.test(out.snapshot_fetch.type) && out.snapshot_fetch.jpeg)) {
    throw new Error(`snapshot link is not a JPEG: ${JSON.stringify(out.snapshot_fetch)}`);
  }
  if (!out.download.jpeg || !/\.jpg$/.test(out.download.name)) throw new Error(`snapshot download: ${JSON.stringify(out.download)}`);
}

async function testConnStep(ctx) {
  const { page, go, mark, result, opt } = ctx;
  mark('camera-testconn');
  await go('cameras');
  const before = (await apiCall(page, 'GET', '/api/cameras')).json.length;
  await page.click('#add-camera');
  const form = page.locator('#camera-form');
  await page.fill('#cam-name', 'E2E test connection (never saved)');
  await page.fill('#cam-url', opt.rtsp);
  await page.click('#cam-test');
  const res = form.locator('#cam-test-result [data-result], #cam-test-result [role=alert]').first();
  await res.waitFor({ timeout: 25000 });
  const ok = (await res.innerText()).trim();
  if ((await res.getAttribute('data-result')) !== 'ok' || !/\d+×\d+/.test(ok)) throw new Error(`test connection did not succeed: ${ok}`);
  await page.fill('#cam-url', 'rtsp://127.0.0.1:9/x');
  await page.click('#cam-test');
  await form.locator('#cam-test-result [data-result="fail"]').waitFor({ timeout: 25000 });
  const fail = (await form.locator('#cam-test-result .alert-text').innerText()).trim();
  if (!/refused|connect|unreachable|timed out/i.test(fail) || /\[object|^\{/.test(fail)) throw new Error(`unreadable test failure: ${fail}`);
  await ctx.shot('camera-testconn');
  await form.getByRole('button', { name: 'Cancel' }).click();
  const after = (await apiCall(page, 'GET', '/api/cameras')).json.length;
  if (after !== before) throw new Error(`Test connection saved a camera (${before} → ${after})`);
  result.test_connection = { ok, fail };
}

async function ptzStep(ctx) {
  const { page, mark, result, opt } = ctx;
  mark('camera-ptz');
  const mock = await startMock(opt.rtsp);
  let id = null;
  const out = {};
  try {
    const created = await apiCall(page, 'POST', '/api/cameras', { name: `PTZ mock ${Date.now() % 100000}`, protocol: 'onvif',
      url: `http://127.0.0.1:${mock.port}/onvif/device_service`, username: 'admin', password: 'e2e-secret' });
    if (created.status !== 200 && created.status !== 201) throw new Error(`add ONVIF camera: ${created.status} ${created.text}`);
    id = created.json.id;
    const api = (m, p, b) => apiCall(page, m, `/api/cameras/${encodeURIComponent(id)}${p}`, b);
    await openFromCameras(ctx, id);
    await page.locator('#ptz-pad').waitFor({ timeout: 20000 });
    await page.locator('#ptz-status', { hasText: /pan/ }).waitFor({ timeout: 10000 });

    // Press and hold "right" for ~600 ms, release: it moved, and it is stopped.
    const right = page.locator('#ptz-pad [data-dir="right"]');
    const box = await right.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(600);
    const during = await mockState(mock.port);
    await page.mouse.up();
    await page.waitForTimeout(800);
    const st = await mockState(mock.port);
    const status = (await api('GET', '/ptz/status')).json;
    out.hold = { during: during.ptz.move_status, after: st.ptz.move_status, pan: st.ptz.position.pan, api_status: status };
    if (during.ptz.move_status.pan_tilt !== 'MOVING') throw new Error(`not moving while held: ${JSON.stringify(out.hold)}`);
    if (!(st.ptz.position.pan > 0.01) || st.ptz.move_status.pan_tilt !== 'IDLE' || status.moving) {
      throw new Error(`hold right did not move then stop: ${JSON.stringify(out.hold)}`);
    }
    await page.locator('#ptz-status', { hasText: st.ptz.position.pan.toFixed(2) }).waitFor({ timeout: 5000 });

    // Arrow key held on the focused pad: pans left, stops on key up.
    await page.focus('#ptz-pad');
    await page.keyboard.down('ArrowLeft');
    await page.waitForTimeout(600);
    await page.keyboard.up('ArrowLeft');
    await page.waitForTimeout(800);
    const st2 = await mockState(mock.port);
    out.keys = { pan: st2.ptz.position.pan, status: st2.ptz.move_status.pan_tilt };
    if (!(st2.ptz.position.pan < st.ptz.position.pan) || st2.ptz.move_status.pan_tilt !== 'IDLE') {
      throw new Error(`arrow key did not pan left and stop: ${JSON.stringify(out.keys)}`);
    }

    // Presets: save, go, delete (with the on-page confirmation).
    await page.fill('#preset-name', 'E2E door');
    await page.click('#preset-save');
    const row = page.locator('.preset-row', { hasText: 'E2E door' });
    await row.waitFor({ timeout: 10000 });
    await row.locator('.preset-go').click();
    await page.locator('.presets .alert-ok', { hasText: 'E2E door' }).waitFor({ timeout: 10000 });
    await row.locator('.preset-delete').click();
    await row.locator('.preset-confirm-delete').click();
    await row.waitFor({ state: 'detached', timeout: 10000 });
    const presets = (await api('GET', '/ptz/presets')).json.presets;
    out.presets_after_delete = presets.length;
    if (presets.some((p) => p.name === 'E2E door')) throw new Error('preset still there after delete');

    // Imaging: five steps right on the brightness slider → PUT after the debounce.
    const before = (await api('GET', '/imaging/settings')).json.brightness;
    await page.focus('#imaging-brightness');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    await page.locator('#imaging-state', { hasText: 'Saved' }).waitFor({ timeout: 10000 });
    const afterSet = (await api('GET', '/imaging/settings')).json.brightness;
    out.imaging = { before, after: afterSet };
    if (!(afterSet > before)) throw new Error(`imaging brightness not applied: ${before} → ${afterSet}`);
    await page.click('#imaging-reset');
    for (let t0 = Date.now(); Date.now() - t0 < 5000; await page.waitForTimeout(250)) {
      out.imaging.after_reset = (await api('GET', '/imaging/settings')).json.brightness;
      if (out.imaging.after_reset === before) break;
    }
    if (out.imaging.after_reset !== before) throw new Error(`imaging reset did not restore ${before}: ${out.imaging.after_reset}`);
    await page.locator('#imaging-brightness').evaluate((el, v) => el.value === String(v) || Promise.reject(new Error(`slider ${el.value}`)), before);
    await ctx.shot('camera-view-ptz');

    // The page in Chinese, no raw keys.
    await page.selectOption('#lang-select', 'zh-CN');
    await page.getByText('云台控制').first().waitFor({ timeout: 10000 });
    const text = await page.locator('body').innerText();
    if (/⟦|\b(camview|ptz|imaging|testconn)\.[a-zA-Z]+\b/.test(text)) throw new Error('raw i18n key on the camera view');
    await ctx.shot('camera-view-zh');
    await page.selectOption('#lang-select', 'en');
    out.zh = 'ok';
  } finally {
    result.camera_ptz = out;
    if (id) {
      await page.goto(`${opt.base}/#/live`).catch(() => {}); // leave the page: its pad stops on unmount
      out.deleted = (await apiCall(page, 'DELETE', `/api/cameras/${encodeURIComponent(id)}`).catch((e) => ({ status: String(e) }))).status;
    }
    mock.proc.kill();
  }
}

module.exports = {
  zh: [],
  async run(ctx) {
    await viewStep(ctx);
    await testConnStep(ctx);
    await ptzStep(ctx);
  },
};
