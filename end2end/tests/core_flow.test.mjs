// The heart of the product: a teacher opens a session, a student checks in with the code the
// teacher shows, and the teacher's roster shows the student present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, screenshot } from './harness.mjs';

const env = useServerAndBrowser();

test('teacher opens a session, student checks in, roster shows present', async () => {
  const teacherContext = await env.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const studentContext = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const teacher = await teacherContext.newPage();
  const student = await studentContext.newPage();

  await signIn(teacher, env.server.base, 'rivera', 'teacher-demo');
  assert.equal(new URL(teacher.url()).pathname, '/teacher');
  const biology = teacher.locator('article.class-card', { hasText: 'Biology 9A' });
  await Promise.all([
    teacher.waitForURL(/\/teacher\/sessions\/\d+$/),
    biology.getByRole('button', { name: 'Open session' }).click(),
  ]);
  const code = (await teacher.getByTestId('join-code').textContent()).trim();
  assert.match(code, /^[A-Z2-9]{6}$/);
  assert.equal(await teacher.locator('.qr svg').count(), 1, 'QR code is drawn');
  assert.equal(await teacher.getByTestId('roster-row-student1').getAttribute('data-status'), 'not_marked');

  await signIn(student, env.server.base, 'student1', 'student-demo');
  assert.equal(new URL(student.url()).pathname, '/checkin');
  await student.fill('input[name=code]', code.toLowerCase());
  await student.getByRole('button', { name: 'Check in' }).click();
  const receipt = student.getByTestId('check-in-receipt');
  await receipt.waitFor();
  assert.equal(await receipt.getAttribute('data-status'), 'present');
  assert.match(await receipt.textContent(), /checked in: present/);
  await student.getByTestId('history').getByText('Biology 9A').first().waitFor();
  await screenshot(student, 'student-check-in');

  // A reload shows it too (the server-rendered page reads the same data).
  await teacher.reload();
  await hydrated(teacher);
  const row = teacher.getByTestId('roster-row-student1');
  assert.equal(await row.getAttribute('data-status'), 'present');
  assert.match(await teacher.getByTestId('count-present').textContent(), /Present\s*1/);
  await screenshot(teacher, 'teacher-dashboard');

  // The teacher overrides with a click; the roster follows without a reload.
  await teacher.getByTestId('roster-row-student2').locator('button[value=excused]').click();
  await teacher.locator('[data-testid=roster-row-student2][data-status=excused]').waitFor();

  await teacherContext.close();
  await studentContext.close();
});

test('the QR link takes a signed-out student through sign-in and back to check-in', async () => {
  const teacherContext = await env.browser.newContext();
  const teacher = await teacherContext.newPage();
  await signIn(teacher, env.server.base, 'okafor', 'teacher-demo');
  await Promise.all([
    teacher.waitForURL(/\/teacher\/sessions\/\d+$/),
    teacher.locator('article.class-card', { hasText: 'History 9C' }).getByRole('button', { name: 'Open session' }).click(),
  ]);
  const code = (await teacher.getByTestId('join-code').textContent()).trim();

  const phone = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await phone.newPage();
  await page.goto(`${env.server.base}/checkin/${code}`);
  await hydrated(page);
  assert.equal(await page.inputValue('input[name=code]'), code, 'the code is filled in from the link');
  // Signed out: the history panel asks the student to sign in, and comes back here after.
  await Promise.all([page.waitForURL(/\/login\?next=/), page.getByRole('link', { name: 'Sign in' }).last().click()]);
  await hydrated(page);
  await page.fill('input[name=username]', 'student25');
  await page.fill('input[name=password]', 'student-demo');
  await Promise.all([page.waitForURL(new RegExp(`/checkin/${code}$`)), page.click('button[type=submit]')]);
  await hydrated(page);
  assert.equal(await page.inputValue('input[name=code]'), code, 'still filled in after signing in');
  await page.getByRole('button', { name: 'Check in' }).click();
  await page.getByTestId('check-in-receipt').waitFor();
  assert.equal(await page.getByTestId('check-in-receipt').getAttribute('data-status'), 'present');

  // A wrong code is refused with a reason.
  await page.fill('input[name=code]', 'ZZZZZZ');
  await page.getByRole('button', { name: 'Check in' }).click();
  await page.getByRole('alert').filter({ hasText: 'No open session has that code' }).waitFor();

  await phone.close();
  await teacherContext.close();
});

test('unknown pages get a friendly 404', async () => {
  const response = await fetch(`${env.server.base}/definitely/not/here`);
  assert.equal(response.status, 404);
  const page = await env.browser.newPage();
  await page.goto(`${env.server.base}/definitely/not/here`);
  await page.getByTestId('not-found').waitFor();
  await page.close();
});
