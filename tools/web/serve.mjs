#!/usr/bin/env node
// The browser side's development server: static files with the headers
// that make a page crossOriginIsolated (so <asp-player> uses the threaded
// build), and a WebSocket that plays an .asp file as a live stream.
//
//   node tools/web/serve.mjs [--port 8080] [--host 127.0.0.1] [--root DIR] [--stream FILE.asp]
//
// GET /              redirects to /www/ (the demo page)
// GET /PATH          DIR/PATH with COOP: same-origin, COEP: require-corp, for
//                    PATH in the directories the demo, the browser tests and
//                    the browser benchmark use (DEMO_DIRS: www/ web/ tests/
//                    build/ bench/), and the npm packages pages import
//                    (PAGE_PACKAGES, from tools/web/node_modules/); nothing
//                    else of the repository (no crates/, the rest of tools/,
//                    Cargo files, .git/ or any dotfile): 404
// GET /plain/PATH    DIR/PATH without them (a page that is not isolated)
// WS  /asp/ws?...    the packets of `file` (default --stream), paced at `fps`
//                    (default 30), looping unless loop=0. Test knobs:
//                    chunk=N     send the byte stream in N-byte messages
//                                instead of one packet per message
//                    corrupt=i,j flip a byte in packets i, j (first pass)
//                    drop=N      cut the first connection of `session`
//                                after N packets (no close handshake)
//                    stall=N     the first connection of `session` falls
//                                silent after N packets, left open (a
//                                server that hangs, a half-open path)
//                    session=ID  groups connections for drop=, stall= and /_log
//                    A RequestKeyframe S-packet from the viewer makes the
//                    stream jump to the next keyframe of the file.
// GET /asp/session  JSON {websocket: "/asp/ws"}, the shape asp-encode --serve
//                    answers (which adds WebTransport), so www/ works with both
// GET /_log?session=ID  JSON: the S-packets the viewers of ID sent, and
//                    how many connections they made.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { splitPackets, packetType, describePacket } from './asp-packets.mjs';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css', '.asp': 'application/octet-stream',
  '.ts': 'video/mp2t', '.png': 'image/png', '.svg': 'image/svg+xml', '.map': 'application/json', '.txt': 'text/plain',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The top-level directories of the root that are served: the demo page,
 * the player package (its sources and web/dist), the browser tests' pages
 * and the streams run.sh makes (build/), the browser benchmark.
 */
export const DEMO_DIRS = ['www', 'web', 'tests', 'build', 'bench'];

/**
 * The npm packages of tools/web that pages load as ES modules (the flatc
 * TypeScript reader's runtime, media-chrome's controls, jsmpeg for the
 * benchmark's anchor): served from tools/web/node_modules/NAME/, and no
 * other file of tools/.
 */
export const PAGE_PACKAGES = ['flatbuffers', 'media-chrome', '@cycjimmy/jsmpeg-player'];

/**
 * Starts the server; resolves to { url, port, close(), log(session) }.
 * `dirs`: the top-level directories of `root` served (null: all of it,
 * still without dotfiles).
 */
