// One shape for every browser the tests drive, so the same test bodies run
// in Chromium, Firefox and WebKitGTK:
//
//   const browser = await launchBrowser('firefox', options);
//   browser.name, browser.features       what the engine offers here: threads,
//                                        webgl2 { worker (OffscreenCanvas), page },
//                                        webgpu, webTransport, simd, offscreenCanvas,
//                                        screenshots (whether page.screenshot shows the page)
//   const page = await browser.newPage();
//   await page.goto(url);
//   await page.evaluate(fn, arg);        fn runs in the page; its promise is awaited
//   await page.waitForFunction(fn, arg, { timeout, polling });
//   await page.waitForTimeout(ms);
//   await page.screenshot(selector);     PNG bytes of one element
//   page.consoleLines, page.pageErrors   (empty for WebKit: WebDriver classic has no events)
//   page.raw                             the driver's own page object, for what only one browser has
//   await page.close(); await browser.close();
//
// Options each launcher understands: chromium { webgpu }, firefox { prefs },
// webkit { env }; the others ignore them. A driver that can launch its
// engine without wasm SIMD exports `withoutSimd`, those launch options
// (only WebKit: neither V8 nor Firefox 153 has a switch for it).
import * as chromium from './chromium.mjs';
import * as firefox from './firefox.mjs';
import * as webkit from './webkit.mjs';

export const drivers = { chromium, firefox, webkit };

/** The browsers to test: $BROWSERS (comma-separated), default all three. */
export const browserNames = (process.env.BROWSERS || 'chromium,firefox,webkit')
  .split(',').map((name) => name.trim()).filter(Boolean);
for (const name of browserNames) {
  if (!drivers[name]) throw new Error(`BROWSERS: unknown browser ${name} (known: ${Object.keys(drivers).join(', ')})`);
}

/** Launches browser `name` with driver-specific options. */
export function launchBrowser(name, options = {}) {
  return drivers[name].launch(options);
}
