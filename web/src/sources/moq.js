// Media over QUIC source: `moq+https://relay:port/NAME` subscribes to track
// `video` of broadcast NAME on a moq-relay (or any relay of a cluster) over
// WebTransport, speaking moq-lite (moq-wire.js). Each group is a keyframe
// run and each object one ASP packet (crates/asp-moq publishes them so), so
// the packets go to the reader exactly as a file would give them.
//
// The source first waits for the relay to announce the broadcast (a player
// may come before the publisher), then subscribes; the relay serves a new
// subscription from its newest group, so a joiner starts at a keyframe. Groups arrive on their own streams and may overlap
// (the tail of one run still in flight when the next starts); they are
// handed over whole and in order, and a group older than one already handed
// over is dropped. A lost relay, a dropped subscription or a silent session
// is redialled with backoff and subscribed again at the newest group.
// Viewer feedback has no path through a relay: `send` declines.

import { Backoff } from './backoff.js';
import { SilenceWatch } from './silence.js';
import { certificateHash } from './webtransport.js';
import {
  MOQ_LITE_PROTOCOL,
  StreamReader,
  WireError,
  encodeAnnounceRequest,
  encodeSubscribe,
  readAnnounce,
  readFrame,
  readGroupHeader,
  readSubscribeReply,
} from './moq-wire.js';

/** @typedef {import('../../types/index.js').SourceHandlers} SourceHandlers */

/** The track of the ASP packets (asp_moq::VIDEO_TRACK). */
const VIDEO_TRACK = 'video';
/**
 * How far behind the newest group the relay may still serve older ones to
 * this subscriber (asp-moq's subscriber uses the same): a viewer wants the
 * live edge, but the tail of a run still in flight must not be cut.
 */
const MAX_AGE_MS = 100;
/** Above the catalog's priority, as the publisher sets the video track's. */
const PRIORITY = 200;
/** How long after the subscription's end a late group stream is still waited for. */
const END_GRACE_MS = 300;

/**
 * The relay URL to dial and the broadcast name: the last path segment
 * names the broadcast, what comes before it is the relay's scope.
 * @param {string} href `moq+https://…` or `https://…`
 */
export function relayTarget(href) {
  const url = new URL(href.replace(/^moq\+https:/i, 'https:'));
  if (url.protocol !== 'https:') throw new Error(`${href}: a MoQ relay is moq+https://HOST:PORT/NAME`);
  const parts = url.pathname.split('/');
  const broadcast = decodeURIComponent(parts.pop() ?? '');
  if (!broadcast) throw new Error(`${href} names no broadcast (moq+https://HOST:PORT/NAME)`);
  url.pathname = `${parts.join('/')}/`;
  url.hash = '';
  return { connect: url.href, broadcast };
}

/**
 * Resolves once the relay announces `broadcast` (at once if it has it): a
 * subscription made before that would be refused, and waiting on the
 * announcement costs nothing while the publisher is away.
 * @param {WebTransport} transport
 * @param {string} broadcast
 */
async function announced(transport, broadcast) {
  const stream = await transport.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  await writer.write(encodeAnnounceRequest(broadcast));
  const reader = new StreamReader(stream.readable);
  for (let news = await readAnnounce(reader); news; news = await readAnnounce(reader)) {
    if (news.active && news.suffix === '') return;
  }
  throw new Error(`the relay stopped announcing ${broadcast}`);
}

export class MoqSource {
  /**
   * options.certificateHash: SHA-256 of the relay's certificate when no CA
   * the browser trusts signed it (Uint8Array or hex).
   * @param {string} url
   * @param {SourceHandlers} handlers
   * @param {{ certificateHash?: Uint8Array | string | null }} [options]
   */
  constructor(url, handlers, options = {}) {
    this.url = url;
    this.handlers = handlers;
    this.options = options;
    this.live = true;
    this.protocol = 'moq';
    this.canTalkBack = false;
    /** @type {WebTransport | null} */
    this.transport = null;
    this.closed = false;
    this.backoff = new Backoff();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.silence = new SilenceWatch();
    this.bytes = 0;
    /** Groups handed over whole, and groups given up (older than one handed over, or cut). */
    this.groups = { delivered: 0, skipped: 0 };
  }

  start() {
    if (typeof WebTransport !== 'function') {
      this.handlers.error(new Error('this browser has no WebTransport'));
      return;
    }
    this.closed = false;
    this.connect();
  }

