// Shared by the tests of <asp-player>'s media-element surface (element,
// picture and lifecycle tests): a player whose every media event is
// recorded with the state the element had when it fired.

/** The events a media element fires, plus the player's own `frame`. */
export const MEDIA_EVENTS = [
  'loadstart', 'loadedmetadata', 'loadeddata', 'resize', 'play', 'playing', 'waiting', 'stalled', 'pause', 'emptied',
  'volumechange', 'ended', 'error', 'frame',
];

/**
 * Makes <asp-player> with `attrs` on `page` (window.player), recording
 * each event in `window.player.events` as {type, detail, readyState,
 * paused, width, height, t}. Not connected when `append` is false.
 */
export function makeMediaPlayer(page, attrs, { width = 320, height = 240, append = true } = {}) {
  return page.evaluate(({ attrs, types, width, height, append }) => {
    const el = document.createElement('asp-player');
    el.style.width = `${width}px`;
    el.style.height = `${height}px`;
    el.events = [];
    for (const type of types) {
      el.addEventListener(type, (e) => el.events.push({
        type, detail: e.detail ?? null, readyState: el.readyState, paused: el.paused,
        width: el.videoWidth, height: el.videoHeight, t: performance.now(),
      }));
    }
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (append) document.body.append(el);
    window.player = el;
  }, { attrs, types: MEDIA_EVENTS, width, height, append });
}

/** The recorded event types, without `frame` (many) unless asked for. */
export const eventTypes = (page, { frames = false } = {}) => page.evaluate(
  (frames) => window.player.events.filter((e) => frames || e.type !== 'frame').map((e) => e.type),
  frames,
);

/** Waits until `window.player` has recorded `count` events of `type`. */
export async function waitForCount(page, type, count = 1, timeout = 60000) {
  await page.waitForFunction(([t, n]) => window.player.events.filter((e) => e.type === t).length >= n, [type, count],
    { timeout, polling: 50 });
}

/** Calls play() in the page and says how it settled: {ok, state at that moment} or {error fields}. */
export function playAndSettle(page) {
  return page.evaluate(() => window.player.play().then(
    () => ({
      ok: true,
      readyState: window.player.readyState,
      width: window.player.videoWidth,
      frames: window.player.events.filter((e) => e.type === 'frame').length,
      playing: window.player.events.filter((e) => e.type === 'playing').length,
    }),
    (e) => ({ ok: false, name: e.name, type: e.type, code: e.code, fatal: e.fatal, message: e.message, isError: e instanceof Error }),
  ));
}
