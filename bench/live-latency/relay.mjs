// The jsmpeg anchor's relay, as in jsmpeg's own websocket-relay.js: MPEG-TS
// from standard input (ffmpeg) is broadcast to every WebSocket client at
// /stream; the probe page, stamp.js and jsmpeg are served over HTTP.
// usage: ffmpeg ... -f mpegts - | node relay.mjs PORT
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { WebSocketServer } from '../../tools/web/node_modules/ws/wrapper.mjs';

const port = Number(process.argv[2] || 8081);
const here = new URL('.', import.meta.url);
const files = {
  '/': ['www/jsmpeg.html', 'text/html'],
  '/stamp.js': ['www/stamp.js', 'text/javascript'],
  '/jsmpeg.min.js': ['../../tools/web/node_modules/@cycjimmy/jsmpeg-player/dist/jsmpeg-player.umd.min.js', 'text/javascript'],
};
const server = createServer(async (req, res) => {
  const file = files[req.url.split('?')[0]];
  if (!file) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': file[1] }).end(await readFile(new URL(file[0], here)));
});
const wss = new WebSocketServer({ server, path: '/stream', perMessageDeflate: false });
process.stdin.on('data', (chunk) => {
  for (const client of wss.clients) if (client.readyState === 1) client.send(chunk);
});
process.stdin.on('end', () => process.exit(0));
server.listen(port, '127.0.0.1', () => console.error(`relay: http://127.0.0.1:${port}/`));
