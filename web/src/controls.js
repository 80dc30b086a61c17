// The `controls` attribute's bar: play/pause, a live/connecting indicator,
// the statistics overlay toggle (the `debug` attribute) and fullscreen.
// Native <button>s, so Tab, Enter and Space work as everywhere; inside the
// bar, `k` toggles playing and `f` fullscreen (YouTube's keys). The bar
// only reads the element's public state and calls its public methods.

export const CONTROLS_STYLE = `
  [part~="controls"] { position: absolute; left: 0; right: 0; bottom: 0; display: flex; gap: 6px; align-items: center;
        padding: 4px 6px; background: linear-gradient(transparent, rgba(0, 0, 0, 0.7)); font: 13px/1 system-ui, sans-serif; color: #fff; }
  [part~="controls"][hidden] { display: none; }
  [part~="controls"] button { font: inherit; color: inherit; background: rgba(255, 255, 255, 0.15); border: 0; border-radius: 3px;
        padding: 4px 8px; cursor: pointer; }
  [part~="controls"] button:focus-visible { outline: 2px solid #8cf; }
  [part~="controls"] button[aria-pressed="true"] { background: rgba(140, 200, 255, 0.45); }
  [part~="live-indicator"] { flex: 1; }
  [part~="live-indicator"][data-state="live"]::before { content: "● "; color: #f33; }
`;

export const CONTROLS_HTML = `
<div part="controls" role="toolbar" aria-label="Player controls" hidden>
  <button type="button" part="control play-button" aria-label="Play">Play</button>
  <span part="live-indicator" role="status" aria-live="polite"></span>
  <button type="button" part="control stats-button" aria-label="Statistics" aria-pressed="false">Stats</button>
  <button type="button" part="control fullscreen-button" aria-label="Fullscreen" aria-pressed="false">Full screen</button>
</div>`;

/**
 * What the bar needs of the element (AspPlayer satisfies it).
 * @typedef {HTMLElement & {
 *   readonly paused: boolean, readonly readyState: number, readonly error: Error | null,
 *   readonly live: boolean, play(): Promise<void>, pause(): void,
 * }} ControlledPlayer
 */

/** The indicator's state and text. @param {ControlledPlayer} player */
function indicator(player) {
  if (player.error) return ['error', 'Error'];
  if (player.paused) return ['paused', player.readyState === 0 ? '' : 'Paused'];
  if (player.readyState < 4) return ['connecting', player.live || player.readyState === 0 ? 'Connecting…' : 'Waiting…'];
  return player.live ? ['live', 'Live'] : ['playing', 'Playing'];
}

export class PlayerControls {
  /** @param {ControlledPlayer} player @param {ShadowRoot} root */
  constructor(player, root) {
    this.player = player;
    this.bar = /** @type {HTMLDivElement} */ (root.querySelector('[part~="controls"]'));
    const button = (/** @type {string} */ part) => /** @type {HTMLButtonElement} */ (root.querySelector(`[part~="${part}"]`));
    this.playButton = button('play-button');
    this.statsButton = button('stats-button');
    this.fullscreenButton = button('fullscreen-button');
    this.indicator = /** @type {HTMLSpanElement} */ (root.querySelector('[part~="live-indicator"]'));
    this.playButton.addEventListener('click', () => this.togglePlay());
    this.statsButton.addEventListener('click', () => player.toggleAttribute('debug'));
    this.fullscreenButton.addEventListener('click', () => this.toggleFullscreen());
    this.bar.addEventListener('keydown', (e) => {
      if (e.key === 'k') this.togglePlay();
      else if (e.key === 'f') this.toggleFullscreen();
      else return;
      e.preventDefault();
    });
    // fullscreenchange is fired at the element that enters or leaves fullscreen.
    player.addEventListener('fullscreenchange', () => this.update());
  }

  /** Shows or hides the bar (the `controls` attribute). @param {boolean} shown */
  show(shown) {
    this.bar.hidden = !shown;
    this.update();
  }

  togglePlay() {
    if (this.player.paused) this.player.play().catch(() => {});
    else this.player.pause();
  }

  toggleFullscreen() {
    if (document.fullscreenElement === this.player) document.exitFullscreen().catch(() => {});
    else this.player.requestFullscreen().catch(() => {});
  }

  /** Redraws the bar from the element's state (after each of its events). */
  update() {
    if (this.bar.hidden) return;
    const playing = !this.player.paused;
    this.playButton.textContent = playing ? 'Pause' : 'Play';
    this.playButton.setAttribute('aria-label', playing ? 'Pause' : 'Play');
    const [state, text] = indicator(this.player);
    this.indicator.dataset.state = state;
    this.indicator.textContent = text;
    this.statsButton.setAttribute('aria-pressed', String(this.player.hasAttribute('debug')));
    this.fullscreenButton.setAttribute('aria-pressed', String(document.fullscreenElement === this.player));
  }
}
