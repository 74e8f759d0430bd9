// Owns the end-to-end steps of recordings (called from ../ui_e2e.cjs with its context):
// open Recordings for the e2e camera, wait for a recorded span on today's timeline, zoom to
// 15 min and click inside a span; the <video> must load that recording's download URL (the
// recording the API says holds the clicked moment), land at the clicked offset (± 1.5 s) and
// advance; select-all toggles; then multi-select delete one recording and check through the
// API that it is gone. Numbers go into result.rec.
const SPAN_TIMEOUT_MS = 90000;

function apiHeaders(opt) {
  const h = { 'X-Requested-With': 'XMLHttpRequest' };
  if (opt.password != null) h.Authorization = `Basic ${Buffer.from(`${opt.user}:${opt.password}`).toString('base64')}`;
  return h;
}

async function apiGet(ctx, path) {
  const res = await ctx.page.request.get(`${ctx.opt.base}${path}`, { headers: apiHeaders(ctx.opt) });
  return { status: res.status(), body: res.status() === 200 ? await res.json() : await res.text() };
}

/** The recording the UI must play for moment `t` (ms): the one holding it (latest start wins), else the next. */
function expectedHit(recs, t) {
  const spans = recs.map((r) => ({ id: r.id, start: Date.parse(r.started_at), end: Date.parse(r.ended_at) }));
  let inside = null;
  let next = null;
  for (const s of spans) {
    if (s.start <= t && t < s.end) { if (!inside || s.start >= inside.start) inside = s; }
    else if (s.start > t && (!next || s.start < next.start)) next = s;
  }
  if (inside) return { id: inside.id, offset: (t - inside.start) / 1000, kind: 'inside' };
  if (next) return { id: next.id, offset: 0, kind: 'gap' };
  return null;
}

