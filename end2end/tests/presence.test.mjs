// Check-in that proves presence, as the people in the room see it: the teacher turns on a
// rotating code, the code and QR change on screen without a reload (and on the projector
// view), a student who scanned the previous code still gets in within the grace period and is
// told "expired" after it; a second student on one phone waits in the teacher's review queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, screenshot, openSession, apiToken, api } from './harness.mjs';

const env = useServerAndBrowser();
const PERIOD = 5;

const live = (page) => page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 15_000 });

async function context(viewport) {
  return env.browser.newContext({ viewport });
}

const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

/** The teacher's live dashboard of a session, on a desktop. */
async function dashboard(sessionId) {
  const teacherContext = await context(desktop);
  const teacher = await teacherContext.newPage();
  await signIn(teacher, env.server.base, 'rivera', 'teacher-demo');
  await teacher.goto(`${env.server.base}/teacher/sessions/${sessionId}`);
  await hydrated(teacher);
  await live(teacher);
  return { teacherContext, teacher };
}

/** The code on the teacher's screen: its text, window and link. */
async function shownCode(page, testid = 'join-code') {
  const code = page.getByTestId(testid);
  return {
    text: (await code.textContent()).trim(),
    window: Number(await code.getAttribute('data-window')),
  };
}

/** Waits until the screen shows a window after `window`; returns the new code. */
async function nextWindow(page, window, testid = 'join-code') {
  await page.waitForFunction(
    ([id, w]) => Number(document.querySelector(`[data-testid=${id}]`)?.getAttribute('data-window')) > w,
    [testid, window],
    { timeout: (PERIOD + 3) * 1000 },
  );
  return shownCode(page, testid);
}

test('a rotating code changes on screen; the previous one works in the grace period, then is expired', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const { teacherContext, teacher } = await dashboard(session.id);

  // Turn it on from the dashboard's rules panel.
  await teacher.getByTestId('rules-panel').locator('summary').click();
  await teacher.getByTestId('code-rotating').check();
  await teacher.getByTestId('code-period').fill(String(PERIOD));
  await teacher.getByTestId('save-rules').click();
  await teacher.locator('[data-testid=join-code][data-window]').waitFor({ timeout: 10_000 });
  await live(teacher);
  await teacher.getByTestId('code-countdown').filter({ hasText: /New code in \d s/ }).waitFor({ timeout: 5000 });

  // The code and the QR change by themselves, in the same page (no reload).
  await teacher.evaluate(() => { window.__samePage = true; });
  const first = await shownCode(teacher);
  const firstQr = await teacher.getByTestId('join-qr').innerHTML();
  const second = await nextWindow(teacher, first.window);
  assert.notEqual(second.text, first.text);
  assert.notEqual(await teacher.getByTestId('join-qr').innerHTML(), firstQr);
  assert.equal(await teacher.evaluate(() => window.__samePage), true);
  await screenshot(teacher, 'presence-rotating-code-desktop');

  // The projector view rotates on its own connection.
  const presenter = await teacherContext.newPage();
  await presenter.setViewportSize({ width: 1920, height: 1080 });
  await presenter.goto(`${env.server.base}/teacher/sessions/${session.id}/present`);
  await hydrated(presenter);
  await presenter.getByTestId('presenter-code').waitFor();
  const onProjector = await shownCode(presenter, 'presenter-code');
  const afterwards = await nextWindow(presenter, onProjector.window, 'presenter-code');
  assert.notEqual(afterwards.text, onProjector.text);
  await screenshot(presenter, 'presence-presenter-desktop');
  await presenter.setViewportSize(phone);
  await screenshot(presenter, 'presence-presenter-phone');
  await presenter.close();

  // A student scans the code on screen, and only presses "Check in" once it has changed:
  // inside the grace period, accepted.
  const studentContext = await context(phone);
  const student = await studentContext.newPage();
  await signIn(student, env.server.base, 'student1', 'student-demo');
  const scanned = await shownCode(teacher);
  const link = `/checkin/${scanned.text}?s=${session.id}&w=${scanned.window}`;
  await student.goto(`${env.server.base}${link}`);
  await hydrated(student);
  await nextWindow(teacher, scanned.window);
  await student.getByRole('button', { name: 'Check in' }).click();
  await student.locator('[data-testid=check-in-receipt][data-status=present]').waitFor({ timeout: 5000 });
  await teacher.locator('[data-testid=roster-row-student1][data-status=present]').waitFor({ timeout: 5000 });

  // Another student with a scan two codes old: told it has expired, and not marked.
  const lateContext = await context(phone);
  const late = await lateContext.newPage();
  await signIn(late, env.server.base, 'student2', 'student-demo');
  const old = await shownCode(teacher);
  await late.goto(`${env.server.base}/checkin/${old.text}?s=${session.id}&w=${old.window}`);
  await hydrated(late);
  const later = await nextWindow(teacher, old.window);
  await nextWindow(teacher, later.window);
  await late.getByRole('button', { name: 'Check in' }).click();
  await late.getByRole('alert').filter({ hasText: 'expired' }).waitFor({ timeout: 5000 });
  await screenshot(late, 'presence-expired-phone');
  assert.equal(await teacher.getByTestId('roster-row-student2').getAttribute('data-status'), 'not_marked');
  await screenshot(teacher, 'presence-dashboard-after-desktop');
  await teacherContext.newPage().then(async (p) => {
    await p.setViewportSize(phone);
    await p.goto(`${env.server.base}/teacher/sessions/${session.id}`);
    await hydrated(p);
    await p.locator('[data-testid=join-code][data-window]').waitFor();
    await screenshot(p, 'presence-rotating-code-phone');
    await p.close();
  });
  await Promise.all([teacherContext.close(), studentContext.close(), lateContext.close()]);
});

