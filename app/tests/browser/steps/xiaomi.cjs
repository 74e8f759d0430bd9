// Owns the end-to-end step of the Cameras page's "Import from Xiaomi" panel (called from
// ../ui_e2e.cjs with its context), against ../../fixtures/xiaomi_cloud.py started here in
// --captcha mode and the daemon pointed at it through PUT /api/settings (restored at the end):
//  xiaomi-wrong-password: a wrong password shows Xiaomi's refusal in plain words; the web UI
//                         stays signed in to the NVR.
//  xiaomi-captcha:        the right password → captcha picture (decoded: naturalWidth > 0),
//                         "new picture", a wrong code (new picture + message), the right code.
//  xiaomi-devices:        6 devices listed, 3 of them cameras.
//  xiaomi-sync:           Sync → 3 added; the Cameras list shows them stopped with the reason;
//                         a device removed from the account → the next sync names it as kept.
//  xiaomi-verify:         the cloud switched to e-mail 2FA: sign out, sign in → the code step
//                         says where the code went; a wrong code is refused, 123456 signs in.
//  xiaomi-cleanup:        sign out, the synced cameras deleted through the UI.
// Numbers land in result.xiaomi; the fake is killed and the settings restored in any case.
const { spawn } = require('child_process');
const path = require('path');

const FAKE = path.join(__dirname, '../../fixtures/xiaomi_cloud.py');
const USER = 'u@example.com';
const PASSWORD = 'secret';
const CAPTCHA = 'ABCD';
const CODE = '123456';
const DIDS = ['100000001', '100000002', '100000003'];

function startFake() {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/python3', [FAKE, '--port', '0', '--user', USER, '--password', PASSWORD,
      '--captcha', '--captcha-code', CAPTCHA, '--verify-code', CODE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { p.kill(); reject(new Error(`fake Xiaomi cloud did not start: ${err.slice(0, 300)}`)); }, 10000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^READY (\{.*\})$/m);
      if (m) { clearTimeout(timer); resolve({ proc: p, info: JSON.parse(m[1]) }); }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`fake Xiaomi cloud exited ${code}: ${err.slice(0, 300)}`)); });
  });
}

/** The daemon's API from Node, with the harness's credentials. */
async function nvr(opt, method, url, body) {
  const h = { 'X-Requested-With': 'XMLHttpRequest' };
  if (opt.password != null) h.Authorization = `Basic ${Buffer.from(`${opt.user}:${opt.password}`).toString('base64')}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const r = await fetch(`${opt.base}${url}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!r.ok) throw new Error(`${method} ${url} → ${r.status} ${text.slice(0, 200)}`);
  return json;
}

async function control(info, body) {
  const r = await fetch(info.control, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`fake cloud control ${JSON.stringify(body)} → ${r.status}`);
}

/** Still signed in to the NVR: the nav is there, no login form, the credentials kept. */
async function nvrStillSignedIn(page) {
  return page.evaluate(() => !!document.querySelector('nav a[href="#/cameras"]') && !document.querySelector('#login-user')
    && (sessionStorage.getItem('mibee.credentials') !== null || !!document.querySelector('#no-password-banner')));
}

async function xiaomiCameraIds(opt) {
  const cams = await nvr(opt, 'GET', '/api/cameras');
  const list = Array.isArray(cams) ? cams : cams.cameras || [];
  return list.filter((c) => c.protocol === 'xiaomi' && DIDS.includes(c.did || String(c.url).replace('xiaomi://', ''))).map((c) => c.id);
}

async function signIn(page, password) {
  await page.locator('#xiaomi-user').waitFor({ timeout: 15000 });
  await page.fill('#xiaomi-user', USER);
  await page.fill('#xiaomi-password', password);
  await page.click('#xiaomi-signin');
}

async function captchaImage(page) {
  const img = page.locator('#xiaomi-captcha-img');
  await img.waitFor({ timeout: 15000 });
  await page.waitForFunction(() => { const i = document.querySelector('#xiaomi-captcha-img'); return i && i.complete; }, null, { timeout: 5000 });
  return img.evaluate((i) => ({ id: i.dataset.captchaId, src: i.getAttribute('src'), w: i.naturalWidth, h: i.naturalHeight }));
}

