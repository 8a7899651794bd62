// A lecture-sized dashboard under a burst of check-ins, in real Chromium (docs/benchmarks.md,
// "A lecture's dashboard"): the teacher's dashboard of the load "Lecture class" (500 students)
// is open and hydrated; then 100 students check in within one second. Chromium's Long Tasks API
// (the same tasks a DevTools performance trace shows) records every main-thread task over 50 ms
// while the marks arrive. Prints the longest task, how many passed 50 ms, and how long until the
// 100th mark was on screen.
// Usage (scripts/bench runs it): node dashboard-trace.mjs <server url> <tokens file>
// The tokens file is the one `rollcall-load seed` writes (`role id token` per line).
import { readFileSync } from 'node:fs';
import { launchBrowser, hydrated, api } from './tests/harness.mjs';

const [base, tokensPath] = process.argv.slice(2);
if (!base || !tokensPath) throw new Error('usage: node dashboard-trace.mjs <server url> <tokens file>');
const accounts = readFileSync(tokensPath, 'utf8')
  .trim()
  .split('\n')
  .map((line) => line.split(' '))
  .map(([role, id, token]) => ({ role, id: Number(id), token }));
const teacher = accounts.find((a) => a.role === 'teacher');
const students = accounts.filter((a) => a.role === 'student').slice(0, 500);
const BURST = 100;

const classes = await api(base, teacher.token, 'my_classes');
const lecture = classes.find((c) => c.name === 'Lecture class');
const sessionId = await api(base, teacher.token, 'open_session', { class_id: lecture.id, late_after_minutes: 240 });
const view = await api(base, teacher.token, 'session_dashboard', { session_id: sessionId });
const code = view.session.join_code;

const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { hostname } = new URL(base);
  await context.addCookies([{ name: 'rollcall_session', value: teacher.token, domain: hostname, path: '/' }]);
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push({ start: entry.startTime, ms: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  const opened = Date.now();
  await page.goto(`${base}/teacher/sessions/${sessionId}`, { timeout: 60_000 });
  await hydrated(page);
  const hydratedMs = Date.now() - opened;
  const rows = await page.locator('[data-testid^="roster-row-"]').count();
  await page.waitForSelector('[data-testid="connection-status"][data-state="open"]', { timeout: 20_000 });
  // Only what happens from the burst on counts.
  const burstStart = await page.evaluate(() => {
    window.__longTasks = [];
    return performance.now();
  });
  const sentAt = Date.now();
  const spacing = 1000 / BURST;
  const answers = await Promise.all(
    students.slice(0, BURST).map(
      (student, i) =>
        new Promise((resolve) => setTimeout(resolve, i * spacing)).then(() =>
          api(base, student.token, 'check_in', { code }).then(
            () => true,
            () => false,
          ),
        ),
    ),
  );
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid^="roster-row-"][data-status="present"]').length >= n,
    BURST,
    { timeout: 30_000, polling: 'raf' },
  );
  const allShownMs = Date.now() - sentAt;
  // Let the last frames settle before reading the tasks.
  await page.waitForTimeout(500);
  const tasks = await page.evaluate((from) => window.__longTasks.filter((t) => t.start >= from), burstStart);
  const longest = tasks.reduce((max, t) => Math.max(max, t.ms), 0);
  console.log(
    JSON.stringify({
      scenario: 'dashboard_burst',
      roster_rows: rows,
      check_ins: BURST,
      check_ins_accepted: answers.filter(Boolean).length,
      over_seconds: 1,
      hydrated_ms: hydratedMs,
      all_shown_ms: allShownMs,
      long_tasks_over_50ms: tasks.length,
      longest_task_ms: Math.round(longest),
    }),
  );
  await context.close();
} finally {
  await browser.close();
  await api(base, teacher.token, 'close_session', { session_id: sessionId }).catch(() => {});
}
