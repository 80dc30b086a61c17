// Shared by the browser tests: the browsers (./drivers: Chromium, Firefox,
// WebKitGTK behind one shape), the COOP/COEP server, native reference data.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { launchBrowser, browserNames, drivers } from './drivers/index.mjs';
import { serve } from '../../tools/web/serve.mjs';
import { root } from '../wasm/common.mjs';

export { root, browserNames };
export { y4mChecksums } from '../wasm/common.mjs';

/** Where run.sh put the streams and their native decodes. */
export const work = path.resolve(process.env.ASP_BROWSER_WORK || path.join(root, 'build/browser-test'));
/** The same path as the server sees it. */
export const served = (file) => `/${path.relative(root, file)}`;

/**
 * A browser: `browser` names the engine (default Chromium); Chromium with
 * (webgpu: true) or without a WebGPU adapter, WebGL2 either way. Other
 * options go to the driver (firefox: prefs, webkit: env).
 */
export function launch({ browser = 'chromium', ...options } = {}) {
  return launchBrowser(browser, options);
}

export async function startServer() {
  return serve({ root, port: 0 });
}

/** A page of `server` (prefix '/plain' for one that is not isolated), ready. */
export async function openPage(browser, server, { prefix = '', pkg } = {}) {
  const page = await browser.newPage();
  const query = pkg ? `?pkg=${encodeURIComponent(pkg)}` : '';
  await page.goto(`${server.url}${prefix}/tests/browser/page.html${query}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  // Where the suites do not start the threaded build (drivers/firefox.mjs),
  // players made without a threads attribute play the single build.
  if (browser.features?.threads && drivers[browser.name]?.testThreads === false) {
    await page.evaluate(() => { window.defaultThreads = 'off'; });
  }
  return page;
}

/** Waits until the player has an event of `type` (or fails after `timeout` ms). */
export async function waitForEvent(page, type, timeout = 60000) {
  try {
    await page.waitForFunction((t) => window.player.events.some((e) => e.type === t), type, { timeout, polling: 100 });
  } catch (error) {
    // Say what the player did instead.
    const seen = await page.evaluate(() => ({ events: window.player.events.map((e) => e.type), stats: window.player.stats, uncaught: window.uncaught }))
      .catch((e) => `(page unreadable: ${e})`);
    throw new Error(`no '${type}' event within ${timeout} ms: ${error?.message ?? error}; the player: ${JSON.stringify(seen)}; console: ${JSON.stringify(page.consoleLines)}`);
  }
}

export const events = (page, type) => page.evaluate((t) => window.player.events.filter((e) => e.type === t).map((e) => e.detail), type);

/**
 * `asp-encode --serve 127.0.0.1:PORT ...args` (the build in ASP_BIN_DIR,
 * set by run.sh), once its /asp/session answers: the process, the server's
 * http:// base and its session description. `port` defaults to a random
 * one in 20000..40000. The caller kills `child`.
 * @param {string[]} args
 * @param {{ port?: number }} [options]
 */
export async function startLiveServer(args, { port = 20000 + Math.floor(Math.random() * 20000) } = {}) {
  const bin = process.env.ASP_BIN_DIR;
  if (!bin) throw new Error('ASP_BIN_DIR (set by run.sh) is not set');
  const child = spawn(path.join(bin, 'asp-encode'), ['--serve', `127.0.0.1:${port}`, ...args], { cwd: root, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const session = await fetch(`${base}/asp/session`).then((r) => (r.ok ? r.json() : null)).catch(() => null);
    if (session) return { child, base, session };
    if (i > 100) {
      child.kill('SIGKILL');
      throw new Error('asp-encode --serve did not come up');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
