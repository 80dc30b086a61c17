// The live sources' reconnection delays: 250 ms, doubling to at most 5 s,
// back to 250 ms once data flows again.

const FIRST_MS = 250;
const MAX_MS = 5000;

export class Backoff {
  constructor() {
    this.delay = FIRST_MS;
  }

  /** The delay before the next attempt; the one after is doubled. */
  next() {
    const delay = this.delay;
    this.delay = Math.min(delay * 2, MAX_MS);
    return delay;
  }

  /** Data arrived: the next loss starts from the first delay again. */
  reset() {
    this.delay = FIRST_MS;
  }
}
