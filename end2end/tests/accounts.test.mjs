// Accounts in the browser: a sign-out in one tab ends the others (they go to the sign-in page
// and say why), a failed sign-out says so and stays signed in, a reset password must be changed
// before anything else, and the demo school says it is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, apiToken, api, screenshot } from './harness.mjs';

const env = useServerAndBrowser();

async function newContext() {
  return env.browser.newContext({ viewport: { width: 1100, height: 800 } });
}

test('signing out in one tab sends the other tabs to the sign-in page with the reason', async () => {
  const context = await newContext();
  const first = await context.newPage();
  await signIn(first, env.server.base, 'okafor', 'teacher-demo');
  const second = await context.newPage();
  await second.goto(`${env.server.base}/teacher`);
  await hydrated(second);
  await second.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 15_000 });
  assert.equal(await second.getByTestId('demo-banner').count(), 1, 'the demo says it is one');

  await first.getByRole('button', { name: 'Sign out' }).click();
  await first.waitForURL((url) => url.pathname === '/login', { timeout: 10_000 });
  // The other tab hears it on its live connection (close 4001 "signed out").
  await second.waitForURL(
    (url) => url.pathname === '/login' && url.searchParams.get('reason') === 'signed-out',
    { timeout: 10_000 },
  );
  assert.equal(new URL(second.url()).searchParams.get('next'), '/teacher');
  await second.getByTestId('sign-in-reason').getByText('You were signed out').waitFor();
  await screenshot(second, 'signed-out-elsewhere');
  await context.close();
});

test('a sign-out that fails says so and stays signed in', async () => {
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, env.server.base, 'rivera', 'teacher-demo');
  await page.route('**/api/logout', (route) => route.abort());
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('sign-out-failed').waitFor({ timeout: 10_000 });
  assert.equal(new URL(page.url()).pathname, '/teacher');
  // Really still signed in: a fresh load shows the same person.
  await page.unroute('**/api/logout');
  await page.goto(`${env.server.base}/teacher`);
  await hydrated(page);
  assert.equal((await page.getByTestId('signed-in-as').textContent()).trim(), 'Ms. Rivera');
  await context.close();
});

test('after an administrator reset, the person must choose a new password first', async () => {
  const admin = await apiToken(env.server.base, 'admin', 'admin-demo');
  await api(env.server.base, admin, 'reset_password', { username: 'student7', new_password: 'temporary pass 7' });
  const context = await newContext();
  const page = await context.newPage();
  await signIn(page, env.server.base, 'student7', 'temporary pass 7');
  assert.equal(new URL(page.url()).pathname, '/account/password');
  await page.getByTestId('must-change-password').waitFor();
  // Any other page comes back here.
  await page.goto(`${env.server.base}/checkin`);
  await page.waitForURL((url) => url.pathname === '/account/password', { timeout: 10_000 });
  await hydrated(page);
  await page.fill('input[name=current_password]', 'temporary pass 7');
  await page.fill('input[name=new_password]', 'my own phrase 7');
  await page.fill('input[name=new_password_again]', 'my own phrase 7');
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/checkin', { timeout: 15_000 }),
    page.getByRole('button', { name: 'Change password' }).click(),
  ]);
  await hydrated(page);
  assert.equal(await page.getByTestId('must-change-password').count(), 0);
  await context.close();
});
