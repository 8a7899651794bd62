// Offline-first, as people meet it: a student checks in with no network and the check-in is
// kept on the phone, the check-in page opens from the service worker while offline, and back
// online the teacher sees the check-in once; a teacher marks offline and the mark lands on
// reconnect (and a mark someone else changed meanwhile is a one-click choice); two tabs of one
// browser queue offline and exactly one upload happens, and when the sending tab closes the
// other takes over; the tabs share one live connection; a new build replaces the old one
// without a hydration mismatch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, appendFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServerAndBrowser, signIn, hydrated, screenshot, openSession, apiToken, api } from './harness.mjs';

const env = useServerAndBrowser();
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844, isMobile: true, hasTouch: true };

const live = (page) => page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 15_000 });

/** Waits until the service worker controls the page and has kept `path` for offline use. */
async function keptOffline(page, path) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const kept = await page.evaluate(async (wanted) => {
      if (!navigator.serviceWorker.controller) return false;
      for (const name of await caches.keys()) {
        if (name.startsWith('rollcall-pages-') && (await (await caches.open(name)).match(wanted))) return true;
      }
      return false;
    }, path);
    if (kept) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`the service worker did not keep ${path}`);
}

/** Waits (up to 5 s) until `condition()` holds. */
async function until(condition) {
  const deadline = Date.now() + 5_000;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Server function calls that got an answer, by name, counted per context. */
function countAnswered(context, fn) {
  const seen = [];
  context.on('response', async (response) => {
    if (new URL(response.url()).pathname === `/api/${fn}`) {
      seen.push({ status: response.status(), body: response.request().postDataJSON() });
    }
  });
  return seen;
}

async function teacherDashboard(sessionId, username = 'rivera') {
  const context = await env.browser.newContext({ viewport: desktop });
  const page = await context.newPage();
  await signIn(page, env.server.base, username, 'teacher-demo');
  await page.goto(`${env.server.base}/teacher/sessions/${sessionId}`);
  await hydrated(page);
  await live(page);
  return { context, page };
}

async function studentPhone(username) {
  const context = await env.browser.newContext({ viewport: phone });
  const page = await context.newPage();
  await signIn(page, env.server.base, username, 'student-demo');
  await page.goto(`${env.server.base}/checkin`);
  await hydrated(page);
  await keptOffline(page, '/checkin');
  return { context, page };
}

test('a student checks in offline, the page opens from the service worker, and back online the teacher sees it once', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const teacher = await teacherDashboard(session.id);
  const student = await studentPhone('student1');
  const uploads = countAnswered(student.context, 'sync_outbox');

  await student.context.setOffline(true);
  await student.page.fill('input[name=code]', session.code);
  await student.page.click('button[type=submit]');
  const saved = student.page.getByTestId('check-in-saved');
  await saved.waitFor({ timeout: 10_000 });
  assert.match(await saved.textContent(), /Saved on this phone, will be sent when you are back online/);
  await student.page.locator('[data-testid=outbox-item][data-state=waiting]').waitFor();
  assert.equal((await student.page.getByTestId('outbox-pending').textContent()).trim(), '1');
  await screenshot(student.page, 'offline-check-in-saved-phone');

  // With the network still off the check-in page opens again, from the service worker, with
  // the kept check-in listed.
  await student.page.reload();
  await hydrated(student.page);
  await student.page.locator('[data-testid=outbox-item][data-state=waiting]').waitFor({ timeout: 10_000 });
  assert.equal(await student.page.getByTestId('check-in-saved').count(), 0);

  // Back online: the check-in goes once, and the teacher's dashboard shows it.
  await student.context.setOffline(false);
  await student.page.locator('[data-testid=outbox-item][data-state=applied]').waitFor({ timeout: 20_000 });
  await teacher.page
    .locator('[data-testid=roster-row-student1][data-status=present]')
    .waitFor({ timeout: 10_000 });
  assert.equal(await student.page.getByTestId('outbox-pending').count(), 0);
  await until(() => uploads.some((u) => u.status === 200));
  const answered = uploads.filter((u) => u.status === 200);
  assert.equal(answered.length, 1, `one upload: ${JSON.stringify(uploads)}`);
  assert.equal(answered[0].body.entries.length, 1);
  assert.equal(await teacher.page.getByTestId('activity-item').count(), 1, 'the check-in appears once in the feed');
  await screenshot(student.page, 'offline-check-in-sent-phone');
  await student.context.close();
  await teacher.context.close();
});