async function run(ctx) {
  const { page, go, shot, mark, result, opt, alertText } = ctx;
  const xr = (result.xiaomi = {});
  let fake = null;
  let saved = null;
  const cleanup = [];
  try {
    mark('xiaomi-setup');
    fake = await startFake();
    const settings = await nvr(opt, 'GET', '/api/settings');
    saved = { account_url: settings.xiaomi.account_url, api_url: settings.xiaomi.api_url };
    await nvr(opt, 'PUT', '/api/settings', { xiaomi: { account_url: fake.info.base, api_url: fake.info.api_base } });
    await nvr(opt, 'DELETE', '/api/xiaomi/auth');
    // Leftovers of an earlier failed run would make "added 3" false.
    for (const id of await xiaomiCameraIds(opt)) await nvr(opt, 'DELETE', `/api/cameras/${encodeURIComponent(id)}`);

    mark('xiaomi-wrong-password');
    await control(fake.info, { op: 'set', captcha: false });
    await go('cameras');
    await page.click('#xiaomi-open');
    await signIn(page, `${PASSWORD}-wrong`);
    xr.wrong_password_error = await alertText(page.locator('#xiaomi'));
    if (!/wrong|password|reject/i.test(xr.wrong_password_error)) throw new Error(`unreadable Xiaomi error: ${xr.wrong_password_error}`);
    if (!(await nvrStillSignedIn(page))) throw new Error('a Xiaomi 401 signed the web UI out of the NVR');
    xr.nvr_still_signed_in = true;

    mark('xiaomi-captcha');
    await control(fake.info, { op: 'set', captcha: true });
    await page.fill('#xiaomi-password', PASSWORD);
    await page.click('#xiaomi-signin');
    const c1 = await captchaImage(page);
    xr.captcha_size = [c1.w, c1.h];
    if (!(c1.w > 0) || !/^data:image\/png;base64,/.test(c1.src)) throw new Error(`captcha picture not shown: ${JSON.stringify({ ...c1, src: c1.src.slice(0, 40) })}`);
    await shot('xiaomi-captcha');
    await page.click('#xiaomi-captcha-new');
    await page.waitForFunction((id) => document.querySelector('#xiaomi-captcha-img')?.dataset.captchaId !== id, c1.id, { timeout: 15000 });
    const c2 = await captchaImage(page);
    await page.fill('#xiaomi-captcha-code', 'ZZZZ');
    await page.click('#xiaomi-captcha-submit');
    await page.locator('#xiaomi-captcha-wrong').waitFor({ timeout: 15000 });
    const c3 = await captchaImage(page);
    xr.wrong_captcha_message = (await page.locator('#xiaomi-captcha-wrong').innerText()).trim();
    xr.captcha_ids = [c1.id, c2.id, c3.id];
    xr.captcha_images_differ = new Set([c1.src, c2.src, c3.src]).size;
    if (c3.id === c2.id || c2.id === c1.id || !(c3.w > 0)) throw new Error(`a wrong captcha code did not bring a new picture: ${xr.captcha_ids}`);
    await page.fill('#xiaomi-captcha-code', CAPTCHA);
    await page.click('#xiaomi-captcha-submit');
    await page.locator('#xiaomi-signed-in').waitFor({ timeout: 15000 });
    xr.signed_in = (await page.locator('#xiaomi-signed-in').innerText()).trim();
    if (!xr.signed_in.includes(USER)) throw new Error(`signed-in account not shown: ${xr.signed_in}`);

    mark('xiaomi-devices');
    const rows = page.locator('#xiaomi-devices tbody tr');
    await rows.nth(5).waitFor({ timeout: 15000 });
    xr.devices = await rows.count();
    xr.device_cameras = await page.locator('#xiaomi-devices tbody tr[data-camera="true"]').count();
    if (xr.devices !== 6 || xr.device_cameras !== 3) throw new Error(`expected 6 devices, 3 cameras: ${xr.devices}, ${xr.device_cameras}`);
    await shot('xiaomi-devices');

    mark('xiaomi-sync');
    await page.click('#xiaomi-sync');
    const res = page.locator('#xiaomi-sync-result');
    await res.waitFor({ timeout: 30000 });
    xr.sync = { added: Number(await res.getAttribute('data-added')), updated: Number(await res.getAttribute('data-updated')),
      text: (await res.innerText()).replace(/\s+/g, ' ').trim() };
    if (xr.sync.added !== 3) throw new Error(`sync added ${xr.sync.added}, expected 3: ${xr.sync.text}`);
    // The table now links each camera device to the NVR camera it became.
    await page.locator('#xiaomi-devices .xiaomi-imported a').nth(2).waitFor({ timeout: 15000 });
    const ids = await page.$$eval('#xiaomi-devices .xiaomi-imported a',
      (as) => as.map((a) => decodeURIComponent(a.getAttribute('href').replace('#/camera/', ''))));
    cleanup.push(...ids);
    xr.camera_ids = ids;
    await shot('xiaomi-synced');
    // The Cameras list (refreshed by the sync) shows them stopped with the reason.
    xr.listed = [];
    for (const id of ids) {
      const row = page.locator(`.cam-row[data-camera-id="${id}"]`);
      await row.waitFor({ timeout: 15000 });
      await page.waitForFunction((i) => document.querySelector(`.cam-row[data-camera-id="${i}"]`)?.dataset.status === 'stopped', id, { timeout: 15000 });
      const reason = (await row.locator('.cam-reason').innerText({ timeout: 5000 })).trim();
      xr.listed.push({ id, status: await row.getAttribute('data-status'), reason: reason.slice(0, 80) });
      if (!/rtsp/i.test(reason)) throw new Error(`camera ${id} shows no RTSP reason: ${reason}`);
    }
    // A device leaving the account: counted, named, and kept.
    await control(fake.info, { op: 'device_remove', did: '100000002' });
    await page.click('#xiaomi-sync');
    await page.locator('#xiaomi-vanished li').first().waitFor({ timeout: 30000 });
    xr.vanished = (await page.locator('#xiaomi-vanished').innerText()).replace(/\s+/g, ' ').trim();
    if (!/Garden/.test(xr.vanished) || !/kept/i.test(xr.vanished)) throw new Error(`vanished camera not named/kept: ${xr.vanished}`);
    await shot('xiaomi-vanished');
    // Phone width, dark theme.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#theme-toggle');
    await page.locator('#xiaomi-devices').scrollIntoViewIfNeeded();
    await shot('xiaomi-phone');
    await page.click('#theme-toggle');
    await page.setViewportSize({ width: 1280, height: 800 });

    mark('xiaomi-verify');
    await control(fake.info, { op: 'set', captcha: false, two_factor: 'email' });
    await control(fake.info, { op: 'untrust' });
    await page.click('#xiaomi-signout');
    await signIn(page, PASSWORD);
    await page.locator('#xiaomi-code').waitFor({ timeout: 15000 });
    xr.verify_target = (await page.locator('#xiaomi-verify-target').innerText()).trim();
    if (!/e-mail/i.test(xr.verify_target) || !/\*/.test(xr.verify_target)) throw new Error(`code destination not said: ${xr.verify_target}`);
    await page.fill('#xiaomi-code', '000000');
    await page.click('#xiaomi-code-submit');
    xr.wrong_code_error = await alertText(page.locator('#xiaomi'));
    if (!/code/i.test(xr.wrong_code_error)) throw new Error(`wrong code error unreadable: ${xr.wrong_code_error}`);
    if (!(await nvrStillSignedIn(page))) throw new Error('a wrong Xiaomi code signed the web UI out of the NVR');
    await shot('xiaomi-verify');
    await page.fill('#xiaomi-code', CODE);
    await page.click('#xiaomi-code-submit');
    await page.locator('#xiaomi-signed-in').waitFor({ timeout: 15000 });
    xr.verified = true;

    mark('xiaomi-cleanup');
    await page.click('#xiaomi-signout');
    await page.locator('#xiaomi-user').waitFor({ timeout: 15000 });
    const st = await nvr(opt, 'GET', '/api/xiaomi/auth');
    if (st.signed_in) throw new Error('still signed in to Xiaomi after Sign out');
    for (const id of ids) {
      const row = page.locator(`.cam-row[data-camera-id="${id}"]`);
      await row.locator('.cam-delete').click();
      await row.locator('.cam-confirm-delete').click();
      await row.waitFor({ state: 'detached', timeout: 15000 });
    }
    cleanup.length = 0;
    xr.deleted = ids.length;
    // Leave the Cameras page as found: the panel closed.
    await page.click('#xiaomi-open');
    await page.locator('#xiaomi-panel').waitFor({ state: 'detached' });
  } finally {
    const problems = [];
    const attempt = async (what, fn) => { try { await fn(); } catch (e) { problems.push(`${what}: ${e.message}`); } };
    await attempt('sign out of Xiaomi', () => nvr(opt, 'DELETE', '/api/xiaomi/auth'));
    await attempt('delete synced cameras', async () => {
      for (const id of new Set([...cleanup, ...(await xiaomiCameraIds(opt))])) await nvr(opt, 'DELETE', `/api/cameras/${encodeURIComponent(id)}`);
    });
    if (saved) await attempt('restore xiaomi settings', () => nvr(opt, 'PUT', '/api/settings', { xiaomi: saved }));
    if (fake) fake.proc.kill();
    if (problems.length) xr.cleanup_problems = problems;
  }
}

module.exports = {
  zh: [['cameras', '从小米导入']],
  run,
};
