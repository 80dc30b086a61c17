// Shared by the Chromium tests: Debian's Chromium through playwright-core
// (tools/web/node_modules), the COOP/COEP server, native reference data.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { chromium } from '../../tools/web/node_modules/playwright-core/index.mjs';
import { serve } from '../../tools/web/serve.mjs';
import { root } from '../wasm/common.mjs';

export { root };
export { y4mChecksums } from '../wasm/common.mjs';

/** Where run.sh put the streams and their native decodes. */
export const work = path.resolve(process.env.ASP_BROWSER_WORK || path.join(root, 'build/browser-test'));
/** The same path as the server sees it. */
export const served = (file) => `/${path.relative(root, file)}`;

const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader',
];

/** Chromium with (webgpu: true) or without a WebGPU adapter; WebGL2 either way. */
export function launch({ webgpu }) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: webgpu ? WEBGPU_FLAGS : ['--use-angle=swiftshader'],
  });
}

export async function startServer() {
  return serve({ root, port: 0 });
}

/** A page of `server` (prefix '/plain' for one that is not isolated), ready. */
export async function openPage(browser, server, { prefix = '', pkg } = {}) {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.consoleLines = [];
  page.pageErrors = [];
  page.on('console', (m) => page.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.pageErrors.push(String(e)));
  const query = pkg ? `?pkg=${encodeURIComponent(pkg)}` : '';
  await page.goto(`${server.url}${prefix}/tests/browser/page.html${query}`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  return page;
}

/** Waits until the player has an event of `type` (or fails after `timeout` ms). */
export async function waitForEvent(page, type, timeout = 60000) {
  await page.waitForFunction((t) => window.player.events.some((e) => e.type === t), type, { timeout, polling: 100 });
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
