// WebKitGTK (Debian's webkit2gtk-driver: WebKitWebDriver and MiniBrowser)
// over W3C WebDriver (selenium-webdriver), behind the driver shape of
// ./index.mjs. WebKitGTK needs a display: without $DISPLAY a private Xvfb
// is started for the session and stopped with it.
import { spawn } from 'node:child_process';
import net from 'node:net';
import webdriver from '../../../tools/web/node_modules/selenium-webdriver/index.js';

const { Builder, By } = webdriver;

const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/**
 * What WebKitGTK offers here. A COOP/COEP page is crossOriginIsolated but
 * has no SharedArrayBuffer, so the player takes the single build; no
 * WebTransport, no WebGPU; WebGL2 (Mesa's llvmpipe) on a page's canvas but
 * not on an OffscreenCanvas, so the player's worker draws with Canvas2D.
 * Element screenshots come back all black (even plain CSS boxes) on Xvfb
 * without GL, so pixel tests read the canvas back instead.
 */
export const features = { threads: false, webgl2: { worker: false, page: true }, webgpu: false, webTransport: false, simd: true, offscreenCanvas: true, screenshots: false };

/** Whether the suites start the threaded build here (see firefox.mjs). */
export const testThreads = false;

/** Launch options of an engine without wasm SIMD (JavaScriptCore's option). */
export const withoutSimd = { env: { JSC_useWasmSIMD: 'false' } };

/** Starts Xvfb on a free display; resolves to { display, stop() }. */
function startXvfb() {
  return new Promise((resolve, reject) => {
    // -displayfd: Xvfb picks a free display and writes its number to fd 3.
    const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let text = '';
    let log = '';
    xvfb.stderr.on('data', (chunk) => { log += chunk; });
    xvfb.stdio[3].on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) resolve({ display: `:${text.trim()}`, stop: () => xvfb.kill() });
    });
    xvfb.on('error', reject);
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${log}`)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

async function waitForDriver(url, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode})`);
    if (await fetch(`${url}/status`).then((r) => r.ok).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('WebKitWebDriver did not answer');
}

/** @param {{ env?: Record<string, string> }} options  env: extra environment of the browser (e.g. JSC_ options) */
export async function launch({ env = {} } = {}) {
  const xvfb = process.env.DISPLAY ? null : await startXvfb();
  const port = await freePort();
  const driverEnv = { ...process.env, ...env, ...(xvfb ? { DISPLAY: xvfb.display } : {}) };
  const child = spawn(process.env.WEBKIT_WEBDRIVER || 'WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'],
    { stdio: 'ignore', env: driverEnv });
  const url = `http://127.0.0.1:${port}`;
  let driver;
  try {
    await waitForDriver(url, child);
    driver = await new Builder().usingServer(url).withCapabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: process.env.MINIBROWSER || MINIBROWSER, args: ['--automation'] },
    }).build();
    await driver.manage().setTimeouts({ script: 120000, pageLoad: 60000 });
    await driver.manage().window().setRect({ width: 800, height: 600 });
  } catch (error) {
    child.kill();
    xvfb?.stop();
    throw error;
  }
  // A test process that dies without close() leaves no driver or display.
  const reap = () => { child.kill(); xvfb?.stop(); };
  process.once('exit', reap);
  // One window per session: WebDriver classic has no cheap isolated
  // context, so pages take turns: a new page (or closing one) leaves the
  // last for about:blank, which ends its players and workers.
  return {
    name: 'webkit',
    features,
    async newPage() {
      await driver.get('about:blank');
      /** `fn` called with `arg` in the page; promises are awaited by WebDriver. */
      const evaluate = (fn, arg) => driver.executeScript(`return (${fn}).call(null, arguments[0]);`, arg ?? null);
      return {
        raw: driver,
        // WebDriver classic does not report console lines or page errors;
        // tests/browser/page.html records uncaught errors itself.
        consoleLines: [],
        pageErrors: [],
        goto: (to) => driver.get(to),
        evaluate,
        async waitForFunction(fn, arg, { timeout = 30000, polling = 100 } = {}) {
          const until = Date.now() + timeout;
          for (;;) {
            if (await evaluate(fn, arg)) return;
            if (Date.now() > until) throw new Error(`waitForFunction timed out after ${timeout} ms: ${fn}`);
            await new Promise((resolve) => setTimeout(resolve, polling));
          }
        },
        waitForTimeout: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        async screenshot(selector) {
          return Buffer.from(await driver.findElement(By.css(selector)).takeScreenshot(), 'base64');
        },
        close: () => driver.get('about:blank'),
      };
    },
    async close() {
      await driver.quit().catch(() => {});
      process.removeListener('exit', reap);
      reap();
    },
  };
}
