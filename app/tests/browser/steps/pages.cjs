// Owns the end-to-end steps of pages (called from ../ui_e2e.cjs with its context): the
// storage page (real usage numbers, trends chart), archives (the test camera's group or the
// empty state), system (version, transcoding check, junk firmware upload: progress reaches
// 100 % then the server's error), and the settings additions (feature toggle survives a
// reload, backup created/listed/downloaded with the cookie, password change and back).
// Small enough to be sent whole before an early answer: off the appliance the daemon answers 501
// at once, without reading the body, and a bigger upload would stop part-way.
const JUNK_BYTES = 16 * 1024;

async function checkStorage({ page, go, shot, mark, result }) {
  mark('pages-storage');
  await go('storage');
  await page.locator('#disk-used').waitFor({ timeout: 15000 });
  // The recordings step may have deleted the only closed segment: the next one closes within
  // a segment's length (30 s), and the page refreshes itself.
  const count = () => page.evaluate(() => Number(document.querySelector('#recording-count')?.textContent ?? 0));
  for (let t0 = Date.now(); !((await count()) > 0) && Date.now() - t0 < 45000;) await page.waitForTimeout(1000);
  const circles = page.locator('#trend-chart circle');
  await circles.first().waitFor({ state: 'attached', timeout: 15000 });
  const s = await page.evaluate(() => ({
    used: document.querySelector('#disk-used').textContent.trim(),
    recordings_legend: document.querySelector('.legend li').textContent.trim(),
    recording_count: Number(document.querySelector('#recording-count').textContent),
    points: document.querySelectorAll('#trend-chart circle').length,
    has_line: !!document.querySelector('#trend-chart path.chart-line'),
    y_labels: [...document.querySelectorAll('#trend-chart .chart-tick text')].map((e) => e.textContent),
    unit: document.querySelector('#trend-chart .chart-unit')?.textContent ?? null,
    write_amp: document.querySelector('#write-amp').textContent.trim(),
  }));
  result.storage = s;
  if (!(s.recording_count > 0)) throw new Error(`no recordings counted: ${JSON.stringify(s)}`);
  if (/:\s*0 B$/.test(s.recordings_legend) || /^0 B/.test(s.used)) throw new Error(`usage shows 0 bytes: ${JSON.stringify(s)}`);
  if (s.points < 1 || (s.points > 1 && !s.has_line) || s.y_labels.length < 2 || !s.unit) {
    throw new Error(`trend chart not drawn: ${JSON.stringify(s)}`);
  }
  await shot('storage');
}

async function checkArchives({ page, go, shot, mark, result, camId }) {
  mark('pages-archives');
  await go('archives');
  await page.locator('#archive-list, #archives-empty').first().waitFor({ timeout: 15000 });
  if (await page.locator('#archives-empty').count()) {
    result.archives = { empty: (await page.locator('#archives-empty').textContent()).trim() };
  } else {
    const groups = await page.locator('#archive-list > li').count();
    const row = page.locator(`#archive-list > li[data-camera-id="${camId}"]`);
    const own = (await row.count()) > 0 ? row : page.locator('#archive-list > li').first();
    await own.locator('.archive-toggle').click();
    const link = own.locator('.archive-rec a[download]').first();
    await link.waitFor({ timeout: 15000 });
    const href = await link.getAttribute('href');
    result.archives = { groups, test_camera_listed: (await row.count()) > 0, download_href: href };
    if (!/^\/api\/recordings\/[^/]+\/download$/.test(href)) throw new Error(`bad recording download link ${href}`);
  }
  await shot('archives');
}