test('a classroom without Wi-Fi: the screen keeps rotating codes, a phone scans one offline, and it counts once synced after closing', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const token = await apiToken(env.server.base, 'rivera', 'teacher-demo');
  await api(env.server.base, token, 'set_session_check_in_rules', { session_id: session.id, rules: { rotate_every_seconds: 5 } });
  const teacher = await teacherDashboard(session.id);
  const code = teacher.page.locator('[data-testid=join-code][data-window]');
  await code.waitFor({ timeout: 10_000 });
  const student = await studentPhone('student2');

  // The whole room loses the network. The teacher's screen derives the next codes itself.
  await teacher.context.setOffline(true);
  await student.context.setOffline(true);
  const before = Number(await code.getAttribute('data-window'));
  const beforeText = (await code.textContent()).trim();
  await teacher.page.waitForFunction(
    (w) => Number(document.querySelector('[data-testid=join-code]').getAttribute('data-window')) > w,
    before,
    { timeout: 12_000 },
  );
  const window = Number(await code.getAttribute('data-window'));
  const text = (await code.textContent()).trim();
  assert.notEqual(text, beforeText);
  assert.match(await teacher.page.getByTestId('join-qr').innerHTML(), /<svg/);
  await screenshot(teacher.page, 'offline-rotating-code-desktop');

  // The phone opens the QR code's link, never opened before: the kept check-in page takes it.
  await student.page.goto(`${env.server.base}/checkin/${text}?s=${session.id}&w=${window}`);
  await hydrated(student.page);
  await student.page.getByTestId('check-in-saved').waitFor({ timeout: 10_000 });
  assert.match(student.page.url(), /\/checkin\?/);

  // The session closes before anyone is back online; the scan still proves presence.
  await api(env.server.base, token, 'close_session', { session_id: session.id });
  await student.context.setOffline(false);
  const sent = student.page.locator('[data-testid=outbox-item][data-state=applied]');
  await sent.waitFor({ timeout: 20_000 });
  assert.match(await sent.textContent(), /Marked present/);
  await teacher.context.setOffline(false);
  await teacher.page
    .locator('[data-testid=roster-row-student2][data-status=present]')
    .waitFor({ timeout: 20_000 });
  await student.context.close();
  await teacher.context.close();
});

test('a teacher marks offline; the mark lands on reconnect, and a mark someone else changed is a one-click choice', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const teacher = await teacherDashboard(session.id);
  await teacher.context.setOffline(true);
  await teacher.page.locator('[data-testid=roster-row-student3] button[value=late]').click();
  await teacher.page.getByTestId('mark-saved').waitFor({ timeout: 10_000 });
  await teacher.page.locator('[data-testid=roster-row-student4] button[value=absent]').click();
  await teacher.page.locator('[data-testid=roster-row-student3] [data-testid=saved-mark][data-status=late]').waitFor();
  await screenshot(teacher.page, 'offline-marks-saved-desktop');

  // Meanwhile the office excuses student 4.
  const admin = await apiToken(env.server.base, 'admin', 'admin-demo');
  const roster = (await api(env.server.base, admin, 'session_dashboard', { session_id: session.id })).roster;
  const four = roster.find((r) => r.username === 'student4');
  await api(env.server.base, admin, 'mark_attendance', { session_id: session.id, student_id: four.student_id, status: 'excused' });

  await teacher.context.setOffline(false);
  await teacher.page.locator('[data-testid=roster-row-student3][data-status=late]').waitFor({ timeout: 20_000 });
  const conflict = teacher.page.getByTestId('outbox-conflict');
  await conflict.waitFor({ timeout: 10_000 });
  assert.ok((await teacher.page.locator('[data-testid=outbox-item][data-state=conflict]').textContent()).includes(four.display_name));
  assert.match(await conflict.textContent(), /Keep mine: Absent/);
  assert.match(await conflict.textContent(), /Keep theirs: Excused/);
  await teacher.page.locator('[data-testid=roster-row-student4][data-status=excused]').waitFor();
  await screenshot(teacher.page, 'offline-mark-conflict-desktop');
  await teacher.page.setViewportSize({ width: phone.width, height: phone.height });
  await screenshot(teacher.page, 'offline-mark-conflict-phone');
  await teacher.page.setViewportSize(desktop);
  await teacher.page.getByTestId('keep-mine').click();
  await teacher.page.locator('[data-testid=roster-row-student4][data-status=absent]').waitFor({ timeout: 10_000 });
  await teacher.page.getByTestId('outbox-conflict').waitFor({ state: 'detached' });
  await teacher.context.close();
});

