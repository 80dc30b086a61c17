// A live ASP stream sends at least one packet per frame, even of a still
// picture, so a connection that has carried nothing for a few seconds is
// dead even when its transport has not noticed: a server killed outright
// sends no close, and QUIC or TCP only give up after their idle timeouts
// (15 s for asp-server's QUIC, minutes for TCP). The live sources arm this
// watch while connected and treat its firing as a lost connection.

export const SILENCE_MS = 5000;

export class SilenceWatch {
  constructor(ms = SILENCE_MS) {
    this.ms = ms;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.last = 0;
    /** @type {(() => void) | null} */
    this.onSilent = null;
  }

  /**
   * Starts watching; `onSilent()` is called once after `ms` without `heard()`.
   * @param {() => void} onSilent
   */
  arm(onSilent) {
    this.stop();
    this.onSilent = onSilent;
    this.last = Date.now();
    this.check();
  }

  /** Data arrived. (Cheap: no timer is touched per packet.) */
  heard() {
    this.last = Date.now();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onSilent = null;
  }

  check() {
    const quiet = Date.now() - this.last;
    if (quiet >= this.ms) {
      const onSilent = this.onSilent;
      this.stop();
      onSilent?.();
      return;
    }
    this.timer = setTimeout(() => this.check(), this.ms - quiet);
  }
}
