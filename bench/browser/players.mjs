// Page memory and worker count with N <asp-player>s on one page, in
// Debian's Chromium (headless): every player plays small.asp (run.sh makes
// it in build/browser-test/) and is paused on its first frame, then the
// page's workers are counted (Playwright's list, nested pool workers
// included) and its memory measured (performance.measureUserAgentSpecificMemory:
// the page and its workers, wasm memories included). Canvas2D, so that 16
// players stay within Chromium's 16 WebGL contexts a page.
//
//   node bench/browser/players.mjs [COUNT...]              (default 1 16)
//   PKG=/build/old-web/src/index.js node bench/browser/players.mjs 1 16
//
// PKG: the package entry as the page imports it (a path under the
// repository root; default /web/src/index.js), to measure another
// checkout's web/src put under build/ (its dist/ a link to web/dist).
import { launchBrowser } from '../../tests/browser/drivers/index.mjs';
import { serve } from '../../tools/web/serve.mjs';
import { root } from '../../tests/wasm/common.mjs';

const pkg = process.env.PKG || '/web/src/index.js';
const counts = process.argv.slice(2).map(Number);
const server = await serve({ root, port: 0 });
const browser = await launchBrowser('chromium');
try {
  for (const count of counts.length ? counts : [1, 16]) {
    const page = await browser.newPage();
    await page.goto(`${server.url}/tests/browser/page.html?pkg=${encodeURIComponent(pkg)}`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    const baseline = page.raw.workers().length;
    const builds = await page.evaluate(async ([src, n]) => {
      const players = [];
      for (let i = 0; i < n; i++) {
        const el = document.createElement('asp-player');
        el.style.width = '80px';
        el.style.height = '60px';
        el.setAttribute('renderer', 'canvas2d');
        el.setAttribute('src', src);
        document.body.append(el);
        players.push(el);
      }
      await Promise.all(players.map((el) => el.play().then(() => el.pause())));
      return [...new Set(players.map((el) => el.stats.build))].join(',');
    }, ['/build/browser-test/small.asp', count]);
    // Chromium lists a new worker a little after it starts.
    await page.waitForTimeout(500);
    const workers = page.raw.workers().length - baseline;
    const bytes = await page.evaluate(async () => (await performance.measureUserAgentSpecificMemory()).bytes);
    console.log(`${pkg}: ${count} players (${builds} build): ${workers} workers, ${(bytes / 1e6).toFixed(1)} MB`);
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
