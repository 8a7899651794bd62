// Excuses and reports in the browser: a student explains an absence on their phone, the teacher
// approves it with one click and the session shows the student excused; the class register page
// and its CSV agree on every number and the page works before any script runs; every report and
// chart is photographed on a desktop and a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, hydrated, screenshot, openPage, signIn, api, apiToken, openSession } from './harness.mjs';

// The server runs on UTC here (no ROLLCALL_TIME_ZONE), so today is the UTC date.
const env = useServerAndBrowser();
const today = () => new Date().toISOString().slice(0, 10);
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

async function signedIn(username, password, viewport) {
  const context = await env.browser.newContext({ viewport });
  const page = await context.newPage();
  await signIn(page, env.server.base, username, password);
  return { context, page };
}

/** A quoted-field CSV parser for the export (commas and quotes inside names). */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n') { row.push(cell.replace(/\r$/, '')); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

test('a student sends an excuse, the teacher approves it, and the session shows them excused', async () => {
  const base = env.server.base;
  const session = await openSession(base, 'rivera', 'Biology 9A');
  const teacherToken = await apiToken(base, 'rivera', 'teacher-demo');
  await api(base, teacherToken, 'close_session', { session_id: session.id });

  const student = await signedIn('student3', 'student-demo', phone);
  await openPage(student.page, `${base}/excuses`);
  await hydrated(student.page);
  const form = student.page.getByTestId('excuse-form');
  await form.locator('input[type=date]').first().fill(today());
  await student.page.getByTestId('excuse-reason').fill('Fever, at home with a doctor\'s note');
  await form.getByRole('button', { name: 'Send' }).click();
  await student.page.getByTestId('excuse-sent').waitFor({ timeout: 10_000 }).catch(async (error) => {
    console.log('# excuse form:', await form.textContent());
    await screenshot(student.page, 'excuses-student-failed');
    throw error;
  });
  await student.page.getByTestId('pending-excuses').getByText('Fever, at home').waitFor({ timeout: 10_000 });
  await screenshot(student.page, 'excuses-student-phone');

  const teacher = await signedIn('rivera', 'teacher-demo', desktop);
  await openPage(teacher.page, `${base}/excuses`);
  await hydrated(teacher.page);
  const line = teacher.page.getByTestId('pending-excuses').locator('li', { hasText: 'Fever, at home' });
  await screenshot(teacher.page, 'excuses-teacher-desktop');
  await line.getByTestId('approve').click();
  await teacher.page.getByTestId('decided-excuses').getByText('Fever, at home').waitFor({ timeout: 10_000 });
  assert.match(await teacher.page.getByTestId('decided-excuses').textContent(), /Approved by Ms\. Rivera · 1 session excused/);

  await openPage(teacher.page, `${base}/teacher/sessions/${session.id}`);
  await hydrated(teacher.page);
  const row = teacher.page.getByTestId('roster-row-student3');
  await row.getByText('Excused').first().waitFor({ timeout: 10_000 });

  // The student sees it decided, and their own report counts the session excused.
  await openPage(student.page, `${base}/attendance`);
  assert.match(await student.page.getByTestId('student-totals').textContent(), /1 excused/);
  await screenshot(student.page, 'report-student-phone');
  await student.context.close();
  await teacher.context.close();
});