module.exports = {
  zh: [['recordings', '点击时间条即可从该时刻播放']],
  async run(ctx) {
    const { page, go, shot, mark, result, camId } = ctx;
    const rec = (result.rec = {});

    // 1. Open the page and pick the e2e camera (the hash keeps it).
    mark('recordings-open');
    await go('recordings');
    await page.locator('#rec-camera').waitFor({ timeout: 15000 });
    await page.locator(`#rec-camera option[value="${camId}"]`).waitFor({ state: 'attached', timeout: 15000 });
    await page.selectOption('#rec-camera', camId);
    await page.waitForFunction((id) => new URLSearchParams(location.hash.split('?')[1] || '').get('camera') === id, camId);

    // 2. A recorded span on today's timeline (segments are listed once closed; the page
    // refreshes today every 10 s).
    mark('recordings-span');
    const t0 = Date.now();
    const card = page.locator(`.rec-timeline-card[data-camera="${camId}"][data-loaded="true"]`);
    await card.waitFor({ timeout: 15000 });
    await card.locator('.tl-bar .tl-span').first().waitFor({ timeout: SPAN_TIMEOUT_MS }).catch(async () => {
      const api = await apiGet(ctx, `/api/recordings?camera_id=${encodeURIComponent(camId)}&limit=5`);
      throw new Error(`no recorded span on the timeline after ${SPAN_TIMEOUT_MS / 1000} s (API: ${JSON.stringify(api.body).slice(0, 300)})`);
    });
    rec.span_wait_ms = Date.now() - t0;
    rec.spans_day = await card.locator('.tl-bar .tl-span').count();

    // 3. Zoom to 15 min and click inside the latest span, 60 % along its visible part.
    mark('recordings-click');
    await page.click('button[data-zoom="15m"]');
    const bar = card.locator('.tl-bar');
    const span = bar.locator('.tl-span').last();
    await span.waitFor();
    const bb = await bar.boundingBox();
    const sb = await span.boundingBox();
    const left = Math.max(sb.x, bb.x);
    const right = Math.min(sb.x + sb.width, bb.x + bb.width);
    if (right - left < 4) throw new Error(`span too narrow to click at 15 min zoom: ${JSON.stringify(sb)}`);
    const x = left + (right - left) * 0.6;
    // Record where the video lands: the first 'seeked' (or 'playing' when no seek is needed).
    await page.evaluate(() => {
      const v = document.querySelector('#rec-video');
      window.__recLand = null;
      const note = (ev) => () => { if (!window.__recLand || (ev === 'seeked' && window.__recLand.ev !== 'seeked')) window.__recLand = { ev, t: v.currentTime, src: v.src }; };
      v.addEventListener('seeked', note('seeked'), { once: true });
      v.addEventListener('playing', note('playing'), { once: true });
    });
    const view = await bar.evaluate((el) => ({ start: Number(el.dataset.viewStart), end: Number(el.dataset.viewEnd) }));
    await page.mouse.click(x, bb.y + bb.height / 2);
    view.cursor = Number(await bar.getAttribute('data-cursor'));
    const msPerPx = (view.end - view.start) / bb.width;
    const clickedMs = view.start + (x - bb.x) * msPerPx;
    if (!(Math.abs(view.cursor - clickedMs) <= 2 * msPerPx)) {
      throw new Error(`timeline cursor ${view.cursor} does not match the click (${Math.round(clickedMs)}, ${msPerPx.toFixed(0)} ms/px)`);
    }
    const list = await apiGet(ctx, `/api/recordings?camera_id=${encodeURIComponent(camId)}&limit=1000`);
    if (list.status !== 200) throw new Error(`GET /api/recordings → ${list.status}: ${String(list.body).slice(0, 200)}`);
    const hit = expectedHit(list.body.recordings, view.cursor);
    if (!hit) throw new Error(`the API has no recording at or after the clicked moment ${new Date(view.cursor).toISOString()}`);
    Object.assign(rec, { recordings: list.body.total, clicked: new Date(view.cursor).toISOString(), ms_per_px: Math.round(msPerPx),
      id: hit.id, hit: hit.kind, expected_offset_s: +hit.offset.toFixed(3) });

    // 4. The video plays that recording from that offset, and advances.
    mark('recordings-play');
    const sample = () => page.evaluate(() => {
      const v = document.querySelector('#rec-video');
      return { src: v.src, t: v.currentTime, rs: v.readyState, paused: v.paused, seeking: v.seeking,
        err: v.error ? `${v.error.code} ${v.error.message}` : null, land: window.__recLand };
    });
    const tp = Date.now();
    let s = await sample();
    while (!(s.land && s.rs >= 2 && !s.seeking) && !s.err && Date.now() - tp < 20000) {
      await page.waitForTimeout(100);
      s = await sample();
    }
    const alert = async () => ((await page.locator('.rec-player [role=alert]').first().textContent({ timeout: 2000 }).catch(() => '')) || '').trim();
    if (s.err || !s.land) {
      await page.waitForTimeout(1000);
      throw new Error(`recording did not play (video error ${s.err}; page says: ${await alert() || 'nothing'}; src ${s.src})`);
    }
    const wantSrc = `/api/recordings/${hit.id}/download`;
    if (!s.src.endsWith(wantSrc)) throw new Error(`video src ${s.src} is not ${wantSrc}`);
    rec.src = new URL(s.src).pathname;
    rec.landed_s = +s.land.t.toFixed(3);
    rec.landed_on = s.land.ev;
    rec.startup_ms = Date.now() - tp;
    if (Math.abs(s.land.t - hit.offset) > 1.5) throw new Error(`video landed at ${s.land.t.toFixed(2)} s, clicked offset is ${hit.offset.toFixed(2)} s`);
    const first = s.t;
    const tw = Date.now();
    while (s.t - first < 2 && Date.now() - tw < 8000 && !s.err) {
      await page.waitForTimeout(250);
      s = await sample();
    }
    rec.advanced_s = +(s.t - first).toFixed(3);
    // Chaining into the next recording may reset currentTime; then the src changed (still playing).
    if (!(rec.advanced_s >= 1.5) && s.src.endsWith(wantSrc)) throw new Error(`playback did not advance (${rec.advanced_s} s in 8 s; ${s.err || ''})`);
    rec.playhead = (await page.locator('.tl-playhead').count()) > 0;
    if (!rec.playhead) throw new Error('no playhead on the timeline while playing');
    await shot('recordings');

    // 5. Select-all toggles every row; then delete one recording through multi-select.
    mark('recordings-delete');
    await page.evaluate(() => document.querySelector('#rec-video').pause());
    const rows = page.locator('.rec-row');
    await rows.first().waitFor({ timeout: 10000 });
    const nRows = await rows.count();
    await page.click('#rec-select-all');
    const checked = await page.locator('.rec-check:checked').count();
    await page.click('#rec-select-all');
    const unchecked = await page.locator('.rec-check:checked').count();
    if (checked !== nRows || unchecked !== 0) throw new Error(`select-all checked ${checked}/${nRows}, then left ${unchecked} checked`);
    const ids = await rows.evaluateAll((els) => els.map((e) => e.dataset.recId));
    const victim = ids.find((id) => id !== hit.id) || ids[0];
    await page.locator(`.rec-row[data-rec-id="${victim}"] .rec-check`).check();
    await page.click('#rec-delete-selected');
    await page.click('#rec-confirm-delete');
    await page.locator('.rec-page > .alert-ok, .rec-page .alert-ok').first().waitFor({ timeout: 15000 });
    await page.locator(`.rec-row[data-rec-id="${victim}"]`).waitFor({ state: 'detached', timeout: 15000 });
    const gone = await apiGet(ctx, `/api/recordings/${victim}`);
    rec.deleted = { id: victim, api_status_after: gone.status, rows_before: nRows, rows_after: await rows.count() };
    if (gone.status !== 404) throw new Error(`deleted recording ${victim} still answers ${gone.status}`);
    await shot('recordings-deleted');
  },
};
