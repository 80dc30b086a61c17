// Which rendition of a broadcast published at several bitrates
// (`asp-encode --rendition`, docs/scaling.md "Renditions") the MoQ source
// plays: the player's own choice from how each keyframe run (one group)
// arrived, the part of BitrateAdjust's logic that moves to the player once
// a relay, not the encoder, serves many viewers.
//
// A live publisher sends a group no faster than real time, so a group's
// download rate shows a shortfall, never headroom. A shortfall of the link
// shows as groups overlapping: the relay opens the next group's stream (and
// sends it first: newest first) while the last one is still arriving. So a
// group that takes longer to arrive than it lasts while the next one has
// started (a publisher slower than real time spreads its groups out too,
// but they never overlap: not the link's fault, and no reason to move), a
// newer group waiting for more than half a group (a growing backlog), a
// group the relay cut short (too far behind the newest) or a stall moves
// one rendition down at once. Headroom is found by
// trying: after UP_AFTER healthy groups in a row the source tries the next
// rendition up; a try that fails within PROBE_GROUPS groups doubles the
// healthy run the next try waits for (hysteresis), a try that holds resets it.

/** @typedef {{ track: string, bitrate: number, width: number, height: number }} Rendition */

/** A group that took this much longer than its media time to arrive is slow... */
const SLOW_RATIO = 1.25;
/** ...when a newer group had been waiting for this share of its media time (more than a boundary's overlap). */
const OVERLAP_SHARE = 0.1;
/** A newer group waiting for this share of a group's media time is a backlog. */
const BACKLOG_SHARE = 0.5;
/** Healthy groups in a row before trying the next rendition up. */
const UP_AFTER = 3;
/** Groups after a move up within which a move down counts as a failed try. */
const PROBE_GROUPS = 2;
/** The longest healthy run a try up waits for, in groups. */
const MAX_UP_AFTER = 48;

export class RenditionChooser {
  /**
   * @param {Rendition[]} renditions highest first, as the catalog lists them
   * @param {{ pin?: string | null, maxBitrate?: number | null }} policy
   *   pin: play this rendition only (its track, or its bitrate as the flag
   *   spells it: `600k`, `2M`); maxBitrate: never above this (bits/s).
   */
  constructor(renditions, policy = {}) {
    this.renditions = renditions;
    /** @type {{ pin: string | null, maxBitrate: number | null }} */
    this.policy = { pin: null, maxBitrate: null };
    this.index = 0;
    this.reason = 'start';
    this.healthy = 0;
    this.upAfter = UP_AFTER;
    /** Groups since the last move up (a probe), or -1 when none is being tried. */
    this.sinceUp = -1;
    this.setPolicy(policy);
    this.index = this.allowed()[0] ?? 0;
  }

  /** @param {{ pin?: string | null, maxBitrate?: number | null }} policy */
  setPolicy(policy) {
    this.policy = { pin: policy.pin || null, maxBitrate: policy.maxBitrate || null };
  }

  /**
   * The indices the policy allows, highest first: the pinned one, or those
   * under the cap (the lowest one if none is).
   */
  allowed() {
    const all = this.renditions.map((_, i) => i);
    const { pin, maxBitrate } = this.policy;
    if (pin) {
      const i = this.renditions.findIndex((r) => r.track === pin || spell(r.bitrate) === pin.toLowerCase());
      if (i >= 0) return [i];
    }
    if (maxBitrate) {
      const under = all.filter((i) => this.renditions[i].bitrate <= maxBitrate);
      return under.length ? under : all.slice(-1);
    }
    return all;
  }

  /** The rendition being played. */
  current() {
    return this.renditions[this.index];
  }

  /**
   * The rendition to play after a policy change: the same one if allowed,
   * else the highest allowed.
   * @returns {boolean} whether it changed
   */
  applyPolicy() {
    const allowed = this.allowed();
    if (allowed.includes(this.index)) return false;
    this.index = allowed[0];
    this.reason = this.policy.pin ? `pinned to ${this.current().track}` : `capped at ${this.policy.maxBitrate} bit/s`;
    this.healthy = 0;
    this.sinceUp = -1;
    return true;
  }

  /**
   * One group handed over whole: its bytes, how long it took to arrive
   * (first object to last), how long it lasts, and how long a newer group
   * had been waiting when it finished (0: none was). Returns whether the
   * choice changed.
   * @param {{ bytes: number, arrivalMs: number, mediaMs: number, waitingMs: number }} group
   */
  groupDone(group) {
    const rate = group.arrivalMs > 0 ? (group.bytes * 8000) / group.arrivalMs : Infinity;
    const overlapped = group.waitingMs > group.mediaMs * OVERLAP_SHARE;
    const slow = overlapped && group.mediaMs > 0 && group.arrivalMs > group.mediaMs * SLOW_RATIO;
    const backlog = group.mediaMs > 0 && group.waitingMs > group.mediaMs * BACKLOG_SHARE;
    if (slow || backlog) {
      const why = backlog
        ? `a newer group was waiting for ${Math.round(group.waitingMs)} ms (backlog)`
        : `a group arrived at ${Math.round(rate / 1000)} kbit/s in ${Math.round(group.arrivalMs)} ms for ${Math.round(group.mediaMs)} ms of video`;
      return this.down(why);
    }
    this.healthy += 1;
    if (this.sinceUp >= 0 && ++this.sinceUp >= PROBE_GROUPS) {
      this.sinceUp = -1;
      this.upAfter = UP_AFTER;
    }
    const allowed = this.allowed();
    const higher = allowed.filter((i) => i < this.index);
    if (this.healthy >= this.upAfter && higher.length) {
      this.index = higher[higher.length - 1];
      this.reason = `${this.healthy} groups arrived in time: trying ${this.current().track}`;
      this.healthy = 0;
      this.sinceUp = 0;
      return true;
    }
    return false;
  }

  /**
   * A stall (no object for a while, a group cut short): one rendition down.
   * @param {string} why
   */
  down(why) {
    this.healthy = 0;
    if (this.sinceUp >= 0) this.upAfter = Math.min(this.upAfter * 2, MAX_UP_AFTER);
    this.sinceUp = -1;
    const lower = this.allowed().filter((i) => i > this.index);
    if (!lower.length) return false;
    this.index = lower[0];
    this.reason = `down to ${this.current().track}: ${why}`;
    return true;
  }
}

/**
 * A bitrate as `asp-encode --rendition` spells it (asp_moq::rendition_track):
 * `2m`, `600k`, or bits per second.
 * @param {number} bits
 */
function spell(bits) {
  if (bits % 1_000_000 === 0) return `${bits / 1_000_000}m`;
  if (bits % 1000 === 0) return `${bits / 1000}k`;
  return String(bits);
}