export function serve({ root, port = 8080, host = '127.0.0.1', stream = null, quiet = true, dirs = DEMO_DIRS } = {}) {
  root = path.resolve(root);
  const sessions = new Map();
  const session = (id) => {
    if (!sessions.has(id)) sessions.set(id, { received: [], connections: 0, dropped: false, stalled: false });
    return sessions.get(id);
  };
  const packetCache = new Map();
  const packetsOf = (file) => {
    const full = path.resolve(root, file);
    if (!full.startsWith(root + path.sep)) throw new Error('file outside the root');
    const mtime = fs.statSync(full).mtimeMs;
    const cached = packetCache.get(full);
    if (cached?.mtime === mtime) return cached.packets;
    const packets = splitPackets(fs.readFileSync(full));
    packetCache.set(full, { mtime, packets });
    return packets;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/www/' }).end();
      return;
    }
    if (url.pathname === '/asp/session') {
      res.writeHead(200, { 'Content-Type': 'application/json', ...ISOLATION });
      res.end(JSON.stringify({ websocket: '/asp/ws', webtransport: null }));
      return;
    }
    if (url.pathname === '/_log') {
      const s = session(url.searchParams.get('session') ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json', ...ISOLATION });
      res.end(JSON.stringify({ received: s.received, connections: s.connections }));
      return;
    }
    let isolated = true;
    let rel = decodeURIComponent(url.pathname);
    if (rel.startsWith('/plain/')) {
      isolated = false;
      rel = rel.slice('/plain'.length);
    }
    let file = path.resolve(root, `.${rel}`);
    // Dot segments: never .git/ or .env, and no climbing out with `..`.
    const hidden = rel.split('/').some((segment) => segment.startsWith('.'));
    const top = rel.split('/')[1] ?? '';
    const pagePackage = PAGE_PACKAGES.some((name) => rel.startsWith(`/tools/web/node_modules/${name}/`));
    const listed = dirs === null || dirs.includes(top) || pagePackage;
    if (hidden || !listed || (file !== root && !file.startsWith(root + path.sep))) {
      res.writeHead(404).end('not found');
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (error, data) => {
      const headers = isolated ? { ...ISOLATION } : {};
      if (error) {
        res.writeHead(404, headers).end('not found');
        return;
      }
      headers['Content-Type'] = MIME[path.extname(file)] ?? 'application/octet-stream';
      headers['Cache-Control'] = 'no-store';
      res.writeHead(200, headers).end(data);
      if (!quiet) console.log(`GET ${req.url} ${data.length}`);
    });
  });

  const wss = new WebSocketServer({ server, path: '/asp/ws' });
  wss.on('connection', (socket, req) => {
    const q = new URL(req.url, 'http://x').searchParams;
    const s = session(q.get('session') ?? '');
    s.connections += 1;
    let packets;
    try {
      packets = packetsOf(q.get('file') ?? stream);
    } catch (error) {
      socket.close(1011, String(error.message).slice(0, 100));
      return;
    }
    const fps = Number(q.get('fps')) || 30;
    const loop = q.get('loop') !== '0';
    const chunk = Number(q.get('chunk')) || 0;
    const corrupt = new Set((q.get('corrupt') ?? '').split(',').filter(Boolean).map(Number));
    const dropAfter = q.has('drop') && !s.dropped ? Number(q.get('drop')) : -1;
    const stallAfter = q.has('stall') && !s.stalled ? Number(q.get('stall')) : -1;
    let index = 0;
    let pass = 0;
    let sent = 0;
    let pending = Buffer.alloc(0);

    socket.on('message', (data, binary) => {
      if (!binary) return;
      const packet = describePacket(Buffer.from(data));
      s.received.push(packet);
      if (packet.valid && packet.command === 'RequestKeyframe') {
        const next = packets.findIndex((p, i) => i >= index && packetType(p) === 'I');
        if (next > index) index = next;
      }
    });

    const send = (bytes) => {
      if (!chunk) {
        socket.send(bytes);
        return;
      }
      pending = Buffer.concat([pending, bytes]);
      while (pending.length >= chunk) {
        socket.send(pending.subarray(0, chunk));
        pending = pending.subarray(chunk);
      }
    };

    const started = performance.now();
    const tick = () => {
      if (socket.readyState !== socket.OPEN) return;
      if (index >= packets.length) {
        if (!loop) {
          if (pending.length) socket.send(pending);
          socket.close(1000, 'end of stream');
          return;
        }
        index = 0;
        pass += 1;
      }
      let packet = packets[index];
      if (pass === 0 && corrupt.has(index)) {
        packet = Buffer.from(packet);
        packet[packet.length >> 1] ^= 0x5a;
      }
      send(packet);
      index += 1;
      sent += 1;
      if (sent === dropAfter) {
        s.dropped = true;
        socket.terminate();
        return;
      }
      if (sent === stallAfter) {
        s.stalled = true;
        return;
      }
      timer = setTimeout(tick, Math.max(0, started + (sent * 1000) / fps - performance.now()));
    };
    let timer = setTimeout(tick, 0);
    socket.on('close', () => clearTimeout(timer));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}`,
        port: actual,
        log: (id) => session(id),
        close: () => new Promise((done) => {
          for (const client of wss.clients) client.terminate();
          wss.close();
          server.close(() => done());
        }),
      });
    });
  });
}

function parseArgs(argv) {
  const args = { root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'), port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === '--port') args.port = Number(value);
    else if (key === '--host') args.host = value;
    else if (key === '--root') args.root = value;
    else if (key === '--stream') args.stream = value;
    else throw new Error(`unknown option ${key} (see the header of tools/web/serve.mjs)`);
  }
  return args;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2));
  const { url } = await serve({ ...args, quiet: true });
  console.log(`serving ${args.root} at ${url}/ (COOP/COEP; /plain/ without)${args.stream ? `, live ${args.stream} at ws://${url.slice(7)}/asp/ws` : ''}`);
}
