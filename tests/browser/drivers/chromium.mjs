// Debian's Chromium through playwright-core, behind the driver shape of
// ./index.mjs. WebGPU needs the SwiftShader flags; WebGL2 is there either way.
import { chromium } from '../../../tools/web/node_modules/playwright-core/index.mjs';
import { eventedPage } from './index.mjs';

const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader',
];

/** What headless Chromium offers here (README's browser table; checked by engines.test.mjs). */
export const features = { threads: true, webgl2: { worker: true, page: true }, webgpu: 'with flags', webTransport: true, simd: true, offscreenCanvas: true, softwareGpu: true, screenshots: true };

/** Whether the suites start the threaded build here (see firefox.mjs). */
export const testThreads = true;

/** @param {{ webgpu?: boolean, args?: string[] }} options args: more command-line flags */
export async function launch({ webgpu = false, args = [] } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [...(webgpu ? WEBGPU_FLAGS : ['--use-angle=swiftshader']), ...args],
  });
  return {
    name: 'chromium',
    features,
    async newPage() {
      // A context per page: no state shared between tests.
      const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      return eventedPage(page, {
        waitForFunction: (fn, arg, { timeout = 30000, polling = 100 } = {}) => page.waitForFunction(fn, arg, { timeout, polling }).then(() => undefined),
        waitForTimeout: (ms) => page.waitForTimeout(ms),
        screenshot: (selector) => page.locator(selector).screenshot(),
        close: () => context.close(),
      });
    },
    close: () => browser.close(),
  };
}