async function checkSystem({ page, go, shot, mark, result }) {
  mark('pages-system');
  await go('system');
  const version = (await page.locator('#sys-version').textContent({ timeout: 15000 })).trim();
  if (!version) throw new Error('no version shown');
  await page.click('#transcode-check');
  await page.locator('#transcode-result, #transcoding [role=alert]').first().waitFor({ timeout: 20000 });
  const tc = (await page.locator('#transcoding').innerText()).replace(/\s+/g, ' ').slice(0, 200);
  result.system = { version, transcoding: tc };

  mark('pages-firmware');
  await page.setInputFiles('#fw-file', { name: 'junk.bundle', mimeType: 'application/octet-stream',
    buffer: Buffer.alloc(JUNK_BYTES, 0x5a) });
  // Record every progress value the bar shows, to prove it moved to 100 %.
  await page.evaluate(() => {
    window.__fwPct = [];
    new MutationObserver(() => {
      const p = document.querySelector('#fw-progress');
      if (p) window.__fwPct.push(Number(p.getAttribute('data-pct')));
    }).observe(document.querySelector('#firmware'), { subtree: true, childList: true, attributes: true });
  });
  await page.click('#fw-upload');
  const err = (await page.locator('#firmware [role=alert] .alert-text').textContent({ timeout: 30000 })).trim();
  const pcts = await page.evaluate(() => window.__fwPct);
  const final = Number(await page.locator('#fw-progress').getAttribute('data-pct'));
  result.firmware = { error: err, progress_seen: [...new Set(pcts)].slice(-8), final_pct: final };
  if (final !== 100) throw new Error(`firmware progress did not reach 100 %: ${JSON.stringify(result.firmware)}`);
  if (!err || /\[object|^\{|^HTTP \d+/.test(err)) throw new Error(`firmware error not in plain words: ${err}`);
  await shot('system');
}

async function checkFeatures({ page, go, mark, result }) {
  mark('pages-features');
  await go('settings');
  const box = page.locator('#feature-webdav_upload');
  await box.waitFor({ timeout: 15000 });
  const before = await box.isChecked();
  const setTo = async (v) => {
    await box.setChecked(v);
    await page.waitForFunction((on) => {
      const el = document.querySelector('#feature-webdav_upload');
      return el && !el.disabled && el.checked === on && document.querySelector('#features .alert-ok');
    }, v, { timeout: 10000 });
  };
  await setTo(!before);
  await page.reload();
  await box.waitFor({ timeout: 15000 });
  const afterReload = await box.isChecked();
  await setTo(before); // restore
  result.features = { flag: 'webdav_upload', before, after_reload: afterReload, after_restore: await box.isChecked() };
  if (afterReload !== !before) throw new Error(`feature toggle not kept after reload: ${JSON.stringify(result.features)}`);
  if (result.features.after_restore !== before) throw new Error(`feature not restored: ${JSON.stringify(result.features)}`);
}

async function checkBackup({ page, mark, result }) {
  mark('pages-backup');
  const rows = page.locator('#backups .backup-row');
  await page.locator('#backups .backup-list, #backups-empty').first().waitFor({ timeout: 15000 });
  await page.click('#backup-create');
  const notice = (await page.locator('#backups .alert-ok').textContent({ timeout: 20000 })).trim();
  const id = (notice.match(/backup_[\w-]+/) || [])[0];
  if (!id) throw new Error(`backup not created: ${notice}`);
  const row = rows.and(page.locator(`[data-backup-id="${id}"]`));
  await row.waitFor({ timeout: 10000 });
  const href = await row.locator('a.backup-download').getAttribute('href');
  // Plain GET without the Basic header: the media-session cookie must authenticate it.
  const dl = await page.evaluate(async (h) => {
    const r = await fetch(h);
    const b = await r.arrayBuffer();
    return { status: r.status, bytes: b.byteLength, type: r.headers.get('content-type') };
  }, href);
  result.backup = { id, href, download: dl };
  if (dl.status !== 200 || !(dl.bytes > 0)) throw new Error(`backup download failed: ${JSON.stringify(dl)}`);
}

async function putPasswordDirect(base, user, current, next) {
  const auth = 'Basic ' + Buffer.from(`${user}:${current}`).toString('base64');
  const r = await fetch(`${base}/api/settings`, { method: 'PUT', body: JSON.stringify({ auth: { password: next } }),
    headers: { Authorization: auth, 'X-Requested-With': 'XMLHttpRequest', 'Content-Type': 'application/json' } });
  return r.status;
}

async function changePasswordUi(page, pw) {
  await page.locator('#pw-new').waitFor({ timeout: 15000 });
  await page.fill('#pw-new', pw);
  await page.fill('#pw-confirm', pw);
  await page.click('#pw-save');
  await page.locator('#password-card .alert-ok').waitFor({ timeout: 15000 });
}

async function checkPassword({ page, go, mark, result, opt }) {
  mark('pages-password');
  if (opt.password == null) {
    result.password = 'skipped (no password set on this daemon)';
    return;
  }
  const tmp = `${opt.password}-e2e-${Date.now() % 100000}`;
  let current = opt.password;
  try {
    await go('settings');
    await changePasswordUi(page, tmp);
    current = tmp;
    // Still signed in: another page loads data with the updated session credentials.
    await go('storage');
    await page.locator('#disk-used').waitFor({ timeout: 15000 });
    // Sign out and in with the new password.
    await page.click('#logout');
    await page.locator('#login-user').waitFor({ timeout: 10000 });
    await page.fill('#login-user', opt.user);
    await page.fill('#login-password', tmp);
    await page.click('#login-submit');
    await page.locator('nav a[href="#/cameras"]').waitFor({ timeout: 15000 });
    await go('settings');
    await changePasswordUi(page, opt.password);
    current = opt.password;
    await go('storage');
    await page.locator('#disk-used').waitFor({ timeout: 15000 });
    result.password = { changed_and_restored: true };
  } finally {
    if (current !== opt.password) {
      // Never leave the shared daemon with the test password.
      result.password_restore_status = await putPasswordDirect(opt.base, opt.user, current, opt.password);
    }
  }
}

module.exports = {
  // The single checks, for running one at a time while developing.
  checks: { checkStorage, checkArchives, checkSystem, checkFeatures, checkPassword, checkBackup },
  zh: [['storage', '磁盘已用空间'], ['system', '转码检测'], ['archives', '按摄像头分组的录像']],
  async run(ctx) {
    await checkStorage(ctx);
    await checkArchives(ctx);
    await checkSystem(ctx);
    await checkFeatures(ctx);
    await checkPassword(ctx);
    await ctx.go('settings');
    await checkBackup(ctx);
    await ctx.page.locator('#backups').scrollIntoViewIfNeeded();
    await ctx.shot('settings-more');
  },
};
