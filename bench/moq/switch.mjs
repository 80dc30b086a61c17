// One run of bench/moq/switch.sh: headless Chromium plays a broadcast with
// renditions through asp-moq-load's throttle (its automatic choice), for
// SECONDS; then the run is read from the player's events (`frame` with its
// sequence, `renditionchange`, `stats`), the throttle's log (the schedule's
// start and rate changes, bytes passed and dropped) and the publisher's
// /asp/stats (its last sequence, polled: the frames published).
//
//   node bench/moq/switch.mjs SRC STATS_URL THROTTLE_LOG SECONDS LABEL OUT_JSON
//
// Prints the run's rows (markdown) on stdout and writes everything to
// OUT_JSON. Reads: a frame is lost when its sequence never shows (a gap in
// the sequences shown); a stall is a gap of more than STALL_MS between two
// frames shown; a switch is a `renditionchange` `playing` after the first,
// with the `chosen` one before it (the decision) and the throttle's rate
// change before that (what it reacted to).
import fs from 'node:fs';
import { launch, startServer, openPage } from '../../tests/browser/harness.mjs';

/** A gap between two frames shown longer than this (6 frame times at 30 fps) is a stall. */
const STALL_MS = 200;
/** How often the publisher's last sequence is read. */
const POLL_MS = 250;

const [src, statsUrl, throttleLog, seconds, label, outJson] = process.argv.slice(2);
if (!outJson) {
  console.error('usage: node bench/moq/switch.mjs SRC STATS_URL THROTTLE_LOG SECONDS LABEL OUT_JSON');
  process.exit(2);
}

