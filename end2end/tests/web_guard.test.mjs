// Sign-in and page safety as a browser sees it: the form works before (and without) the
// WebAssembly and never puts the password in an address, sign-in never leaves the site, and
// every page works under the Content-Security-Policy without a single violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, hydrated, openSession } from './harness.mjs';

const env = useServerAndBrowser();

/** Records every request URL and every CSP violation a page reports. */
function watch(page) {
  const seen = { urls: [], violations: [] };
  page.on('request', (request) => seen.urls.push(request.url()));
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) seen.violations.push(message.text());
  });
  page.on('pageerror', (error) => seen.violations.push(`page error: ${error.message}`));
  return seen;
}

/** Counts `securitypolicyviolation` events in every document the context opens. */
async function reportViolations(context) {
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}

test('without JavaScript the sign-in form posts, lands on the home page and keeps the password out of URLs', async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(`${env.server.base}/login`);
  await page.fill('input[name=username]', 'rivera');
  await page.fill('input[name=password]', 'teacher-demo');
  await Promise.all([page.waitForURL(`${env.server.base}/teacher`), page.click('button[type=submit]')]);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'rollcall_session');
  assert.ok(session?.httpOnly, 'signed in with an HttpOnly cookie');
  const me = await fetch(`${env.server.base}/api/me`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: env.server.base, cookie: `rollcall_session=${session.value}` },
    body: '{}',
  });
  assert.equal((await me.json()).username, 'rivera');

  // A wrong password comes back to the form with a sentence, and no password in the address.
  const other = await context.newPage();
  const otherSeen = watch(other);
  await other.goto(`${env.server.base}/login?next=/teacher`);
  await other.fill('input[name=username]', 'rivera');
  await other.fill('input[name=password]', 'not-my-password');
  await Promise.all([other.waitForURL(/\/login\?error=/), other.click('button[type=submit]')]);
  await other.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
  for (const url of [...seen.urls, ...otherSeen.urls]) {
    assert.ok(!url.includes('teacher-demo') && !url.includes('not-my-password'), `password in ${url}`);
  }
  await context.close();
});

for (const next of ['/%5Cevil.example', '/%09/evil.example']) {
  test(`sign-in with next=${next} stays on the site`, async () => {
    const context = await env.browser.newContext();
    await context.route('http://evil.example/**', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<h1>Session expired, enter your password</h1>' }),
    );
    const page = await context.newPage();
    await page.goto(`${env.server.base}/login?next=${next}`);
    await hydrated(page);
    await page.fill('input[name=username]', 'rivera');
    await page.fill('input[name=password]', 'teacher-demo');
    await Promise.all([
      page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 15_000 }),
      page.click('button[type=submit]'),
    ]);
    await page.waitForLoadState();
    assert.equal(new URL(page.url()).host, new URL(env.server.base).host, page.url());
    await context.close();
  });
}

test('every page works under the Content-Security-Policy', async () => {
  const { id, code } = await openSession(env.server.base, 'rivera', 'Biology 9A');
  const pages = [
    ['rivera', 'teacher-demo', ['/teacher', `/teacher/sessions/${id}`]],
    ['student3', 'student-demo', [`/checkin/${code}`]],
    ['admin', 'admin-demo', ['/admin']],
  ];
  for (const [username, password, paths] of pages) {
    const context = await env.browser.newContext();
    await reportViolations(context);
    const page = await context.newPage();
    const seen = watch(page);
    await signIn(page, env.server.base, username, password);
    for (const path of paths) {
      await page.goto(`${env.server.base}${path}`);
      await hydrated(page);
      // The live connection is up: the WebSocket passed `connect-src` too.
      await page.locator('[data-testid=connection-status][data-state=open]').waitFor({ timeout: 15_000 });
    }
    if (username === 'student3') {
      await page.getByRole('button', { name: 'Check in' }).click();
      await page.getByTestId('check-in-receipt').waitFor();
    }
    const policy = (await page.request.get(`${env.server.base}/login`)).headers()['content-security-policy'];
    assert.match(policy, /'nonce-/);
    assert.deepEqual(seen.violations, [], `${username}: ${seen.violations.join('\n')}`);
    await context.close();
  }
});
