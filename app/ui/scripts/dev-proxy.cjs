#!/usr/bin/env node
// Development/test helper until the daemon embeds the UI: serves app/ui/dist like the daemon
// will (files at their paths; any other non-/api GET without a file extension → index.html)
// and proxies /api/* and /metrics to the daemon (streamed, so LL-HLS blocking reloads work),
// so the UI and the API share one origin. Loopback only.
//
//   node scripts/dev-proxy.cjs --api http://127.0.0.1:19090 [--listen 127.0.0.1:19091] [--dist DIR]
//
// Prints `READY http://127.0.0.1:PORT` when listening (port 0 picks a free one).
const http = require('http');
const fs = require('fs');
const path = require('path');

const argv = process.argv.slice(2);
const opt = { api: 'http://127.0.0.1:19090', listen: '127.0.0.1:19091', dist: path.join(__dirname, '..', 'dist') };
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opt)) { console.error(`unknown option ${argv[i]}`); process.exit(2); }
  opt[k] = argv[++i];
}
const api = new URL(opt.api);
const [host, portStr] = opt.listen.split(/:(?=\d+$)/);
if (!/^127\./.test(api.hostname) || !/^127\./.test(host)) { console.error('loopback addresses only'); process.exit(2); }
const dist = path.resolve(opt.dist);

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
  '.woff2': 'font/woff2', '.map': 'application/json' };

function proxy(req, res) {
  const up = http.request({ host: api.hostname, port: api.port || 80, method: req.method, path: req.url,
    // The daemon refuses state changes whose Origin is not its own: the proxy's own origin
    // is the daemon's for this purpose.
    headers: { ...req.headers, host: api.host,
      ...(req.headers.origin === `http://${req.headers.host}` ? { origin: `http://${api.host}` } : {}) } }, (ur) => {
    res.writeHead(ur.statusCode, ur.statusMessage, ur.headers);
    ur.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: `dev-proxy: daemon unreachable: ${e.message}`, code: 'UNAVAILABLE' }));
  });
  req.on('aborted', () => up.destroy());
  req.pipe(up);
}

function serveFile(res, file, method) {
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404, { 'Content-Type': 'text/plain' }); return res.end('not found'); }
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Content-Length': st.size, 'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    if (method === 'HEAD') return res.end();
    fs.createReadStream(file).pipe(res);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/api/') || url.pathname === '/api' || url.pathname === '/metrics') return proxy(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405); return res.end(); }
  let rel;
  try { rel = decodeURIComponent(url.pathname); } catch { res.writeHead(400); return res.end(); }
  const file = path.join(dist, path.normalize(rel));
  if (!file.startsWith(dist)) { res.writeHead(400); return res.end(); }
  if (rel === '/' || path.extname(rel) === '') return serveFile(res, path.join(dist, 'index.html'), req.method);
  serveFile(res, file, req.method);
});
server.listen(Number(portStr), host, () => {
  console.log(`READY http://${host}:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