  async connect() {
    if (this.closed) return;
    /** @type {WebTransport | undefined} */
    let transport;
    try {
      const { connect, broadcast } = relayTarget(this.url);
      const hash = certificateHash(this.options.certificateHash);
      /** @type {WebTransportOptions & { protocols?: string[] }} */
      const init = { protocols: [MOQ_LITE_PROTOCOL] };
      if (hash) init.serverCertificateHashes = [{ algorithm: 'sha-256', value: hash }];
      const opened = new WebTransport(connect, init);
      transport = opened;
      this.transport = opened;
      await opened.ready;
      const agreed = /** @type {{ protocol?: string }} */ (/** @type {unknown} */ (opened)).protocol;
      if (agreed !== undefined && agreed !== MOQ_LITE_PROTOCOL) {
        throw new WireError(`the relay speaks ${agreed || 'no sub-protocol'}, not ${MOQ_LITE_PROTOCOL}`);
      }
      await announced(opened, broadcast);
      const control = await opened.createBidirectionalStream();
      const writer = control.writable.getWriter();
      await writer.write(encodeSubscribe({ id: 0, broadcast, track: VIDEO_TRACK, priority: PRIORITY, maxAgeMs: MAX_AGE_MS }));
      const replies = new StreamReader(control.readable);
      const reply = await readSubscribeReply(replies);
      if (reply !== 'ok') throw new Error(`the relay has no track ${VIDEO_TRACK} of ${broadcast} (${reply ?? 'no reply'})`);
      /** @type {Promise<void>} */
      const silent = new Promise((_, reject) => {
        this.silence.arm(() => reject(new Error(`no data for ${this.silence.ms} ms`)));
      });
      this.handlers.open();
      const groups = new GroupOrder((bytes) => this.deliver(bytes), this.groups);
      const lost = this.readGroups(opened, groups).then(() => {
        throw new Error('the relay closed the session');
      });
      try {
        await Promise.race([this.subscriptionEnd(replies).then(() => groups.settled()), lost, silent]);
      } finally {
        groups.stop();
      }
      this.silence.stop();
      opened.close();
      if (!this.closed) this.handlers.end();
    } catch (error) {
      this.silence.stop();
      if (this.closed || this.transport !== transport) return;
      try {
        transport?.close();
      } catch {
        // already closed
      }
      const delay = this.backoff.next();
      // Scheduled before the report: a handler may close this source.
      this.timer = setTimeout(() => this.connect(), delay);
      this.handlers.reconnecting(delay, String(/** @type {any} */ (error)?.message ?? error));
    }
  }

  /**
   * Every group stream the relay opens, until the session ends.
   * @param {WebTransport} transport
   * @param {GroupOrder} groups
   */
  async readGroups(transport, groups) {
    const streams = transport.incomingUnidirectionalStreams.getReader();
    for (;;) {
      const { done, value: stream } = await streams.read();
      if (done) return;
      groups.add(new StreamReader(stream));
    }
  }

  /**
   * Resolves when the relay ends the subscription (the publisher finished
   * the track: the stream's end); SUBSCRIBE_DROP notes between are groups
   * the relay could not deliver, which the group order already skips.
   * @param {StreamReader} replies
   */
  async subscriptionEnd(replies) {
    for (let reply = await readSubscribeReply(replies); reply !== null; reply = await readSubscribeReply(replies)) {
      if (reply === 'ok') throw new WireError('a second SUBSCRIBE_OK');
    }
  }

  /** @param {Uint8Array} bytes */
  deliver(bytes) {
    this.backoff.reset();
    this.bytes += bytes.byteLength;
    this.silence.heard();
    this.handlers.data(bytes);
  }

  send() {
    return false;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.silence.stop();
    this.transport?.close();
    this.transport = null;
  }
}

/**
 * Hands over the frames of group streams one whole group at a time, in
 * sequence order (the oldest waiting first: the relay already drops what
 * lags the newest by more than MAX_AGE_MS); a group older than one handed
 * over is dropped.
 */
class GroupOrder {
  /**
   * @param {(bytes: Uint8Array) => void} deliver
   * @param {{ delivered: number, skipped: number }} counts
   */
  constructor(deliver, counts) {
    this.deliver = deliver;
    this.counts = counts;
    /** @type {Map<number, StreamReader>} */
    this.waiting = new Map();
    /** The sequence of the last group started, or -1. */
    this.last = -1;
    this.running = false;
    /** @type {(() => void)[]} */
    this.onIdle = [];
    /** Group streams seen, for settled(). */
    this.added = 0;
    this.stopped = false;
    /** @type {StreamReader | null} The group being handed over. */
    this.current = null;
  }

  /** Nothing more is handed over: the session is gone or finished. */
  stop() {
    this.stopped = true;
    for (const reader of this.waiting.values()) reader.cancel();
    this.waiting.clear();
    this.current?.cancel();
  }

  /** @param {StreamReader} reader */
  async add(reader) {
    if (this.stopped) {
      reader.cancel();
      return;
    }
    this.added += 1;
    let header;
    try {
      header = await readGroupHeader(reader);
    } catch {
      reader.cancel();
      return;
    }
    if (header.sequence <= this.last || this.waiting.has(header.sequence)) {
      this.counts.skipped += 1;
      reader.cancel();
      return;
    }
    this.waiting.set(header.sequence, reader);
    if (!this.running) this.run();
  }

  async run() {
    this.running = true;
    while (this.waiting.size && !this.stopped) {
      const sequence = Math.min(...this.waiting.keys());
      const reader = /** @type {StreamReader} */ (this.waiting.get(sequence));
      this.waiting.delete(sequence);
      this.last = sequence;
      this.current = reader;
      try {
        for (let frame = await readFrame(reader); frame && !this.stopped; frame = await readFrame(reader)) this.deliver(frame);
        this.counts.delivered += 1;
      } catch {
        // Cut short (the relay dropped it for a newer one, or the session
        // went): what arrived was handed over; the next group is a keyframe.
        this.counts.skipped += 1;
      }
    }
    this.current = null;
    this.running = false;
    for (const resolve of this.onIdle.splice(0)) resolve();
  }

  /** Resolves once no group is being handed over or waiting. */
  idle() {
    if (!this.running && !this.waiting.size) return Promise.resolve();
    return new Promise((resolve) => this.onIdle.push(() => resolve(undefined)));
  }

  /**
   * After the subscription's end: resolves once every group stream the
   * relay opened before it has been handed over. A stream may arrive a
   * little after the end (they are separate QUIC streams), so this also
   * waits END_GRACE_MS without a new one.
   */
  async settled() {
    for (;;) {
      await this.idle();
      const seen = this.added;
      await new Promise((resolve) => setTimeout(resolve, END_GRACE_MS));
      if (seen === this.added && !this.running && !this.waiting.size) return;
    }
  }
}
