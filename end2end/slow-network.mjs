// A phone on bad Wi-Fi: opening a QR link and checking in, in real Chromium with DevTools
// network emulation and a 4x CPU slowdown (docs/benchmarks.md, "A phone on slow 3G").
// Usage: ROLLCALL_BIN=… ROLLCALL_SITE_ROOT=<site root> node slow-network.mjs [runs]
// For each run a signed-in student (a fresh browser profile, so nothing cached; then the same
// profile again, with the service worker and its caches warm) opens the link and taps
// "Check in" as soon as the button is on screen. Prints one JSON line per profile with the
// medians: to the button visible, to interactive (hydrated) and to the check-in confirmed.
import { startServer, launchBrowser, openSession, apiToken, api } from './tests/harness.mjs';

// Chrome DevTools' presets (throughput in bytes per second, latency in ms).
const PROFILES = {
  slow_3g: { latency: 2000, downloadThroughput: (500 * 1000) / 8 * 0.8, uploadThroughput: (500 * 1000) / 8 * 0.8 },
  fast_3g: { latency: 562.5, downloadThroughput: (1.6 * 1000 * 1000) / 8 * 0.9, uploadThroughput: (750 * 1000) / 8 * 0.9 },
};
const CPU_SLOWDOWN = 4;
const runs = Math.min(Number(process.argv[2] || 3), 4);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const server = await startServer();
const browser = await launchBrowser();
try {
  for (const [name, network] of Object.entries(PROFILES)) {
    // New sessions for each profile, so every check-in measured is a student's first.
    const sessions = [await openSession(server.base, 'rivera', 'Chemistry 10B'), await openSession(server.base, 'okafor', 'History 9C')];
    const results = { cold: [], warm: [] };
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
      const page = await context.newPage();
      // Signed in already (over the API, into this profile's cookie jar), with nothing cached
      // and no service worker: the first visit of the day on a phone that never opened Rollcall.
      const student = `student${19 + run}`;
      const signIn = await context.request.post(`${server.base}/api/login`, {
        data: { username: student, password: 'student-demo' },
        headers: { origin: server.base },
      });
      if (!signIn.ok()) throw new Error(`sign-in ${student}: ${signIn.status()}`);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      for (const temperature of ['cold', 'warm']) {
        if (temperature === 'warm') {
          // Let the service worker install and keep this build's files, as a day of use would.
          await page.evaluate(async () => navigator.serviceWorker && (await navigator.serviceWorker.ready));
          await page.waitForTimeout(1500);
        }
        await cdp.send('Network.emulateNetworkConditions', { offline: false, ...network });
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
        // Students 19-22 are in both classes: a first check-in each time.
        const session = sessions[temperature === 'cold' ? 0 : 1];
        const started = Date.now();
        const navigation = page.goto(`${server.base}/checkin/${session.code}`, { waitUntil: 'commit', timeout: 60_000 });
        await navigation;
        const button = page.getByRole('button', { name: 'Check in' });
        await button.waitFor({ timeout: 60_000 });
        const visible = Date.now() - started;
        await button.click();
        await page.getByTestId('check-in-receipt').waitFor({ timeout: 60_000 });
        const checkedIn = Date.now() - started;
        await page.waitForSelector('body[data-hydrated="true"]', { timeout: 120_000 });
        const interactive = Date.now() - started;
        results[temperature].push({ visible, interactive, checkedIn });
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      }
      await context.close();
    }
    await closeSession(server.base, 'rivera', sessions[0].id);
    await closeSession(server.base, 'okafor', sessions[1].id);
    for (const [temperature, list] of Object.entries(results)) {
      console.log(
        JSON.stringify({
          scenario: 'slow_network_check_in',
          network: name,
          cpu_slowdown: CPU_SLOWDOWN,
          cache: temperature,
          runs: list.length,
          button_visible_ms: median(list.map((r) => r.visible)),
          interactive_ms: median(list.map((r) => r.interactive)),
          checked_in_ms: median(list.map((r) => r.checkedIn)),
        }),
      );
    }
  }
} finally {
  await browser.close();
  await server.cleanup();
}


async function closeSession(base, teacher, sessionId) {
  const token = await apiToken(base, teacher, 'teacher-demo');
  await api(base, token, 'close_session', { session_id: sessionId });
}
