// Debian's firefox-esr over WebDriver BiDi (puppeteer-core), headless,
// behind the driver shape of ./index.mjs.
import puppeteer from '../../../tools/web/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js';

/**
 * What headless Firefox offers here. WebGL is off in headless mode without a
 * GPU ("AllowWebgl2:false"; under a virtual display it would be llvmpipe),
 * so the player draws with Canvas2D. No WebGPU on Linux in this ESR.
 * Firefox 153 has no pref that turns wasm SIMD off.
 */
export const features = { threads: true, webgl2: { worker: false, page: false }, webgpu: false, webTransport: true, simd: true, offscreenCanvas: true, screenshots: true };

/**
 * Whether the suites start the threaded build here. Firefox offers it (the
 * first decode test checks), but starting its worker pool from the player's
 * worker sometimes never completes (3-4 starts in 100 on this machine; the
 * README's browser table names it), so `make test` plays the single build in
 * Firefox until that is fixed; ASP_TEST_FIREFOX_THREADS=1 runs the threaded
 * cases too.
 */
export const testThreads = process.env.ASP_TEST_FIREFOX_THREADS === '1';

/** @param {{ prefs?: Record<string, unknown> }} options */
export async function launch({ prefs = {} } = {}) {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: prefs,
  });
  return {
    name: 'firefox',
    features,
    async newPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({ width: 800, height: 600, deviceScaleFactor: 1 });
      const consoleLines = [];
      const pageErrors = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => pageErrors.push(String(e)));
      return {
        raw: page,
        consoleLines,
        pageErrors,
        goto: (url) => page.goto(url).then(() => undefined),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        waitForFunction: (fn, arg, { timeout = 30000, polling = 100 } = {}) => page.waitForFunction(fn, { timeout, polling }, arg).then(() => undefined),
        waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        async screenshot(selector) {
          const element = await page.$(selector);
          if (!element) throw new Error(`no element ${selector}`);
          return Buffer.from(await element.screenshot());
        },
        close: () => context.close(),
      };
    },
    close: () => browser.close(),
  };
}
