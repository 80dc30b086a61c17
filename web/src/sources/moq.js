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
// is redialled and subscribed again at the newest group.
//
// Several relays (options.relays, the element's `relays` attribute: further
// relays of the same cluster, as a DASH manifest lists several BaseURLs):
// the src's relay is tried first; when the one in use is lost the next is
// dialled at once, and only a whole round of relays failing in a row waits
// out the backoff. The stream goes on where it was cut: groups already
// played are skipped, and the newest group, if it is the one that was cut,
// goes on after its last object played (the same group of the same
// broadcast holds the same objects on every relay), else it starts at its
// keyframe. Objects are whole packets, so nothing half-read belongs to the
// lost session: `open` is said once, and the decoder is not reset.
// Viewer feedback has no path through a relay: `send` declines.
//
// Renditions (a broadcast published with `asp-encode --rendition`: one
// track per bitrate, their groups at the same frames with the same ids):
// the source reads the catalog track first, subscribes to the rendition a
// RenditionChooser (moq-rendition.js) picks, and switches at a group
// boundary: it subscribes to the new track, plays the old one's groups up
// to the first group the new one delivers whole from its start, then
// unsubscribes the old one, so the decoder sees one stream with a keyframe
// at the switch. options.rendition pins a rendition (its track, or `600k`),
// options.maxBitrate caps the choice; setRenditionPolicy changes both
// mid-stream. `rendition` and `renditionReason` say what plays and why;
// handlers.rendition (when given) hears each change twice: when chosen,
// and when the new track's first group is the one played.

import { RedialSource } from './redial.js';
import { certificateHash } from './webtransport.js';
import { RenditionChooser } from './moq-rendition.js';
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
/** The track of the stream facts (asp_moq::CATALOG_TRACK): one JSON object. */
const CATALOG_TRACK = 'catalog';
/** The catalog's subscription id; the video subscriptions count up from 1. */
const CATALOG_ID = 0;
/**
 * How far behind the newest group the relay may still serve older ones to
 * this subscriber (asp-moq's subscriber uses the same): a viewer wants the
 * live edge, but the tail of a run still in flight must not be cut.
 */
const MAX_AGE_MS = 100;
/** Above the catalog's priority, as the publisher sets the video track's. */
const PRIORITY = 200;
/**
 * A relay forwards each object as it comes, one per frame: this long
 * without one, the relay (killed outright: no close reaches the browser,
 * whose QUIC waits out its idle timeout) or the publisher is gone, and the
 * next relay is tried. Shorter than the other live sources' SILENCE_MS: a
 * relay cluster has somewhere else to go.
 */
