// Opens one probe page in headless Chromium and reports the percentiles of
// capture-to-canvas latency (ms) over the measurement window.
// usage: node run.mjs URL SECONDS LABEL
import { chromium } from 'playwright-core';

const [url, seconds = '60', label = url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--autoplay-policy=no-user-gesture-required'],
});
const page = await browser.newPage();
page.on('pageerror', (e) => console.error(`${label}: page error: ${e.message}`));
await page.goto(url);
await page.waitForFunction(() => window.connected === true, null, { timeout: 20000 });
// Warm-up (first keyframe, JIT), then a clean window.
await page.waitForTimeout(3000);
await page.evaluate(() => { window.latencies.length = 0; });
await page.waitForTimeout(Number(seconds) * 1000);
const lat = await page.evaluate(() => window.latencies.slice());
const errors = await page.evaluate(() => (window.errors || []).slice(0, 3));
await browser.close();
lat.sort((a, b) => a - b);
const pct = (p) => lat.length ? lat[Math.min(lat.length - 1, Math.round((lat.length - 1) * p))].toFixed(1) : 'n/a';
const fps = (lat.length / Number(seconds)).toFixed(1);
console.log(`${label}: ${lat.length} frames (${fps} fps) p50 ${pct(0.5)} p95 ${pct(0.95)} p99 ${pct(0.99)} max ${pct(1)} ms` +
  (errors.length ? `; decoder errors: ${errors.join(' | ')}` : ''));
