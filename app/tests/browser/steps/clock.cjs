// Owns the end-to-end steps of the box's clock (called from ../ui_e2e.cjs with its context):
// - the System page's Clock card shows the box's time (near this machine's, and ticking) and a
//   synchronised state (the test daemon's clock is trusted), with no "set the time" button and
//   no clock banner;
// - an untrusted clock, faked with page.route (GET /api/system/time and /api/health), shows the
//   reason, the banner linking to the System page and the "set the time" button, whose PUT is
//   fulfilled with a fake 501 (the real one would set this machine's clock): the error must be
//   in plain words, and the browser must have sent its current time;
// - NTP servers typed in Settings (a comma and a new line) are kept across a reload, an invalid
//   one shows the daemon's error next to the field and is not saved, and the list is restored.

const UNTRUSTED = {
  time: '2026-01-01T00:03:00Z',
  trusted: false,
  source: '',
  reason: 'clock not synchronised: restored from the last saved time at boot; waiting for NTP or the time to be set',
  ntp_synchronised: false,
};
const SERVERS = ['ntp1.example.org', '192.0.2.1'];

const clockState = (page) => page.evaluate(() => {
  const q = (s) => document.querySelector(s);
  return {
    time: q('#clock-time')?.textContent.trim() ?? null,
    iso: q('#clock-time')?.dataset.iso ?? null,
    trusted: q('#clock-state')?.dataset.trusted ?? null,
    state: q('#clock-state')?.textContent.trim() ?? null,
    source: q('#clock-source')?.dataset.source ?? null,
    reason: q('#clock-reason')?.textContent.trim() ?? null,
    button: !!q('#clock-set'),
    banner: !!q('#clock-banner'),
  };
});

async function checkClockCard({ page, go, shot, mark, result }) {
  mark('clock-card');
  await go('system');
  await page.locator('#clock-time').waitFor({ timeout: 15000 });
  const first = await clockState(page);
  // The box's time ticks locally: a later reading shows a later second.
  await page.waitForFunction((t) => document.querySelector('#clock-time')?.textContent.trim() !== t, first.time,
    { timeout: 5000 });
  const s = await clockState(page);
  const offBy = Math.abs(Date.parse(s.iso) - Date.now()) / 1000;
  result.clock = { ...s, first_time: first.time, off_by_s: +offBy.toFixed(1) };
  if (!s.time || !(offBy < 120)) throw new Error(`the box's time is not shown or wrong: ${JSON.stringify(result.clock)}`);
  if (s.trusted !== 'true' || !/synchronised/i.test(s.state) || !['system', 'ntp'].includes(s.source)) {
    throw new Error(`the clock should show as synchronised: ${JSON.stringify(result.clock)}`);
  }
  if (s.button || s.banner || s.reason) throw new Error(`a trusted clock needs no button, banner or reason: ${JSON.stringify(s)}`);
  await page.locator('#clock').scrollIntoViewIfNeeded();
  await shot('system-clock');
}