test('two tabs offline both queue, exactly one upload happens, and the other tab takes over when the sender closes', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const teacher = await teacherDashboard(session.id);
  const first = await teacherDashboard(session.id, 'rivera');
  const second = await first.context.newPage();
  await second.goto(`${env.server.base}/teacher/sessions/${session.id}`);
  await hydrated(second);
  await live(second);
  const leader = (page) => page.getByTestId('connection-panel').getAttribute('data-leader');
  assert.equal(await leader(first.page), 'true');
  assert.equal(await leader(second), 'false');
  const uploads = countAnswered(first.context, 'sync_outbox');

  await first.context.setOffline(true);
  await first.page.locator('[data-testid=roster-row-student5] button[value=late]').click();
  await first.page.getByTestId('mark-saved').waitFor({ timeout: 10_000 });
  await second.locator('[data-testid=roster-row-student6] button[value=late]').click();
  await second.getByTestId('mark-saved').waitFor({ timeout: 10_000 });
  // Both tabs list both kept marks: one outbox per browser.
  await second.locator('[data-testid=saved-mark]').nth(1).waitFor();
  await first.page.locator('[data-testid=saved-mark]').nth(1).waitFor();
  await first.context.setOffline(false);
  for (const name of ['student5', 'student6']) {
    await teacher.page.locator(`[data-testid=roster-row-${name}][data-status=late]`).waitFor({ timeout: 20_000 });
  }
  await second.locator('[data-testid=outbox-item][data-state=applied]').nth(1).waitFor({ timeout: 10_000 });
  await until(() => uploads.some((u) => u.status === 200));
  const answered = uploads.filter((u) => u.status === 200);
  assert.equal(answered.length, 1, `exactly one upload: ${JSON.stringify(uploads)}`);
  assert.deepEqual(answered[0].body.entries.map((e) => e.seq), [1, 2]);

  // The sending tab closes: the other one holds the lock within a second and sends from then on.
  await first.page.close();
  await second.getByTestId('connection-panel').and(second.locator('[data-leader=true]')).waitFor({ timeout: 1_000 });
  await first.context.setOffline(true);
  await second.locator('[data-testid=roster-row-student7] button[value=absent]').click();
  await second.getByTestId('mark-saved').waitFor({ timeout: 10_000 });
  await first.context.setOffline(false);
  await teacher.page.locator('[data-testid=roster-row-student7][data-status=absent]').waitFor({ timeout: 20_000 });
  // The teacher's screen may hear of the mark before the answer to the upload arrives.
  await second.locator('[data-testid=outbox-item][data-state=applied]').nth(2).waitFor({ timeout: 10_000 });
  await until(() => uploads.filter((u) => u.status === 200).length >= 2);
  assert.equal(uploads.filter((u) => u.status === 200).length, 2);
  await first.context.close();
  await teacher.context.close();
});