test('the class register page and its CSV agree on every number, and it works before scripts run', async () => {
  const base = env.server.base;
  const token = await apiToken(base, 'rivera', 'teacher-demo');
  // Two more sessions: student1 checks in to both, student2 to the first.
  for (const round of [0, 1]) {
    const session = await openSession(base, 'rivera', 'Biology 9A');
    for (const name of round === 0 ? ['student1', 'student2'] : ['student1']) {
      const studentToken = await apiToken(base, name, 'student-demo');
      await api(base, studentToken, 'check_in', { code: session.code });
    }
    await api(base, token, 'close_session', { session_id: session.id });
  }
  const classes = await api(base, token, 'my_classes');
  const biology = classes.find((c) => c.name === 'Biology 9A').id;

  // Scripts off: the server's HTML alone has the register and the chart.
  const signedTeacher = await signedIn('rivera', 'teacher-demo', desktop);
  const noScript = await env.browser.newContext({ viewport: desktop, javaScriptEnabled: false });
  await noScript.addCookies(await signedTeacher.context.cookies());
  await signedTeacher.context.close();
  const bare = await noScript.newPage();
  await openPage(bare, `${base}/teacher/classes/${biology}/report`);
  await bare.getByTestId('register').waitFor({ timeout: 10_000 });
  assert.equal(await bare.getByTestId('rate-chart').count(), 1);
  await noScript.close();

  for (const [viewport, suffix] of [[desktop, 'desktop'], [phone, 'phone']]) {
    const { context, page } = await signedIn('rivera', 'teacher-demo', viewport);
    await openPage(page, `${base}/teacher/classes/${biology}/report`);
    await hydrated(page);
    await screenshot(page, `report-class-${suffix}`);
    if (suffix === 'desktop') {
      // On paper: the register without the navigation, the range form or the buttons.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('header.top-bar').isVisible(), false);
      assert.equal(await page.getByTestId('csv-link').isVisible(), false);
      assert.equal(await page.getByTestId('range-form').isVisible(), false);
      assert.equal(await page.getByTestId('register').isVisible(), true);
      await screenshot(page, 'report-class-print');
      await page.emulateMedia({ media: 'screen' });
    }
    if (suffix === 'desktop') {
      const href = await page.getByTestId('csv-link').getAttribute('href');
      const { bom, text } = await page.evaluate(async (href) => {
        const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
        // TextDecoder drops the byte-order mark; look at the bytes for it.
        return { bom: bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, text: new TextDecoder().decode(bytes) };
      }, href);
      assert.ok(bom, 'a byte-order mark for Excel');
      const records = parseCsv(text).filter((r) => r.length > 1);
      const header = records[0];
      const sessions = header.length - 7;
      const rows = await page.locator('[data-testid^=register-]').all();
      assert.equal(rows.length, 12);
      for (const row of rows) {
        const username = (await row.getAttribute('data-testid')).slice('register-'.length);
        const record = records.find((r) => r[1] === username);
        assert.ok(record, `${username} in the CSV`);
        const cells = await row.locator('td').allTextContents();
        const words = await row.locator('td.cell').evaluateAll((tds) => tds.map((td) => td.dataset.status));
        // Statuses per session: the page's words equal the CSV's (an empty CSV cell is no mark).
        const noMark = ['not marked', 'not held', 'still to come'];
        words.forEach((word, i) => {
          assert.equal(record[2 + i] || 'no mark', noMark.includes(word) ? 'no mark' : word, `${username}, session ${i + 1}`);
        });
        // Present, late, excused, absent and the rate.
        assert.deepEqual(cells.slice(sessions).map((c) => c.trim()), record.slice(2 + sessions), username);
      }
      const footer = (await page.locator('table.register tfoot td').allTextContents()).map((c) => c.trim());
      const all = records.find((r) => r[0] === 'All students');
      assert.deepEqual(footer, all.slice(2));
      assert.equal((await page.getByTestId('class-rate').textContent()).trim(), all[all.length - 1]);
    }
    // The student's page from the register, with its calendar.
    await page.locator('[data-testid=register-student1] a').click();
    await page.getByTestId('calendar-chart').waitFor({ timeout: 10_000 });
    await screenshot(page, `report-student-staff-${suffix}`);
    await context.close();
  }
});

test('the school report draws its charts and lists chronic absence', async () => {
  const base = env.server.base;
  for (const [viewport, suffix] of [[desktop, 'desktop'], [phone, 'phone']]) {
    const { context, page } = await signedIn('admin', 'admin-demo', viewport);
    await openPage(page, `${base}/admin/reports`);
    await page.getByTestId('hour-chart').waitFor({ timeout: 10_000 });
    await page.getByTestId('rate-chart').waitFor({ timeout: 10_000 });
    // student4 was absent from all three sessions.
    await page.getByTestId('chronic-student4').waitFor({ timeout: 10_000 });
    await screenshot(page, `report-school-${suffix}`);
    await context.close();
  }
});
