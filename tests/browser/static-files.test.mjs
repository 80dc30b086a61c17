// tools/web/serve.mjs (the demo and test server, rooted at the repository)
// serves the demo, the player package, the test pages and the streams they
// play, and nothing else: no .git/, no dotfiles, no sources or Cargo files,
// however the path is written. No browser needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { serve } from '../../tools/web/serve.mjs';
import { root } from './harness.mjs';

let server;
before(async () => { server = await serve({ root, port: 0 }); });
after(async () => { await server?.close(); });

/** The status of a GET of `path` sent as written (no URL normalisation). */
function status(path) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let text = '';
    socket.on('data', (chunk) => { text += chunk; });
    socket.on('end', () => resolve(Number(text.split(' ')[1])));
    socket.on('error', reject);
  });
}

test('what the demo and the tests need is served', async () => {
  for (const path of ['/www/', '/web/package.json', '/web/src/index.js', '/tests/browser/page.html', '/bench/browser/bench.html',
    '/tools/web/node_modules/media-chrome/package.json', '/tools/web/node_modules/flatbuffers/mjs/flatbuffers.js']) {
    assert.equal(await status(path), 200, path);
  }
  assert.equal(await status('/'), 302, 'the root redirects to the demo');
});

test('the rest of the repository is not', async () => {
  for (const path of ['/.git/HEAD', '/.git/config', '/%2egit/HEAD', '/.gitignore', '/web/.npmrc', '/www/../.git/HEAD',
    '/Cargo.toml', '/Cargo.lock', '/crates/asp-server/src/lib.rs', '/tools/web/serve.mjs', '/Makefile',
    '/tools/web/node_modules/ws/package.json', '/tools/web/node_modules/media-chrome-evil/x.js', '/tools/web/package.json',
    '/plain/.git/HEAD', '/plain/Cargo.toml', '/%2e%2e/etc/passwd']) {
    assert.equal(await status(path), 404, path);
  }
});