const SILENCE_MS = 2000;
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
 * The relays to play `href`'s broadcast from, in the order tried: `href`'s
 * own, then each of `relays` (`moq+https://HOST:PORT[/SCOPE][?QUERY][#sha256=HEX]`:
 * a relay, not a broadcast; without a scope or a query it takes `href`'s,
 * the broadcast is always `href`'s). A `#sha256=` trusts that relay's
 * certificate by its hash; without one, `certificateHash` (the src's).
 * @param {string} href
 * @param {string[]} relays
 * @param {Uint8Array | string | null | undefined} hash
 * @returns {{ connect: string, broadcast: string, hash: Uint8Array | string | null | undefined }[]}
 */
export function relayTargets(href, relays, hash) {
  const first = relayTarget(href);
  const base = new URL(first.connect);
  const targets = [{ ...first, hash }];
  for (const relay of relays) {
    const url = new URL(relay.replace(/^moq\+https:/i, 'https:'));
    if (url.protocol !== 'https:') throw new Error(`${relay}: a MoQ relay is moq+https://HOST:PORT`);
    const hex = new URLSearchParams(url.hash.slice(1)).get('sha256');
    url.hash = '';
    if (url.pathname === '/') url.pathname = base.pathname;
    if (!url.search) url.search = base.search;
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    targets.push({ connect: url.href, broadcast: first.broadcast, hash: hex && /^[0-9a-fA-F]{64}$/.test(hex) ? hex : hash });
  }
  return targets;
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

export class MoqSource extends RedialSource {
  /**
   * options.certificateHash: SHA-256 of the relay's certificate when no CA
   * the browser trusts signed it (Uint8Array or hex); options.relays:
   * further relays of the broadcast, tried in turn when one is lost
   * (relayTargets).
   * @param {string} url
   * @param {SourceHandlers} handlers
   * @param {{ certificateHash?: Uint8Array | string | null, relays?: string[], rendition?: string | null, maxBitrate?: number | null }} [options]
   */
  constructor(url, handlers, options = {}) {
    super(url, handlers, { protocol: 'moq', canTalkBack: false, silenceMs: SILENCE_MS });
    this.options = options;
    /** @type {WebTransport | null} */
    this.transport = null;
    /** Groups handed over whole, and groups given up (older than one handed over, or cut). */
    this.groups = { delivered: 0, skipped: 0 };
    /** The relays in the order tried, and the one in use (an index). */
    /** @type {ReturnType<typeof relayTargets>} */
    this.relays = [];
    /** A src or relay that is not a relay URL: start() reports it. */
    this.invalid = null;
    try {
      this.relays = relayTargets(url, options.relays ?? [], options.certificateHash);
    } catch (error) {
      this.invalid = /** @type {Error} */ (error);
    }
    this.relay = 0;
    /** Sessions lost in a row without an object: a whole round of them waits out the backoff. */
    this.failures = 0;
    /** Times the source moved to another relay. */
    this.relaySwitches = 0;
    /** Where the stream was cut: shared by every session's GroupOrder. */
    this.position = new Position();
    this.opened = false;
    /** @type {RenditionChooser | null} */
    this.chooser = null;
    /** The video track playing, and why it was chosen. */
    this.rendition = VIDEO_TRACK;
    this.renditionReason = 'single stream';
    this.renditionSwitches = 0;
    /** The track last reported playing (handlers.rendition). */
    this.reportedPlaying = '';
    /** The session's subscriptions: the video one playing, one being switched to. */
    /** @type {Subscription | null} */
    this.playing = null;
    /** The playing subscription's id (known before the relay accepts it). */
    this.playingId = -1;
    /** @type {{ to: Subscription, at: number } | null} */
    this.switching = null;
    this.nextId = 1;
    /** @type {WebTransport | null} */
    this.session = null;
    /** @type {GroupOrder | null} */
    this.groupOrder = null;
    this.frameMs = 1000 / 30;
  }

  /**
   * Pins a rendition (`pin`: its track or rate) or caps the choice
   * (`maxBitrate`, bit/s); null for neither. Takes effect at the next group.
   * @param {{ pin?: string | null, maxBitrate?: number | null }} policy
   */
  setRenditionPolicy(policy) {
    this.options = { ...this.options, rendition: policy.pin ?? null, maxBitrate: policy.maxBitrate ?? null };
    if (!this.chooser) return;
    this.chooser.setPolicy(policy);
    if (this.chooser.applyPolicy()) this.switchTo(this.chooser.current().track, this.chooser.reason);
  }

  start() {
    if (typeof WebTransport !== 'function') {
      this.handlers.error(new Error('this browser has no WebTransport'));
      return;
    }
    if (this.invalid) {
      this.handlers.error(this.invalid);
      return;
    }
    this.opened = false;
    this.position = new Position();
    super.start();
  }

  async connect() {
    if (this.closed) return;
    /** @type {WebTransport | undefined} */
    let transport;
    try {
      const { connect, broadcast, hash: relayHash } = this.relays[this.relay];
      const hash = certificateHash(relayHash);
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
      this.session = opened;
      this.nextId = 1;
      this.switching = null;
      /** @type {(catalog: any) => void} */
      let gotCatalog = () => {};
      const catalogRead = new Promise((resolve) => { gotCatalog = resolve; });
      const groups = new GroupOrder((bytes) => this.deliver(bytes), this.groups, this.position, {
        accept: (header, last) => this.accept(header, last),
        done: (group) => this.groupDone(group),
        cut: (group) => this.groupCut(group),
      });
      this.groupOrder = groups;
      const lost = this.readGroups(opened, groups, gotCatalog).then(() => {
        throw new Error('the relay closed the session');
      });
      lost.catch(() => {});
      /** @type {Promise<void>} */
      const silent = new Promise((_, reject) => {
        this.silence.arm(() => reject(new Error(`no data for ${this.silence.ms} ms`)));
      });
      silent.catch(() => {});
      const catalogSub = await subscribe(opened, CATALOG_ID, broadcast, CATALOG_TRACK, PRIORITY - 100);
      const catalog = await Promise.race([catalogRead, lost, silent]);
      catalogSub.close();
      this.useCatalog(catalog);
      // Its id first: the relay may open a group stream before its reply is read.
      this.playingId = this.nextId++;
      this.playing = await subscribe(opened, this.playingId, broadcast, this.rendition, PRIORITY);
      this.playingNow(this.rendition);
      if (!this.opened) this.handlers.open();
      this.opened = true;
      try {
        await Promise.race([this.streamEnd().then(() => groups.settled()), lost, silent]);
      } finally {
        groups.stop();
      }
      this.silence.stop();
      opened.close();
      if (!this.closed) this.handlers.end();
    } catch (error) {
      this.silence.stop();
      if (this.closed || this.transport !== transport) return;
      // A stall: the rendition the session is given up on was too much.
      if (this.opened && this.chooser?.down(String(/** @type {any} */ (error)?.message ?? error))) {
        this.rendition = this.chooser.current().track;
        this.renditionReason = this.chooser.reason;
        this.renditionSwitches += 1;
        this.handlers.rendition?.({ track: this.rendition, reason: this.renditionReason, state: 'chosen' });
      }
      try {
        transport?.close();
      } catch {
        // already closed
      }
      // The next relay at once, until a whole round failed in a row.
      this.failures += 1;
      const delay = this.failures < this.relays.length ? 0 : this.backoff.next();
      if (this.failures >= this.relays.length) this.failures = 0;
      const lost = this.relays[this.relay].connect;
      if (this.relays.length > 1) {
        this.relay = (this.relay + 1) % this.relays.length;
        this.relaySwitches += 1;
      }
      let reason = `${lost}: ${String(/** @type {any} */ (error)?.message ?? error)}`;
      if (this.relays.length > 1) reason += `; next relay ${this.relays[this.relay].connect}`;
      this.redial(reason, delay);
    }
  }

  /**
   * Every group stream the relay opens, until the session ends: the
   * catalog's object to `catalog`, the video groups to `groups`.
   * @param {WebTransport} transport
   * @param {GroupOrder} groups
   * @param {(catalog: any) => void} catalog
   */
  async readGroups(transport, groups, catalog) {
    const streams = transport.incomingUnidirectionalStreams.getReader();
    for (;;) {
      const { done, value: stream } = await streams.read();
      if (done) return;
      const reader = new StreamReader(stream);
      readGroupHeader(reader).then(async (header) => {
        if (header.subscribe !== CATALOG_ID) return groups.add(reader, header);
        const frame = await readFrame(reader);
        reader.cancel();
        if (frame) catalog(JSON.parse(new TextDecoder().decode(frame)));
      }).catch(() => reader.cancel());
    }
  }

  /**
   * The catalog's renditions (if any) and frame rate: the chooser (kept
   * across sessions while the renditions are the same) and the track to
   * subscribe to.
   * @param {any} catalog
   */
  useCatalog(catalog) {
    if (catalog?.fpsNum > 0 && catalog?.fpsDen > 0) this.frameMs = (1000 * catalog.fpsDen) / catalog.fpsNum;
    /** @type {import('./moq-rendition.js').Rendition[]} */
    const renditions = Array.isArray(catalog?.renditions) ? catalog.renditions : [];
    if (!renditions.length) {
      this.chooser = null;
      this.rendition = typeof catalog?.track === 'string' ? catalog.track : VIDEO_TRACK;
      this.renditionReason = 'single stream';
      return;
    }
    const same = this.chooser && JSON.stringify(this.chooser.renditions) === JSON.stringify(renditions);
    if (!same) {
      this.chooser = new RenditionChooser(renditions, { pin: this.options.rendition, maxBitrate: this.options.maxBitrate });
      this.renditionReason = this.chooser.reason;
    }
    this.rendition = /** @type {RenditionChooser} */ (this.chooser).current().track;
  }

  /**
   * Whether a video group is played: the playing subscription's, but not
   * from the switch point on; the one being switched to from the first group
   * that comes after what was played (the switch happens there).
   * @param {{ subscribe: number, sequence: number }} header
   * @param {number} last the sequence of the last group started
   */
  accept(header, last) {
    const switching = this.switching;
    if (switching && header.subscribe === switching.to.id) {
      if (header.sequence <= last) {
        switching.at = Math.max(switching.at, header.sequence + 1);
        return false;
      }
      switching.at = header.sequence;
      const old = this.playing;
      this.playing = switching.to;
      this.playingId = switching.to.id;
      this.switching = null;
      this.rendition = switching.to.track;
      this.renditionSwitches += 1;
      this.playingNow(this.rendition, header.sequence);
      old?.close();
      this.groupOrder?.dropFrom(old?.id ?? -1, header.sequence);
      this.endChanged();
      return true;
    }
    if (header.subscribe !== this.playingId) return false;
    if (switching && header.sequence >= switching.at) return false;
    // A group may come before its subscription's reply is read: what plays
    // is said before its first frame.
    this.playingNow(this.rendition, header.sequence);
    return true;
  }

  /**
   * Subscribes to `track` to switch to it at a group boundary (a switch
   * under way to another track is given up).
   * @param {string} track
   * @param {string} reason
   */
  switchTo(track, reason) {
    this.renditionReason = reason;
    this.handlers.rendition?.({ track, reason, state: 'chosen' });
    const session = this.session;
    if (!session || this.closed) {
      this.rendition = track;
      return;
    }
    this.switching?.to.close();
    this.switching = null;
    if (track === this.playing?.track) return;
    const broadcast = this.relays[this.relay].broadcast;
    subscribe(session, this.nextId++, broadcast, track, PRIORITY).then((to) => {
      if (this.session !== session || this.closed) return to.close();
      this.switching?.to.close();
      this.switching = { to, at: Infinity };
    }, () => {});
  }

  /**
   * Reports `track` playing (from group `group`, when a switch), once per change.
   * @param {string} track
   * @param {number} [group]
   */
  playingNow(track, group) {
    if (track === this.reportedPlaying) return;
    this.reportedPlaying = track;
    this.handlers.rendition?.({ track, reason: this.renditionReason, state: 'playing', group });
  }

  /**
   * A group handed over whole, with how it arrived: the chooser's input.
   * @param {{ subscribe: number, bytes: number, arrivalMs: number, objects: number, waitingMs: number }} group
   */
  groupDone(group) {
    if (!this.chooser || group.subscribe !== this.playingId || this.switching) return;
    const mediaMs = group.objects * this.frameMs;
    const changed = this.chooser.groupDone({ bytes: group.bytes, arrivalMs: group.arrivalMs, mediaMs, waitingMs: group.waitingMs });
    if (changed) this.switchTo(this.chooser.current().track, this.chooser.reason);
  }

  /**
   * A group of `subscribe` cut short by the relay (it was too far behind
   * the newest): one rendition down, unless it is the track switched from.
   * @param {{ subscribe: number, objects: number }} group
   */
  groupCut(group) {
    if (!this.chooser || group.subscribe !== this.playingId || this.switching) return;
    if (this.chooser.down(`the relay cut a group short after ${group.objects} objects (too far behind)`)) {
      this.switchTo(this.chooser.current().track, this.chooser.reason);
    }
  }

  /**
   * Resolves when the playing subscription ends (the publisher finished
   * the track: the stream's end), following it across switches;
   * SUBSCRIBE_DROP notes between are groups the relay could not deliver,
   * which the group order already skips.
   */
  streamEnd() {
    return new Promise((resolve, reject) => {
      const watch = () => {
        const playing = this.playing;
        if (!playing) return reject(new Error('no subscription'));
        this.endChanged = watch;
        playing.ended.then(() => {
          if (this.playing === playing) resolve(undefined);
        }, (error) => {
          if (this.playing === playing) reject(error);
        });
      };
      watch();
    });
  }

  /** Called when the playing subscription changes (streamEnd follows it). */
  endChanged() {}

  /** @param {Uint8Array} bytes */
  deliver(bytes) {
    this.failures = 0;
    this.heard(bytes);
  }

  send() {
    return false;
  }

  close() {
    super.close();
    this.session = null;
    this.transport?.close();
    this.transport = null;
  }
}

/**
 * One subscription on a session: its id, its track, the end of its reply
 * stream (the publisher finished the track), and how to end it early.
 * @typedef {{ id: number, track: string, ended: Promise<void>, close: () => void }} Subscription
 */

/**
 * Subscribes to `track` of `broadcast` at its newest group; resolves once
 * the relay accepted it.
 * @param {WebTransport} transport
 * @param {number} id
 * @param {string} broadcast
 * @param {string} track
 * @param {number} priority
 * @returns {Promise<Subscription>}
 */
async function subscribe(transport, id, broadcast, track, priority) {
  const control = await transport.createBidirectionalStream();
  const writer = control.writable.getWriter();
  await writer.write(encodeSubscribe({ id, broadcast, track, priority, maxAgeMs: MAX_AGE_MS }));
  const replies = new StreamReader(control.readable);
  const reply = await readSubscribeReply(replies);
  if (reply !== 'ok') throw new Error(`the relay has no track ${track} of ${broadcast} (${reply ?? 'no reply'})`);
  const ended = (async () => {
    for (let next = await readSubscribeReply(replies); next !== null; next = await readSubscribeReply(replies)) {
      if (next === 'ok') throw new WireError('a second SUBSCRIBE_OK');
    }
  })();
  ended.catch(() => {});
  // Closing the subscribe stream ends the subscription (moq-lite).
  const close = () => {
    writer.close().catch(() => {});
    replies.cancel();
  };
  return { id, track, ended, close };
}

/**
 * How far the stream has been played, across sessions and relays: the
 * group handed over last, how many of its objects were, and whether all.
 */
class Position {
  constructor() {
    this.sequence = -1;
    this.objects = 0;
    this.complete = false;
  }
}

/**
 * Hands over the frames of group streams one whole group at a time, in
 * sequence order (the oldest waiting first: the relay already drops what
 * lags the newest by more than MAX_AGE_MS); a group older than one handed
 * over is dropped, and so is one a lost session already played (the
 * position); the group it was cut in goes on after its last played object.
 */
class GroupOrder {
  /**
   * @param {(bytes: Uint8Array) => void} deliver
   * @param {{ delivered: number, skipped: number }} counts
   * @param {Position} position
   * @param {{ accept: (header: { subscribe: number, sequence: number }, last: number) => boolean, done: (group: { subscribe: number, bytes: number, arrivalMs: number, objects: number, waitingMs: number }) => void, cut: (group: { subscribe: number, objects: number }) => void }} hooks
   *   accept: whether a group of this subscription is played (renditions);
   *   done: a group handed over whole and how it arrived; cut: one that
   *   ended early while a newer one was waiting (the relay gave it up).
   */
  constructor(deliver, counts, position, hooks) {
    this.deliver = deliver;
    this.counts = counts;
    this.position = position;
    this.hooks = hooks;
    /** @type {Map<number, { reader: StreamReader, subscribe: number, arrived: number }>} */
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
    for (const { reader } of this.waiting.values()) reader.cancel();
    this.waiting.clear();
    this.current?.cancel();
  }

  /**
   * A group stream whose header was read.
   * @param {StreamReader} reader
   * @param {{ subscribe: number, sequence: number }} header
   */
  add(reader, header) {
    if (this.stopped) {
      reader.cancel();
      return;
    }
    this.added += 1;
    const arrived = performance.now();
    const played = this.position.sequence;
    const waiting = this.waiting.get(header.sequence);
    if (header.sequence <= this.last || (waiting && waiting.subscribe === header.subscribe)
        || header.sequence < played || (header.sequence === played && this.position.complete)
        || !this.hooks.accept(header, this.last)) {
      this.counts.skipped += 1;
      reader.cancel();
      return;
    }
    // The same run of another rendition (the one switched from) still
    // waiting (the switch may have dropped it already): this one wins.
    const other = this.waiting.get(header.sequence);
    if (other) {
      this.counts.skipped += 1;
      other.reader.cancel();
    }
    this.waiting.set(header.sequence, { reader, subscribe: header.subscribe, arrived });
    if (!this.running) this.run();
  }

  /**
   * Gives up the waiting groups of subscription `subscribe` from `sequence`
   * on (the rendition switched from).
   * @param {number} subscribe
   * @param {number} sequence
   */
  dropFrom(subscribe, sequence) {
    for (const [at, group] of this.waiting) {
      if (group.subscribe === subscribe && at >= sequence) {
        this.waiting.delete(at);
        group.reader.cancel();
        this.counts.skipped += 1;
      }
    }
  }

  async run() {
    this.running = true;
    while (this.waiting.size && !this.stopped) {
      const sequence = Math.min(...this.waiting.keys());
      const { reader, subscribe, arrived } = /** @type {{ reader: StreamReader, subscribe: number, arrived: number }} */ (this.waiting.get(sequence));
      this.waiting.delete(sequence);
      let bytes = 0;
      let objects = 0;
      this.last = sequence;
      this.current = reader;
      const position = this.position;
      // The group a lost session was cut in: its first objects were played.
      let played = 0;
      if (position.sequence === sequence) {
        played = position.objects;
      } else {
        position.sequence = sequence;
        position.objects = 0;
        position.complete = false;
      }
      try {
        for (let frame = await readFrame(reader); frame && !this.stopped; frame = await readFrame(reader)) {
          if (played > 0) {
            played -= 1;
            continue;
          }
          position.objects += 1;
          bytes += frame.byteLength;
          objects += 1;
          this.deliver(frame);
        }
        if (!this.stopped) position.complete = true;
        this.counts.delivered += 1;
        if (!this.stopped) {
          const now = performance.now();
          const waitingMs = Math.max(0, ...[...this.waiting.values()].map((group) => now - group.arrived));
          this.hooks.done({ subscribe, bytes, arrivalMs: now - arrived, objects, waitingMs });
        }
      } catch {
        // Cut short (the relay dropped it for a newer one, or the session
        // went): what arrived was handed over; the next group is a keyframe.
        this.counts.skipped += 1;
        // The relay cuts a group when a newer one is there to play.
        if (!this.stopped && this.waiting.size) this.hooks.cut({ subscribe, objects });
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