/** The publisher's last sequence over time: [epoch ms, sequence]. */
const published = [];
let polling = true;
const poll = (async () => {
  while (polling) {
    try {
      const stats = await (await fetch(statsUrl)).json();
      if (Number.isInteger(stats.last_sequence)) published.push([Date.now(), stats.last_sequence]);
    } catch {
      // The publisher is busy or starting: the next poll.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
})();

const server = await startServer();
const browser = await launch({ webgpu: false });
const page = await openPage(browser, server);
await page.evaluate((a) => window.makePlayer({ ...a, autoplay: '', checksums: '' }), { src });
await page.waitForTimeout(Number(seconds) * 1000);
const origin = await page.evaluate(() => performance.timeOrigin);
const events = (await page.evaluate(() => window.player.events)).map((e) => ({ ...e, t: origin + e.t }));
const pageErrors = page.pageErrors.slice();
await page.close();
await browser.close();
await server.close();
polling = false;
await poll;

const log = fs.readFileSync(throttleLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
const start = log.find((l) => l.event === 'start');
if (!start) throw new Error(`${throttleLog}: no start (the player never reached the throttle)`);
const end = events.at(-1)?.t ?? start.t_ms;
/** The throttle's steps: [from, to) epoch ms and the rate (null: unlimited). */
const changes = [{ t_ms: start.t_ms, rate_bps: start.rate_bps }, ...log.filter((l) => l.event === 'rate')];
const steps = changes.map((c, i) => ({ from: c.t_ms, to: changes[i + 1]?.t_ms ?? end, rate: c.rate_bps }));
const counts = log.filter((l) => l.event === 'counts');

const frames = events.filter((e) => e.type === 'frame').map((e) => ({ t: e.t, sequence: e.detail.sequence, keyframe: e.detail.keyframe }));
const renditionEvents = events.filter((e) => e.type === 'renditionchange').map((e) => ({ t: e.t, ...e.detail }));
const errors = events.filter((e) => e.type === 'error').map((e) => e.detail);
/** Per frame shown: the rendition it belongs to (the last `playing` before it in event order). */
let playing = null;
const shown = [];
for (const e of events) {
  if (e.type === 'renditionchange' && e.detail.state === 'playing') playing = e.detail.track;
  if (e.type === 'frame') shown.push({ t: e.t, sequence: e.detail.sequence, track: playing });
}
/** Gaps between consecutive frames shown: frames lost (sequences skipped) and display gaps. */
const gaps = shown.slice(1).map((f, i) => ({ t: shown[i].t, lost: Math.max(0, f.sequence - shown[i].sequence - 1), ms: f.t - shown[i].t }));

/** The publisher's sequence at epoch ms `t` (the last poll at or before it). */
function publishedAt(t) {
  let sequence = null;
  for (const [at, s] of published) if (at <= t) sequence = s;
  return sequence;
}
const s = (ms) => ((ms - start.t_ms) / 1000).toFixed(1);
const rate = (bps) => (bps == null ? 'unlimited' : bps >= 1e6 ? `${bps / 1e6} Mbit/s` : `${bps / 1e3} kbit/s`);

const stepRows = steps.map((step) => {
  const inStep = (t) => t >= step.from && t < step.to;
  const decoded = shown.filter((f) => inStep(f.t));
  const lost = gaps.filter((g) => inStep(g.t)).reduce((n, g) => n + g.lost, 0);
  const stalls = gaps.filter((g) => inStep(g.t) && g.ms > STALL_MS);
  const from = publishedAt(step.from);
  const to = publishedAt(step.to);
  const passed = counts.filter((c) => inStep(c.t_ms)).reduce((n, c) => n + c.passed_bytes, 0);
  const dropped = counts.filter((c) => inStep(c.t_ms)).reduce((n, c) => n + c.dropped, 0);
  const seconds = (step.to - step.from) / 1000;
  const tracks = {};
  for (const f of decoded) tracks[f.track] = (tracks[f.track] ?? 0) + 1;
  return {
    from: s(step.from), to: s(step.to), rate: step.rate,
    published: from != null && to != null ? to - from : null,
    decoded: decoded.length, lost,
    stalls: stalls.length, stallMs: Math.round(stalls.reduce((n, g) => n + g.ms, 0)),
    relayToPlayerKbps: seconds > 0 ? Math.round((passed * 8) / seconds / 1000) : 0,
    droppedDatagrams: dropped,
    tracks,
  };
});

const switches = [];
const playingEvents = renditionEvents.filter((e) => e.state === 'playing');
for (const [i, e] of playingEvents.entries()) {
  if (i === 0) continue;
  const chosen = renditionEvents.filter((c) => c.state === 'chosen' && c.track === e.track && c.t <= e.t).at(-1);
  const decidedAt = chosen?.t ?? e.t;
  const change = changes.filter((c) => c.t_ms <= decidedAt).at(-1);
  const before = shown.filter((f) => f.t < e.t).at(-1);
  const after = shown.find((f) => f.t >= e.t);
  // What the reaction cost: frames lost from the rate change to the switch.
  const lostSinceChange = gaps.filter((g) => g.t >= change.t_ms && g.t < e.t).reduce((n, g) => n + g.lost, 0);
  switches.push({
    at: s(e.t), from: playingEvents[i - 1].track, to: e.track, reason: e.reason,
    decidedAfterChangeMs: Math.round(decidedAt - change.t_ms), changeRate: change.rate_bps,
    playingAfterDecisionMs: Math.round(e.t - decidedAt),
    lostAtSwitch: before && after ? Math.max(0, after.sequence - before.sequence - 1) : null,
    gapAtSwitchMs: before && after ? Math.round(after.t - before.t) : null,
    lostSinceChange,
  });
}

const totalLost = gaps.reduce((n, g) => n + g.lost, 0);
const stalls = gaps.filter((g) => g.ms > STALL_MS);
const result = {
  label, src, start: start.t_ms, steps: stepRows, switches,
  totals: {
    shown: shown.length, lost: totalLost, stalls: stalls.length, stallMs: Math.round(stalls.reduce((n, g) => n + g.ms, 0)),
    longestStallMs: Math.round(Math.max(0, ...stalls.map((g) => g.ms))),
    switches: switches.length, firstSequence: shown[0]?.sequence ?? null, lastSequence: shown.at(-1)?.sequence ?? null,
  },
  renditionEvents: renditionEvents.map((e) => ({ ...e, t: s(e.t) })),
  errors, pageErrors,
};
fs.writeFileSync(outJson, `${JSON.stringify(result, null, 1)}\n`);

const lines = [`### ${label}`, ''];
lines.push('| throttle (s) | relay → player | passed kbit/s | datagrams dropped | frames published | frames shown | lost | stalls (total ms) | frames by rendition |');
lines.push('|---|---|---|---|---|---|---|---|---|');
for (const r of stepRows) {
  const tracks = Object.entries(r.tracks).map(([t, n]) => `${t} ${n}`).join(', ') || '-';
  lines.push(`| ${r.from}–${r.to} | ${rate(r.rate)} | ${r.relayToPlayerKbps} | ${r.droppedDatagrams} | ${r.published ?? '?'} | ${r.decoded} | ${r.lost} | ${r.stalls} (${r.stallMs}) | ${tracks} |`);
}
lines.push('');
if (switches.length) {
  lines.push('| switch at (s) | from → to | decided after the rate change (ms) | playing after the decision (ms) | frames lost at the switch | gap shown (ms) | lost from the rate change to the switch | reason |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const w of switches) {
    lines.push(`| ${w.at} | ${w.from} → ${w.to} | ${w.decidedAfterChangeMs} (after → ${rate(w.changeRate)}) | ${w.playingAfterDecisionMs} | ${w.lostAtSwitch} | ${w.gapAtSwitchMs} | ${w.lostSinceChange} | ${w.reason} |`);
  }
} else {
  lines.push('No switch.');
}
const t = result.totals;
lines.push('', `Totals: ${t.shown} frames shown (sequences ${t.firstSequence}–${t.lastSequence}), ${t.lost} lost, ${t.stalls} stalls over ${STALL_MS} ms (${t.stallMs} ms in all, longest ${t.longestStallMs} ms), ${t.switches} switches; ${errors.length} player errors${errors.length ? ` (${errors.map((e) => e.code).join(', ')})` : ''}, ${pageErrors.length} page errors.`, '');
console.log(lines.join('\n'));
