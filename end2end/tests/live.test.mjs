// Live updates in real Chromium: check-ins appear on open dashboards without reloading, over
// the WebSocket, over the polling fallback, and across a server restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, screenshot, openSession, checkInAs, apiToken, api } from './harness.mjs';

const env = useServerAndBrowser();

async function teacherDashboard(sessionId, { block = false } = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (block) {
    // The school's proxy eats WebSockets: every upgrade is closed at once.
    await context.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by test' }));
  }
  const page = await context.newPage();
  await signIn(page, env.server.base, 'rivera', 'teacher-demo');
  await page.goto(`${env.server.base}/teacher/sessions/${sessionId}`);
  await hydrated(page);
  return { context, page };
}

const row = (page, username) => page.getByTestId(`roster-row-${username}`);
const indicator = (page) => page.getByTestId('connection-status');

test('a check-in appears on two open teacher tabs without reloading, in under a second', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A', 0);
  const { context, page } = await teacherDashboard(session.id);
  const secondTab = await context.newPage();
  await secondTab.goto(`${env.server.base}/teacher/sessions/${session.id}`);
  await hydrated(secondTab);
  for (const tab of [page, secondTab]) {
    await tab.locator('[data-testid=connection-status][data-state=open]').waitFor();
  }

  const phone = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const student = await phone.newPage();
  await signIn(student, env.server.base, 'student3', 'student-demo');
  await student.fill('input[name=code]', session.code);
  const clicked = Date.now();
  await student.getByRole('button', { name: 'Check in' }).click();
  await page.locator('[data-testid=roster-row-student3][data-status=late]').waitFor({ timeout: 5000 });
  const elapsed = Date.now() - clicked;
  console.log(`# check-in click → teacher dashboard updated: ${elapsed} ms`);
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  await secondTab.locator('[data-testid=roster-row-student3][data-status=late]').waitFor({ timeout: 5000 });

  // A late arrival is a notification; the feed shows the check-in; counts moved.
  await page.getByTestId('notification').filter({ hasText: 'Chloe Chen arrived late' }).waitFor();
  assert.equal((await page.getByTestId('unread-count').textContent()).trim(), '1');
  await page.getByTestId('activity-item').filter({ hasText: 'Chloe Chen' }).waitFor();
  assert.match(await page.getByTestId('count-late').textContent(), /Late\s*1/);

  // A mistyped code is refused for the student and reported to the teacher.
  await checkInAs(env.server.base, 'student4', 'ZZZZZZ').catch(() => {});
  await page.getByTestId('notification').filter({ hasText: 'Daniel Diaz tried a wrong code' }).waitFor();
  assert.equal((await page.getByTestId('unread-count').textContent()).trim(), '2');

  await screenshot(page, 'live-dashboard');
  await page.getByTestId('connection-panel').screenshot({ path: `${(await import('./harness.mjs')).screenshotDir}/connection-panel.png` });
  await page.getByRole('button', { name: 'Mark all read' }).click();
  assert.equal((await page.getByTestId('unread-count').textContent()).trim(), '0');

  // The teacher's mark reaches the student's open page on their own channel.
  await row(page, 'student3').locator('button[value=excused]').click();
  await student.getByTestId('teacher-update').filter({ hasText: 'marked you excused' }).waitFor();
  await secondTab.locator('[data-testid=roster-row-student3][data-status=excused]').waitFor();

  await phone.close();
  await context.close();
});

test('the admin overview moves live', async () => {
  const session = await openSession(env.server.base, 'okafor', 'History 9C');
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await context.newPage();
  await signIn(admin, env.server.base, 'admin', 'admin-demo');
  await admin.locator('[data-testid=connection-status][data-state=open]').waitFor();
  const present = admin.getByTestId(`school-session-${session.id}`).getByTestId('present');
  assert.equal((await present.textContent()).trim(), '0');
  await checkInAs(env.server.base, 'student20', session.code);
  await admin.getByTestId(`school-session-${session.id}`).getByTestId('present').filter({ hasText: '1' }).waitFor({ timeout: 5000 });
  await admin.getByTestId('activity-item').filter({ hasText: 'Tara Brown' }).waitFor();
  // The background job queue is on the same page (nothing queued in the demo).
  await admin.getByTestId('job-queue').filter({ hasText: 'Given up' }).waitFor();
  await screenshot(admin, 'admin-live');
  await admin.setViewportSize({ width: 390, height: 844 });
  await screenshot(admin, 'admin-live-phone');
  await context.close();
});

