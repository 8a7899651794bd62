// Before (or without) the WebAssembly: with JavaScript disabled, signing in, checking in and the
// teacher's mark buttons are plain HTML forms answered by the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, openSession, apiToken, api, screenshot, signInContext } from './harness.mjs';

const env = useServerAndBrowser();
const sessions = {};

// Opened once, by the first test that needs them (after the shared server has started).
async function openSessions() {
  sessions.biology ??= await openSession(env.server.base, 'rivera', 'Biology 9A');
  sessions.history ??= await openSession(env.server.base, 'okafor', 'History 9C');
}

async function pageWithoutScripts(viewport = { width: 390, height: 844 }) {
  const context = await env.browser.newContext({ javaScriptEnabled: false, viewport });
  return { context, page: await context.newPage() };
}

async function signInWithForm(page, username, password) {
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
}

async function rosterStatus(teacher, sessionId, username) {
  const view = await api(env.server.base, teacher, 'session_dashboard', { session_id: sessionId });
  return view.roster.find((entry) => entry.username === username).mark?.status ?? 'not_marked';
}

test('with JavaScript off, a student signs in and checks in', async () => {
  await openSessions();
  const { context, page } = await pageWithoutScripts();
  await page.goto(`${env.server.base}/login`);
  await signInWithForm(page, 'student3', 'wrong-password');
  assert.match(page.url(), /\/login\?error=unauthenticated/);
  assert.match(await page.locator('.card').first().textContent(), /Wrong username or password/);

  await signInWithForm(page, 'student3', 'student-demo');
  assert.equal(new URL(page.url()).pathname, '/checkin');

  // A wrong code gets the refusal's own sentence, and nothing is marked.
  await page.fill('input[name=code]', 'ZZZZ99');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Check in' }).click()]);
  assert.match(await page.textContent('main'), /No open session has that code/);
  assert.equal(await page.inputValue('input[name=code]'), 'ZZZZ99', 'the typed code stays to be corrected');

  await page.fill('input[name=code]', sessions.biology.code.toLowerCase());
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Check in' }).click(),
  ]);
  assert.equal(answer.request().method(), 'POST', 'the post is answered with the page: no redirect');
  assert.equal(answer.status(), 200);
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in: present/);
  assert.match(await page.getByTestId('history').textContent(), /Biology 9A/, 'the history is server-rendered');
  assert.ok(await page.getByText('Not live: reload to see changes').isVisible(), 'says it is not live');
  assert.equal(await page.getByTestId('connection-status').isVisible(), false, 'no connection that never comes');
  await screenshot(page, 'no-js-check-in-phone');

  // Sending the form again (a double tap, a retry) marks nothing twice.
  await page.fill('input[name=code]', sessions.biology.code);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Check in' }).click()]);
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /already checked in/);

  const teacher = await apiToken(env.server.base, 'rivera', 'teacher-demo');
  assert.equal(await rosterStatus(teacher, sessions.biology.id, 'student3'), 'present');
  await context.close();
});

test('before the WebAssembly has loaded, the answer shows its own address and hydrates there', async () => {
  await openSessions();
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const noWasm = (route) => route.abort();
  await context.route(/\.wasm$/, noWasm);
  await page.goto(`${env.server.base}/login`);
  await signInWithForm(page, 'student25', 'student-demo');
  await page.goto(`${env.server.base}/checkin/${sessions.history.code}`);
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Check in' }).click(),
  ]);
  assert.equal(answer.request().method(), 'POST');
  assert.match(page.url(), /\/checkin\?done=present$/, 'the address bar shows the answer');
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in: present/);

  // With the WebAssembly back, a reload reads the answer (a GET, not the form again) and hydrates.
  await context.unroute(/\.wasm$/, noWasm);
  const [reloaded] = await Promise.all([page.waitForNavigation(), page.reload()]);
  assert.equal(reloaded.request().method(), 'GET');
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 20_000 });
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in: present/);
  await context.close();
});

test('with JavaScript off, a signed-out QR link leads through sign-in back to its code', async () => {
  await openSessions();
  const { context, page } = await pageWithoutScripts();
  const link = `/checkin/${sessions.history.code}`;
  await page.goto(`${env.server.base}${link}`);
  assert.equal(await page.inputValue('input[name=code]'), sessions.history.code);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Check in' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(new URL(page.url()).searchParams.get('next'), link);
  await signInWithForm(page, 'student21', 'student-demo');
  assert.equal(new URL(page.url()).pathname, link);
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Check in' }).click()]);
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in/);
  await context.close();
});