async function checkUntrustedFake({ page, go, shot, mark, result }) {
  mark('clock-untrusted');
  const puts = [];
  await page.route('**/api/system/time', (route) => {
    const req = route.request();
    if (req.method() === 'PUT') {
      puts.push(req.postDataJSON());
      return route.fulfill({ status: 501, contentType: 'application/json',
        body: JSON.stringify({ error: 'this daemon may not set the clock: Operation not permitted (os error 1)', code: 'NOT_IMPLEMENTED' }) });
    }
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(UNTRUSTED) });
  });
  await page.route('**/api/health', (route) => route.fulfill({ status: 200, contentType: 'application/json',
    body: JSON.stringify({ status: 'degraded', uptime: '1m',
      checks: { database: { status: 'ok', message: '' }, clock: { status: 'warning', message: UNTRUSTED.reason } } }) }));
  try {
    await page.reload();
    await go('settings');
    // The banner shows on every page and links to the System page.
    await page.locator('#clock-banner a[href="#/system"]').click({ timeout: 15000 });
    await page.waitForFunction(() => location.hash === '#/system');
    await page.locator('#clock-set').waitFor({ timeout: 15000 });
    const s = await clockState(page);
    if (s.trusted !== 'false' || !/not synchronised/i.test(s.state) || !/restored/.test(s.reason || '')) {
      throw new Error(`an untrusted clock should show its reason: ${JSON.stringify(s)}`);
    }
    const sent = Date.now();
    await page.click('#clock-set');
    const err = (await page.locator('#clock [role=alert] .alert-text').textContent({ timeout: 10000 })).trim();
    const put = puts[0] || {};
    const putOff = Math.abs(Date.parse(put.time) - sent) / 1000;
    result.clock_set = { state: s.state, banner: s.banner, error: err, put_body: put, put_off_s: +putOff.toFixed(1) };
    if (puts.length !== 1 || !(putOff < 60)) throw new Error(`the browser's time was not sent: ${JSON.stringify(result.clock_set)}`);
    if (!/cannot set its clock/.test(err) || /\[object|^\{|^HTTP \d+/.test(err)) {
      throw new Error(`the 501 is not explained in plain words: ${err}`);
    }
    await page.locator('#clock').scrollIntoViewIfNeeded();
    await shot('system-clock-untrusted');
  } finally {
    await page.unroute('**/api/system/time');
    await page.unroute('**/api/health');
  }
  // Back to the real (trusted) clock: the banner goes away.
  await page.reload();
  await page.locator('#clock-state[data-trusted="true"]').waitFor({ timeout: 15000 });
  if (await page.locator('#clock-banner').count()) throw new Error('the clock banner stays with a trusted clock');
}

async function checkNtpSettings({ page, go, shot, mark, result }) {
  mark('clock-ntp-settings');
  await go('settings');
  const box = page.locator('#ntp-servers');
  const saved = page.locator('section[aria-labelledby="settings-title"] > .alert-ok');
  const save = async () => {
    await page.click('#settings-save');
    await saved.waitFor({ timeout: 10000 });
  };
  const reload = async () => {
    await page.reload();
    await box.waitFor({ timeout: 15000 });
    return box.inputValue();
  };
  await box.waitFor({ timeout: 15000 });
  const before = await box.inputValue();
  await box.fill(`${SERVERS[0]}, ${SERVERS[1]}\n`);
  await save();
  const kept = await reload();
  result.ntp = { before, kept };
  if (kept !== SERVERS.join('\n')) throw new Error(`NTP servers not kept after reload: ${JSON.stringify(result.ntp)}`);

  mark('clock-ntp-invalid');
  await box.fill(`${SERVERS[0]}\nbad_host!`);
  await page.click('#settings-save');
  const err = (await page.locator('#settings-form fieldset [role=alert] .alert-text').textContent({ timeout: 10000 })).trim();
  result.ntp.invalid_error = err;
  if (!/ntp_servers/.test(err) || !/bad_host!/.test(err)) throw new Error(`invalid NTP server error not shown: ${err}`);
  if ((await box.getAttribute('aria-invalid')) !== 'true') throw new Error('the NTP field is not marked invalid');
  await box.scrollIntoViewIfNeeded();
  await shot('settings-ntp-error');
  const afterInvalid = await reload();
  result.ntp.after_invalid = afterInvalid;
  if (afterInvalid !== SERVERS.join('\n')) throw new Error(`an invalid list changed the servers: ${afterInvalid}`);

  // Clear (or restore) them: an empty list means the board's defaults.
  await box.fill(before);
  await save();
  const restored = await reload();
  result.ntp.restored = restored;
  if (restored !== before) throw new Error(`NTP servers not restored: ${JSON.stringify(result.ntp)}`);
}

module.exports = {
  // The single checks, for running one at a time while developing.
  checks: { checkClockCard, checkUntrustedFake, checkNtpSettings },
  zh: [['system', '时钟'], ['settings', 'NTP 服务器']],
  async run(ctx) {
    await checkClockCard(ctx);
    await checkUntrustedFake(ctx);
    await checkNtpSettings(ctx);
  },
};