test('a second student on one phone waits in the review queue; one click accepts', async () => {
  const session = await openSession(env.server.base, 'rivera', 'Chemistry 10B');
  const token = await apiToken(env.server.base, 'rivera', 'teacher-demo');
  await api(env.server.base, token, 'set_session_check_in_rules', {
    session_id: session.id,
    rules: { one_student_per_device: true },
  });
  const { teacherContext, teacher } = await dashboard(session.id);

  // One phone, two students (student11 and student12 are both in Chemistry 10B).
  const phoneContext = await context(phone);
  const device = await phoneContext.newPage();
  for (const [username, outcome] of [['student11', 'check-in-receipt'], ['student12', 'check-in-held']]) {
    await signIn(device, env.server.base, username, 'student-demo');
    await device.goto(`${env.server.base}/checkin/${session.code}`);
    await hydrated(device);
    await device.getByRole('button', { name: 'Check in' }).click();
    await device.getByTestId(outcome).waitFor({ timeout: 5000 });
    if (username === 'student11') {
      await device.getByRole('button', { name: 'Sign out' }).click();
      await device.waitForURL(/\/login/);
    }
  }
  assert.match(await device.getByTestId('check-in-held').textContent(), /another student/);
  await screenshot(device, 'presence-held-phone');

  // The teacher sees it at once, with why, and accepts it with one click.
  const row = teacher.getByTestId('review-queue').locator('[data-testid^=held-]');
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.textContent(), /already checked in another student/);
  await screenshot(teacher, 'presence-review-queue-desktop');
  await teacher.setViewportSize(phone);
  await screenshot(teacher, 'presence-review-queue-phone');
  await teacher.setViewportSize(desktop);
  await row.getByRole('button', { name: 'Accept' }).click();
  await teacher.locator('[data-testid=roster-row-student12][data-status=present]').waitFor({ timeout: 5000 });
  await teacher.getByTestId('review-queue').waitFor({ state: 'detached', timeout: 5000 });
  // The student's page hears it too.
  await device.getByTestId('teacher-update').filter({ hasText: 'accepted your check-in' }).waitFor({ timeout: 5000 });

  // The audit lists both attempts from the same device, the hold and who accepted it.
  await teacher.goto(`${env.server.base}/teacher/sessions/${session.id}/audit`);
  const rows = teacher.getByTestId('audit-attempts').locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(1).textContent(), /held for review.*accepted by Ms\. Rivera/s);
  await screenshot(teacher, 'presence-audit-desktop');
  await Promise.all([teacherContext.close(), phoneContext.close()]);
});
