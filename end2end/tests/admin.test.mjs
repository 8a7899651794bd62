// Administration in the browser: an admin imports a CSV in the page (preview, then apply), a
// teacher from that file signs in with the one-time password, chooses their own, and sees the
// class; the people and class pages work on a desktop and a phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServerAndBrowser, hydrated, screenshot, openPage } from './harness.mjs';

const env = useServerAndBrowser();

async function adminPage(viewport = { width: 1280, height: 900 }) {
  const context = await env.browser.newContext({ viewport });
  const page = await context.newPage();
  // Signed in through the form; each test then opens the page it is about.
  await openPage(page, `${env.server.base}/login?next=/admin/users`);
  await hydrated(page);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'admin-demo');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/admin/users', { waitUntil: 'commit', timeout: 15_000 }),
    page.click('button[type=submit]'),
  ]);
  return { context, page };
}

test('an admin imports a CSV and a teacher from it then sees the class', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-import-'));
  const broken = join(dir, 'broken.csv');
  writeFileSync(broken, 'username,display_name,role,classes\nnew.teacher,Mr. New,teacher,Biolgy 9A\n');
  const good = join(dir, 'school.csv');
  writeFileSync(good, 'username,display_name,role,classes\nnew.teacher,Mr. New,teacher,Biology 9A\nnew.pupil,Nia New,student,Biology 9A\n');

  const { context, page } = await adminPage();
  await openPage(page, `${env.server.base}/admin/import`);
  await hydrated(page);
  // A mistake first: the line and a suggestion, nothing to apply.
  await page.getByTestId('import-file').setInputFiles(broken);
  await page.getByRole('button', { name: 'Preview' }).click();
  const errors = page.getByTestId('import-errors');
  await errors.waitFor({ timeout: 10_000 });
  assert.match(await errors.textContent(), /Line 2.*Did you mean 'Biology 9A'/);
  await screenshot(page, 'admin-import-errors');

  await page.getByTestId('import-file').setInputFiles(good);
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByTestId('import-preview');
  await preview.waitFor({ timeout: 10_000 });
  assert.match(await preview.textContent(), /2 new, 0 changed/);
  await page.getByTestId('import-apply').click();
  const result = page.getByTestId('import-result');
  await result.waitFor({ timeout: 15_000 });
  const row = result.locator('tr', { hasText: 'new.teacher' });
  const oneTime = (await row.locator('code').textContent()).trim();
  assert.match(oneTime, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  await screenshot(page, 'admin-import-result');
  await context.close();

  // The teacher signs in with it, must choose a password, then sees Biology 9A.
  const teacherContext = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const teacher = await teacherContext.newPage();
  await teacher.goto(`${env.server.base}/login`);
  await hydrated(teacher);
  await teacher.fill('input[name=username]', 'new.teacher');
  await teacher.fill('input[name=password]', oneTime);
  await Promise.all([teacher.waitForURL(/\/account\/password/, { timeout: 15_000 }), teacher.click('button[type=submit]')]);
  await hydrated(teacher);
  await teacher.fill('input[name=current_password]', oneTime);
  await teacher.fill('input[name=new_password]', 'my own classroom phrase');
  await teacher.fill('input[name=new_password_again]', 'my own classroom phrase');
  await Promise.all([
    teacher.waitForURL((url) => url.pathname !== '/account/password', { timeout: 15_000 }),
    teacher.getByRole('button', { name: 'Change password' }).click(),
  ]);
  await teacher.goto(`${env.server.base}/teacher`);
  await hydrated(teacher);
  await teacher.locator('.class-card', { hasText: 'Biology 9A' }).waitFor({ timeout: 10_000 });
  await teacherContext.close();
});

test('the people and class pages on a desktop and a phone', async () => {
  for (const [name, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const { context, page } = await adminPage(viewport);
    await openPage(page, `${env.server.base}/admin/users`);
    await hydrated(page);
    await page.getByTestId('people-search').fill('adams');
    await page.waitForFunction(() => /^\s*[1-9]\d* people/.test(document.querySelector('[data-testid=people-total]')?.textContent || '') && document.querySelectorAll('tr[data-testid^=person-]').length < 10, null, { timeout: 5000 });
    await screenshot(page, `admin-people-${name}`);
    await openPage(page, `${env.server.base}/admin/classes`);
    await hydrated(page);
    await page.locator('a', { hasText: 'History 9C' }).first().click();
    await page.getByTestId('class-students').waitFor({ timeout: 5000 });
    await screenshot(page, `admin-class-${name}`);
    await context.close();
  }
});
