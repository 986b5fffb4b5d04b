#!/usr/bin/env node
// quiche peer (through the npm package @matrixai/quic, prebuilt) for quicmq's interop tests.
// Same command line and behaviour as test/interop/quic-go/peer.go:
//   server: node peer.mjs --mode server --listen 127.0.0.1:0 --cert c.pem --key k.pem [--alpn mqtt]
//           prints "listening <port>", echoes every bidirectional stream (reads to FIN, writes back, FIN)
//   client: node peer.mjs --mode client --addr 127.0.0.1:4433 [--ca ca.pem | --insecure] [--bytes N] [--streams K]
//           prints a JSON summary; exit 0 only when every stream echoed exactly
//   raw:    one stream; stdin -> stream, stream -> stdout
import { readFileSync } from 'node:fs';
import { randomFillSync, createHmac, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { QUICServer, QUICClient, events } from '@matrixai/quic';
import Logger, { LogLevel } from '@matrixai/logger';

const { values: o } = parseArgs({
  options: {
    mode: { type: 'string', default: 'server' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    addr: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    ca: { type: 'string' },
    insecure: { type: 'boolean', default: false },
    sni: { type: 'string', default: 'localhost' },
    alpn: { type: 'string', default: 'mqtt' },
    bytes: { type: 'string', default: '100000' },
    streams: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '20000' },
  },
});
const logger = new Logger('quiche-peer', LogLevel.WARN, []);
const split = (hp) => { const i = hp.lastIndexOf(':'); return [hp.slice(0, i), Number(hp.slice(i + 1))]; };
const keylog = process.env.SSLKEYLOGFILE ? { logKeys: process.env.SSLKEYLOGFILE } : {};
setTimeout(() => { console.error('error: timeout'); process.exit(3); }, Number(o.timeout)).unref();

async function readAll(readable) {
  const chunks = [];
  for await (const c of readable) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
async function writeAll(writable, data) {
  const w = writable.getWriter();
  for (let i = 0; i < data.length; i += 16384) await w.write(data.subarray(i, i + 16384));
  await w.close();
}
function seeded(n, seed) { // deterministic payload (xorshift), the contents do not matter
  const b = Buffer.allocUnsafe(n); let x = (seed + 1) * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 0xff; }
  return b;
}

if (o.mode === 'server') {
  const serverKey = randomFillSync(Buffer.alloc(32));
  const server = new QUICServer({
    crypto: {
      key: serverKey.buffer,
      ops: {
        async sign(key, data) { return createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest().buffer; },
        async verify(key, data, sig) {
          const d = createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest();
          const s = Buffer.from(sig); return s.length === d.length && timingSafeEqual(d, s);
        },
      },
    },
    config: { key: readFileSync(o.key, 'utf8'), cert: readFileSync(o.cert, 'utf8'), verifyPeer: false,
      applicationProtos: [o.alpn], maxIdleTimeout: 10000, ...keylog },
    logger,
  });
  server.addEventListener(events.EventQUICServerConnection.name, (evt) => {
    const conn = evt.detail;
    conn.addEventListener(events.EventQUICConnectionStream.name, async (se) => {
      const stream = se.detail;
      try { await writeAll(stream.writable, await readAll(stream.readable)); } catch { /* peer reset */ }
    });
  });
  const [host, port] = split(o.listen);
  await server.start({ host, port });
  console.log(`listening ${server.port}`);
} else {
  const [host, port] = split(o.addr);
  const start = Date.now();
  const client = await QUICClient.createQUICClient({
    host, port, serverName: o.sni,
    crypto: { ops: { async randomBytes(data) { randomFillSync(new Uint8Array(data)); } } },
    config: { verifyPeer: !o.insecure, ...(o.ca ? { ca: readFileSync(o.ca, 'utf8') } : {}), applicationProtos: [o.alpn],
      maxIdleTimeout: 10000, ...keylog },
    logger,
  });
  const hs = Date.now() - start;
  const conn = client.connection;
  if (o.mode === 'raw') {
    const stream = conn.newStream();
    const w = stream.writable.getWriter();
    process.stdin.on('data', (d) => w.write(d)).on('end', () => w.close());
    for await (const c of stream.readable) process.stdout.write(c);
    await client.destroy();
  } else {
    const size = Number(o.bytes);
    const errors = [];
    await Promise.all(Array.from({ length: Number(o.streams) }, async (_, i) => {
      const payload = seeded(size, i);
      const stream = conn.newStream();
      const [, got] = await Promise.all([writeAll(stream.writable, payload), readAll(stream.readable)]).catch((e) => {
        errors.push(`stream ${i}: ${e?.message ?? e}`); return [null, null];
      });
      if (got && !got.equals(payload)) errors.push(`stream ${i}: echo mismatch (${got.length} bytes, want ${size})`);
    }));
    await client.destroy({ force: true });
    console.log(JSON.stringify({ ok: errors.length === 0, errors, handshake_ms: hs, total_ms: Date.now() - start }));
    process.exit(errors.length === 0 ? 0 : 1);
  }
}
