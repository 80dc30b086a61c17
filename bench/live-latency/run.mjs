// Opens one probe page in headless Chromium and reports the percentiles of
// capture-to-canvas latency (ms) over the measurement window.
// usage: node run.mjs URL SECONDS LABEL
import { chromium } from '../../tools/web/node_modules/playwright-core/index.mjs';

const [url, seconds = '60', label = url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--autoplay-policy=no-user-gesture-required'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
page.on('pageerror', (e) => console.error(`${label}: page error: ${e.message}`));
await page.goto(url);
await page.waitForFunction(() => window.connected === true, null, { timeout: 20000 });
// Warm-up (first keyframe, JIT), then a clean window.
await page.waitForTimeout(3000);
await page.evaluate(() => { window.latencies.length = 0; if (window.stages) window.stages.length = 0; });
await page.waitForTimeout(Number(seconds) * 1000);
const lat = await page.evaluate(() => window.latencies.slice());
const errors = await page.evaluate(() => (window.errors || []).slice(0, 3));
const info = await page.evaluate(() => window.info || '');
// Pages that report stages (capture -> received, decoded, draw issued): medians.
const stages = await page.evaluate(() => (window.stages || []).slice());
// asp-server's own view: capture -> publish (the encode) over its last 300 frames.
const server = await page.evaluate(() => fetch('/asp/stats').then((r) => (r.ok ? r.json() : null)).catch(() => null));
const encode = server?.capture_to_publish_us;
await browser.close();
const median = (i) => { const v = stages.map((s) => s[i]).sort((a, b) => a - b); return v[v.length >> 1].toFixed(1); };
const breakdown = (stages.length ? `; median ms since capture: received ${median(0)}, decoded ${median(1)}, draw issued ${median(2)}` : '')
  + (encode?.frames ? `; server capture->publish p50 ${(encode.p50 / 1000).toFixed(1)} p95 ${(encode.p95 / 1000).toFixed(1)} ms` : '');
lat.sort((a, b) => a - b);
const pct = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.round((lat.length - 1) * p))].toFixed(1) : 'n/a';
const fps = (lat.length / Number(seconds)).toFixed(1);
console.log(`${label}: ${lat.length} frames (${fps} fps) p50 ${pct(0.5)} p95 ${pct(0.95)} p99 ${pct(0.99)} max ${pct(1)} ms` +
  (info ? ` [${info}]` : '') + breakdown + (errors.length ? `; errors: ${errors.join(' | ')}` : ''));
