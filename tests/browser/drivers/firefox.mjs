// Debian's firefox-esr over WebDriver BiDi (puppeteer-core), headless,
// behind the driver shape of ./index.mjs.
import puppeteer from '../../../tools/web/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js';
import { eventedPage } from './index.mjs';

/**
 * What headless Firefox offers here. WebGL is off in headless mode without a
 * GPU ("AllowWebgl2:false"; under a virtual display it would be llvmpipe),
 * so the player draws with Canvas2D. No WebGPU on Linux in this ESR.
 * Firefox 153 has no pref that turns wasm SIMD off.
 */
export const features = { threads: true, webgl2: { worker: false, page: false }, webgpu: false, webTransport: true, simd: true, offscreenCanvas: true, softwareGpu: false, screenshots: true };

/**
 * Whether the suites start the threaded build here: yes. Starting its
 * worker pool from the player's worker sometimes blocks that worker for
 * good (3-4 starts in 100 on this machine); the element restarts a start
 * that went silent, then falls back to the single build
 * (pool-start.test.mjs starts it 100 times with ASP_POOL_STARTS=100).
 */
export const testThreads = true;

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
      return eventedPage(page, {
        waitForFunction: (fn, arg, { timeout = 30000, polling = 100 } = {}) => page.waitForFunction(fn, { timeout, polling }, arg).then(() => undefined),
        waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        async screenshot(selector) {
          const element = await page.$(selector);
          if (!element) throw new Error(`no element ${selector}`);
          return Buffer.from(await element.screenshot());
        },
        close: () => context.close(),
      });
    },
    close: () => browser.close(),
  };
}