test('tabs of one browser share one live connection, and another tab takes it over within a second when the leader closes', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const context = await env.browser.newContext({ viewport: desktop });
  const sockets = new Map();
  const open = async (page) => {
    sockets.set(page, 0);
    page.on('websocket', (ws) => new URL(ws.url()).pathname === '/ws' && sockets.set(page, sockets.get(page) + 1));
    await page.goto(`${env.server.base}/teacher/sessions/${session.id}`);
    await hydrated(page);
    await live(page);
  };
  const first = await context.newPage();
  await signIn(first, env.server.base, 'rivera', 'teacher-demo');
  await open(first);
  const second = await context.newPage();
  await open(second);
  assert.equal(sockets.get(second), 0, 'the second tab opened no socket of its own');
  assert.ok(sockets.get(first) >= 1);
  // An event reaches both tabs over the one socket.
  const student = await apiToken(env.server.base, 'student9', 'student-demo');
  await api(env.server.base, student, 'check_in', { code: session.code });
  for (const page of [first, second]) {
    await page.locator('[data-testid=roster-row-student9][data-status=present]').waitFor({ timeout: 5_000 });
  }
  // The leader goes; the other tab leads within a second, opens the socket and stays live.
  await first.close();
  await second.locator('[data-testid=connection-panel][data-leader=true]').waitFor({ timeout: 1_000 });
  await live(second);
  assert.equal(sockets.get(second), 1);
  const other = await apiToken(env.server.base, 'student10', 'student-demo');
  await api(env.server.base, other, 'check_in', { code: session.code });
  await second.locator('[data-testid=roster-row-student10][data-status=present]').waitFor({ timeout: 5_000 });
  await context.close();
});

test('a new build replaces the old one: no stale WebAssembly, no hydration mismatch', async () => {
  const context = await env.browser.newContext({ viewport: desktop });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(String(e)));
  await signIn(page, env.server.base, 'student8', 'student-demo');
  await page.goto(`${env.server.base}/checkin`);
  await hydrated(page);
  await keptOffline(page, '/checkin');
  const buildOf = () => page.evaluate(() => document.querySelector('link#leptos').href.match(/\/build\/([0-9a-f]+)\//)[1]);
  const assets = () => page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('rollcall-assets-')));
  const a = await buildOf();
  assert.deepEqual(await assets(), [`rollcall-assets-${a}`]);

  // Build B: the same site with a changed script (a deploy), served by a restarted server.
  const siteB = mkdtempSync(join(tmpdir(), 'rollcall-site-b-'));
  cpSync(process.env.ROLLCALL_SITE_ROOT, siteB, { recursive: true });
  const js = readdirSync(join(siteB, 'pkg')).find((f) => f.endsWith('.js'));
  appendFileSync(join(siteB, 'pkg', js), '\n// build B\n');
  await env.server.restart({ LEPTOS_SITE_ROOT: siteB });
  try {
    await page.reload();
    await hydrated(page);
    const b = await buildOf();
    assert.notEqual(a, b);
    // The new worker takes over and drops build A's caches.
    await page.waitForFunction(
      async (id) => (await caches.keys()).filter((n) => n.startsWith('rollcall-assets-')).join() === `rollcall-assets-${id}`,
      b,
      { timeout: 20_000, polling: 200 },
    );
    await page.reload();
    await hydrated(page);
    assert.equal(await buildOf(), b);
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('/pkg/')));
    assert.ok(scripts.length > 0 && scripts.every((n) => n.includes(`/build/${b}/`)), scripts.join('\n'));
    // Hydrated and working: the code field takes input.
    await page.fill('input[name=code]', 'ABC123');
    assert.equal(await page.inputValue('input[name=code]'), 'ABC123');
    assert.deepEqual(problems.filter((p) => /hydrat|panicked|unreachable/i.test(p)), []);
  } finally {
    await env.server.restart({ LEPTOS_SITE_ROOT: process.env.ROLLCALL_SITE_ROOT });
  }
  await context.close();
});
