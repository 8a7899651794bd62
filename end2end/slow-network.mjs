// A phone on bad Wi-Fi: opening a QR link and checking in, in real Chromium with DevTools
// network emulation and a 4x CPU slowdown (docs/benchmarks.md, "A phone on slow 3G").
// Usage: ROLLCALL_BIN=… ROLLCALL_SITE_ROOT=<site root of a release build> node slow-network.mjs [runs]
// The student is signed in already. Each run, on each network profile, in a fresh browser profile:
//   cold: nothing cached, no service worker (the first visit on this phone);
//   warm: the same profile again after the service worker has installed and kept this build.
// and for each, three timings from opening the link (medians over the runs):
//   button_visible_ms  the "Check in" button is on screen;
//   checked_in_ms      tapping it at once (the plain form, before the WebAssembly) until the
//                      server's answer is on screen;
//   live_ms            ...and until the answer's page has hydrated (live);
//   interactive_ms     the page has hydrated without a check-in (on a slow link the check-in
//                      page waits for a touch elsewhere before it loads the bundle: the run
//                      touches the page's heading as soon as it shows);
//   hydrated_check_in_ms  waiting for hydration, then tapping: what a check-in cost before the
//                      form worked without the WebAssembly.
import { startServer, launchBrowser, openSession, apiToken, api, signInContext, NETWORK_PRESETS as PROFILES } from './tests/harness.mjs';
const CPU_SLOWDOWN = 4;
const runs = Math.min(Number(process.argv[2] || 3), 4);
const LONG = { timeout: 120_000 };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const server = await startServer();
const browser = await launchBrowser();
try {
  for (const [name, network] of Object.entries(PROFILES)) {
    // New sessions for each profile, so every check-in measured is a student's first.
    // Chemistry 10B has students 11-22, History 9C 19-30.
    const cold = await openSession(server.base, 'rivera', 'Chemistry 10B');
    const warm = await openSession(server.base, 'okafor', 'History 9C');
    const results = { cold: [], warm: [] };
    for (let run = 0; run < runs; run++) {
      // The form, tapped at once: student 19+run (in both classes) cold, then warm.
      const phone = await signedInPhone(`student${19 + run}`);
      const coldTap = await tapAtOnce(phone, network, cold.code);
      await settle(phone);
      const warmTap = await tapAtOnce(phone, network, warm.code);
      await phone.context.close();
      // Waiting for hydration first: student 13+run (Chemistry) cold, 23+run (History) warm.
      const first = await signedInPhone(`student${13 + run}`);
      const coldHydrated = await hydratedThenTap(first, network, cold.code);
      await first.context.close();
      const second = await signedInPhone(`student${23 + run}`);
      await settle(second);
      const warmHydrated = await hydratedThenTap(second, network, warm.code);
      await second.context.close();
      results.cold.push({ ...coldTap, ...coldHydrated });
      results.warm.push({ ...warmTap, ...warmHydrated });
    }
    await closeSession('rivera', cold.id);
    await closeSession('okafor', warm.id);
    for (const [cache, list] of Object.entries(results)) {
      const figure = (key) => median(list.map((r) => r[key]));
      console.log(
        JSON.stringify({
          scenario: 'slow_network_check_in',
          network: name,
          cpu_slowdown: CPU_SLOWDOWN,
          cache,
          runs: list.length,
          button_visible_ms: figure('visible'),
          checked_in_ms: figure('checkedIn'),
          live_ms: figure('live'),
          interactive_ms: figure('interactive'),
          hydrated_check_in_ms: figure('hydratedCheckIn'),
        }),
      );
    }
  }
} finally {
  await browser.close();
  await server.cleanup();
}

/** A fresh browser profile, signed in over the API (into its cookie jar), nothing loaded. */
async function signedInPhone(username) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  await signInContext(context, server.base, username);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  return { context, page, cdp };
}

async function throttle({ cdp }, network) {
  await cdp.send('Network.emulateNetworkConditions', network);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
}

async function unthrottle({ cdp }) {
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
}

/** Opens the link and taps "Check in" the moment it is on screen. */
async function tapAtOnce(phone, network, code) {
  const { page } = phone;
  await throttle(phone, network);
  const started = Date.now();
  await page.goto(`${server.base}/checkin/${code}`, { waitUntil: 'commit', ...LONG });
  const button = page.getByRole('button', { name: 'Check in' });
  await button.waitFor(LONG);
  const visible = Date.now() - started;
  await button.click(LONG);
  await page.getByTestId('check-in-receipt').waitFor(LONG);
  const checkedIn = Date.now() - started;
  await page.waitForSelector('body[data-hydrated="true"]', LONG);
  const live = Date.now() - started;
  await unthrottle(phone);
  return { visible, checkedIn, live };
}

/** Opens the link, waits until the page has hydrated, then taps "Check in". */
async function hydratedThenTap(phone, network, code) {
  const { page } = phone;
  await throttle(phone, network);
  const started = Date.now();
  await page.goto(`${server.base}/checkin/${code}`, { waitUntil: 'commit', ...LONG });
  const heading = page.getByRole('heading', { name: 'Check in' });
  await heading.waitFor(LONG);
  if ((await page.getAttribute('html', 'data-hydration')) === 'after-check-in') await heading.click(LONG);
  await page.waitForSelector('body[data-hydrated="true"]', LONG);
  const interactive = Date.now() - started;
  await page.getByRole('button', { name: 'Check in' }).click(LONG);
  await page.getByTestId('check-in-receipt').waitFor(LONG);
  const hydratedCheckIn = Date.now() - started;
  await unthrottle(phone);
  return { interactive, hydratedCheckIn };
}

/** A day of use: the check-in page loaded once on a good network, its service worker installed
 * and this build's files kept. */
async function settle({ page }) {
  await page.goto(`${server.base}/checkin`);
  await page.waitForSelector('body[data-hydrated="true"]', LONG);
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    // Kept files are in the cache once the worker is active.
    return registration.active?.state;
  });
  await page.waitForTimeout(1000);
}

async function closeSession(teacher, sessionId) {
  const token = await apiToken(server.base, teacher, 'teacher-demo');
  await api(server.base, token, 'close_session', { session_id: sessionId });
}
