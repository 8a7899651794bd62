// Timetables in the browser: a teacher adds weekly meetings in the form and sees the sessions
// they schedule; a scheduled session opens and closes by itself on a dashboard left open, and a
// mark corrected afterwards shows in the change history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, screenshot, apiToken, api, checkInAs , openPage } from './harness.mjs';

// UTC keeps the test's arithmetic simple; a fast scheduler keeps it short.
const env = useServerAndBrowser({
  ROLLCALL_TIME_ZONE: 'UTC',
  ROLLCALL_SCHEDULER_INTERVAL_MS: '200',
  ROLLCALL_CHECK_IN_OPENS_MINUTES: '0',
});

const hhmmss = (ms) => new Date(ms).toISOString().slice(11, 19);
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const weekday = (ms) => ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'][new Date(ms).getUTCDay()];

async function biologyId(token) {
  const classes = await api(env.server.base, token, 'my_classes');
  return classes.find((c) => c.name === 'Biology 9A').id;
}

test('a teacher adds weekly meetings in the timetable form and sees the sessions they schedule', async () => {
  const token = await apiToken(env.server.base, 'rivera', 'teacher-demo');
  const classId = await biologyId(token);
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const context = await env.browser.newContext({ viewport });
    const page = await context.newPage();
    await signIn(page, env.server.base, 'rivera', 'teacher-demo');
    await openPage(page, `${env.server.base}/teacher/classes/${classId}`);
    await hydrated(page);
    if (name === 'desktop') {
      const form = page.getByTestId('add-meeting');
      await form.getByLabel('Mon').check();
      await form.getByLabel('Wed').check();
      await form.getByLabel('From').fill('09:00');
      await form.getByLabel('to', { exact: true }).fill('09:45');
      await form.getByLabel('First day').fill('2030-03-18');
      await form.getByLabel('Last day').fill('2030-03-27');
      await form.getByRole('button', { name: 'Add to the timetable' }).click();
      await page.locator('[data-testid^=meeting-]').first().waitFor({ timeout: 5000 });
      // Mon 18, Wed 20, Mon 25, Wed 27 March 2030.
      await page.waitForFunction(
        () => document.querySelectorAll('[data-testid=upcoming-sessions] .session-line').length === 4,
        null,
        { timeout: 5000 },
      );
      const first = await page.locator('[data-testid=upcoming-sessions] .session-line .when').first().textContent();
      assert.equal(first, '2030-03-18 09:00–09:45');
      // A mistake is explained, not swallowed.
      await form.getByLabel('Fri').check();
      await form.getByLabel('From').fill('10:00');
      await form.getByLabel('to', { exact: true }).fill('09:00');
      await form.getByRole('button', { name: 'Add to the timetable' }).click();
      await form.getByRole('alert').filter({ hasText: 'after the start' }).waitFor({ timeout: 5000 });
    }
    await screenshot(page, `class-page-${name}`);
    await context.close();
  }
});

test('a scheduled session opens and closes by itself on an open dashboard', async () => {
  const base = env.server.base;
  const token = await apiToken(base, 'rivera', 'teacher-demo');
  const classId = await biologyId(token);
  let start;
  let end;
  for (;;) {
    start = Math.ceil(Date.now() / 1000) * 1000 + 8000;
    end = start + 10_000;
    if (day(start) === day(end)) break; // not across midnight
    await new Promise((r) => setTimeout(r, 1000));
  }
  await api(base, token, 'add_meeting', {
    class_id: classId,
    meeting: {
      weekdays: [weekday(start)], starts_at: hhmmss(start), ends_at: hhmmss(end),
      first_day: day(start), last_day: day(start), late_after_minutes: 5,
    },
  });

  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'rivera', 'teacher-demo');
  await openPage(page, `${base}/teacher/classes/${classId}`);
  await hydrated(page);
  const line = page.locator('[data-testid=upcoming-sessions] .session-line', { hasText: hhmmss(start).slice(0, 5) });
  await line.getByRole('link').click();
  await page.getByTestId('session-upcoming').waitFor({ timeout: 5000 });
  assert.ok(Date.now() < start, 'the dashboard must be open before the session opens');
  await page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 10_000 });

  // It opens by itself: the code and QR appear without a reload.
  await page.getByTestId('session-open').waitFor({ timeout: 15_000 });
  const code = (await page.getByTestId('join-code').textContent()).trim();
  await checkInAs(base, 'student1', code);
  await page.locator('[data-testid=roster-row-student1][data-status=present]').waitFor({ timeout: 5000 });

  // And closes by itself at its end: everyone else absent.
  await page.getByTestId('session-closed').waitFor({ timeout: 20_000 });
  assert.ok(Date.now() >= end - 500, 'closed before its end');
  await page.locator('[data-testid=roster-row-student3][data-status=absent]').waitFor({ timeout: 5000 });

  // A correction afterwards: audited and shown in the history.
  await page.getByTestId('roster-row-student3').locator('button[value=present]').click();
  await page.locator('[data-testid=roster-row-student3][data-status=present]').waitFor({ timeout: 5000 });
  const history = page.getByTestId('mark-changes');
  await history.locator('summary').click();
  await history.locator('li.correction', { hasText: 'Absent → Present' }).waitFor({ timeout: 5000 });
  assert.match(await history.locator('li.correction').first().textContent(), /by Ms\. Rivera/);
  await screenshot(page, 'scheduled-session-closed');
  await context.close();
});