test('with WebSockets blocked the dashboard falls back to polling and still updates', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Chemistry 10B');
  const { context, page } = await teacherDashboard(session.id, { block: true });
  await page.locator('[data-testid=connection-status][data-state=polling]').waitFor({ timeout: 15_000 });
  await checkInAs(env.server.base, 'student15', session.code);
  await page.locator('[data-testid=roster-row-student15][data-status=present]').waitFor({ timeout: 10_000 });
  await indicator(page).click();
  await screenshot(page, 'polling-fallback');
  await context.close();
});

test('after a server restart the dashboard reconnects and catches up without reloading', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const { context, page } = await teacherDashboard(session.id);
  await page.locator('[data-testid=connection-status][data-state=open]').waitFor();

  await env.server.stop();
  await page.locator('[data-testid=connection-status][data-state=reconnecting]').waitFor({ timeout: 10_000 });
  await env.server.start();
  // Checked in before the dashboard is back: it must arrive by resume.
  await checkInAs(env.server.base, 'student6', session.code);
  await page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 20_000 });
  await page.locator('[data-testid=roster-row-student6]:not([data-status=not_marked])').waitFor({ timeout: 10_000 });
  const resume = await page.getByTestId('connection-resume').textContent();
  assert.match(resume, /replayed|up to date/);
  await context.close();
});

test('a close that happened while the dashboard was disconnected shows once it is back', async () => {
  const session = await openSession(env.server.base, 'okafor', 'History 9C');
  // The socket goes through this proxy: pause it to lose what the server sends, then drop it.
  const sockets = [];
  let paused = false;
  const { context, page } = await signInAdmin((ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => { if (!paused) ws.send(message); });
    sockets.push(ws);
  });
  await page.goto(`${env.server.base}/teacher/sessions/${session.id}`);
  await hydrated(page);
  await page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 15_000 });
  await page.getByTestId('join-code').waitFor();
  let snapshots = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/session_dashboard')) snapshots += 1; });
  paused = true;
  const token = await apiToken(env.server.base, 'okafor', 'teacher-demo');
  await api(env.server.base, token, 'close_session', { session_id: session.id });
  paused = false;
  await sockets.at(-1).close({ code: 1001, reason: 'wifi dropped' });
  // Back online: the close arrives as a replayed event and the page must show it.
  await page.getByTestId('session-closed').waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('join-code').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Close session' }).count(), 0);
  // It came by replaying the missed events, not by reloading the snapshot.
  assert.equal(snapshots, 0);
  await context.close();
});

async function signInAdmin(wsRoute) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.routeWebSocket(/\/ws$/, wsRoute);
  const page = await context.newPage();
  await signIn(page, env.server.base, 'admin', 'admin-demo');
  return { context, page };
}

test('a polling tab whose sign-in ended stops polling and goes to the sign-in page', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Chemistry 10B');
  const { context, page } = await teacherDashboard(session.id, { block: true });
  await page.locator('[data-testid=connection-status][data-state=polling]').waitFor({ timeout: 15_000 });
  let polls = 0;
  page.on('request', (r) => { if (r.url().includes('/api/updates')) polls += 1; });
  // Signed out elsewhere (the same browser's cookie): the next poll is refused with 401.
  // Like another tab of the site: with the site's Origin (state changes need it).
  const out = await page.request.post(`${env.server.base}/api/logout`, {
    data: {},
    headers: { origin: env.server.base },
  });
  assert.equal(out.status(), 200);
  await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('reason') === 'signed-out', { timeout: 10_000 });
  assert.equal(new URL(page.url()).searchParams.get('next'), `/teacher/sessions/${session.id}`);
  await page.getByTestId('sign-in-reason').getByText('You were signed out').waitFor();
  const after = polls;
  await new Promise((r) => setTimeout(r, 4000));
  assert.equal(polls, after, 'no polling after the 401');
  await context.close();
});