test("with JavaScript off, the teacher's mark buttons mark and come back to the row", async () => {
  await openSessions();
  const { context, page } = await pageWithoutScripts({ width: 1100, height: 900 });
  await page.goto(`${env.server.base}/login`);
  await signInWithForm(page, 'okafor', 'teacher-demo');
  await page.goto(`${env.server.base}/teacher/sessions/${sessions.history.id}`);
  const row = page.getByTestId('roster-row-student20');
  assert.equal(await row.getAttribute('data-status'), 'not_marked', 'the roster is server-rendered');
  await Promise.all([page.waitForLoadState('load'), row.locator('button[value=late]').click()]);
  assert.match(page.url(), new RegExp(`/teacher/sessions/${sessions.history.id}#student-\\d+$`));
  assert.equal(await page.getByTestId('roster-row-student20').getAttribute('data-status'), 'late');
  await screenshot(page, 'no-js-roster-desktop');

  // Another teacher's session: refused, said in words, nothing marked.
  const teacher = await apiToken(env.server.base, 'rivera', 'teacher-demo');
  const biology = await api(env.server.base, teacher, 'session_dashboard', { session_id: sessions.biology.id });
  const studentFour = biology.roster.find((entry) => entry.username === 'student4').student_id;
  const refused = await page.request.post(`${env.server.base}/teacher/sessions/${sessions.biology.id}/mark`, {
    form: { student_id: String(studentFour), status: 'absent' },
    headers: { origin: env.server.base },
    maxRedirects: 0,
  });
  assert.equal(refused.status(), 303);
  assert.match(refused.headers().location, /\?error=(forbidden|not_found)$/);
  await page.goto(`${env.server.base}${refused.headers().location}`);
  assert.match(await page.textContent('main'), /not one you can mark/);
  assert.equal(await rosterStatus(teacher, sessions.biology.id, 'student4'), 'not_marked');
  await context.close();
});

/** A phone on a slow link (DevTools' emulation, which the page reads in `navigator.connection`):
 * 500 ms more per request is "3g" to the browser, while the bytes still come fast. */
async function slowLinkPhone(username) {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  if (username) await signInContext(context, env.server.base, username);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 500,
    downloadThroughput: 50_000_000,
    uploadThroughput: 50_000_000,
  });
  const bundle = [];
  page.on('request', (request) => {
    if (/\/pkg\/.*\.(wasm|js)$/.test(new URL(request.url()).pathname)) bundle.push(request.url());
  });
  return { context, page, bundle };
}

test('on a slow link the sign-in and check-in pages leave the WebAssembly until the check-in is done', async () => {
  await openSessions();
  // A first visit: the QR link, signed out, leads through the sign-in page back to its code.
  const { context, page, bundle } = await slowLinkPhone(null);
  await page.goto(`${env.server.base}/checkin/${sessions.biology.code}`);
  assert.equal(await page.evaluate(() => navigator.connection.effectiveType), '3g');
  await Promise.all([page.waitForURL(/\/login\?next=/), page.getByRole('button', { name: 'Check in' }).click()]);
  await page.fill('input[name=username]', 'student5');
  await page.fill('input[name=password]', 'student-demo');
  await Promise.all([page.waitForURL(/\/checkin\/[A-Z0-9]+$/), page.click('button[type=submit]')]);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(bundle, [], 'no script or WebAssembly of the bundle before the check-in');
  assert.ok(await page.getByText('Not live: reload to see changes').isVisible(), 'says it is not live');
  assert.equal(await page.getByTestId('connection-status').isVisible(), false, 'no connection that is not coming');
  await screenshot(page, 'slow-link-check-in-phone');

  // Typing in the form does not start it either; the check-in is the plain form's.
  await page.fill('input[name=code]', sessions.biology.code.toLowerCase());
  assert.deepEqual(bundle, []);
  const [answer] = await Promise.all([
    page.waitForNavigation(),
    page.getByRole('button', { name: 'Check in' }).click(),
  ]);
  assert.equal(answer.request().method(), 'POST');
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in: present/);
  // The answer's page is live: it loads the bundle and hydrates.
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.ok(bundle.some((url) => url.endsWith('.wasm')), 'the WebAssembly came after the check-in');
  assert.equal(await page.getByTestId('connection-status').isVisible(), true);
  await context.close();
});

test('on a slow link, touching the check-in page anywhere else starts the WebAssembly', async () => {
  await openSessions();
  const { context, page, bundle } = await slowLinkPhone('student6');
  await page.goto(`${env.server.base}/checkin/${sessions.biology.code}`);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(bundle, []);
  await page.getByRole('heading', { name: 'My recent attendance' }).click();
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
  assert.ok(bundle.some((url) => url.endsWith('.wasm')));
  // Hydrated, the same button checks in without leaving the page.
  await page.getByRole('button', { name: 'Check in' }).click();
  assert.match(await page.getByTestId('check-in-receipt').textContent(), /checked in: present/);
  assert.equal(await page.getByTestId('check-in-receipt').getAttribute('data-status'), 'present');
  assert.match(page.url(), new RegExp(`/checkin/${sessions.biology.code}$`), 'no form post: the page stayed');
  await context.close();
});
