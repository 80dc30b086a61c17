// The player's errors, as hls.js shapes them: a `type` saying which part
// failed, a `code` naming the failure (stable, for programs), a `message`
// (for people) and `fatal` (the player cannot go on without a new play()).
// The worker sends {type, code, message, fatal}; the page makes an
// AspPlayerError of it, which is the `error` event's detail, the rejection
// of play() and, when fatal, the element's `error` property.

/**
 * @typedef {import('../types/index.js').AspPlayerErrorType} AspPlayerErrorType
 * @typedef {import('../types/index.js').AspPlayerErrorCode} AspPlayerErrorCode
 */

/** Which type each code is (the worker sends both; the table keeps them consistent). */
/** @type {Readonly<Record<AspPlayerErrorCode, AspPlayerErrorType>>} */
export const ERROR_TYPES = Object.freeze({
  // network: the source could not be reached, or went away.
  'source-failed': 'network',
  'connection-lost': 'network',
  // decode: the stream's bytes did not decode (the player resumes at the next keyframe).
  'corrupt-stream': 'decode',
  // renderer: nothing can draw on this canvas, or a draw or read-back failed.
  'no-renderer': 'renderer',
  'draw-failed': 'renderer',
  'snapshot-failed': 'renderer',
  // unsupported: this page or browser cannot play (src scheme, wasm SIMD, workers, decoder files).
  'unsupported-src': 'unsupported',
  'no-wasm-simd': 'unsupported',
  'no-threads': 'unsupported',
  'decoder-load-failed': 'unsupported',
  'worker-failed': 'unsupported',
});

export class AspPlayerError extends Error {
  /**
   * @param {AspPlayerErrorCode} code
   * @param {string} message
   * @param {boolean} fatal
   */
  constructor(code, message, fatal) {
    super(message);
    this.name = 'AspPlayerError';
    /** @type {AspPlayerErrorCode} */
    this.code = code;
    /** @type {AspPlayerErrorType} */
    this.type = ERROR_TYPES[code] ?? 'decode';
    this.fatal = fatal;
  }

  /** The plain-object form that crosses postMessage. */
  toJSON() {
    return { type: this.type, code: this.code, message: this.message, fatal: this.fatal };
  }
}

/**
 * A failure inside the player with its code, thrown by the steps that know
 * what went wrong and reported by the command loop as it was classified.
 */
export class PlayerFailure extends Error {
  /** @param {AspPlayerErrorCode} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
