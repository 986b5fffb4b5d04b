// Heap held per idle QUIC connection: N connections between a QuicServer and one QuicClient in this
// process, heap measured (after full GCs) before and after. Each connection exists twice (client and
// server side), so the figure per connection is the delta / (2 * N).
//
//   node --expose-gc --import tsx bench/quic/idle-heap-snapshot.ts [connections=300]
//   (add --heapsnapshot-signal=SIGUSR2 or write v8.writeHeapSnapshot() to dig into what is held)
import { readFileSync } from 'node:fs';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { QuicServer } from '../../src/quic/endpoint/server.js';
import { QuicClient } from '../../src/quic/endpoint/client.js';
import type { QuicConnectionHandle } from '../../src/quic/endpoint/connection-handle.js';
import { certPath } from '../../test/helpers/certs.js';

const count = Number(process.argv[2] ?? 300);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

/** V8 heap in use plus ArrayBuffer backing stores (off-heap: Buffer pool blocks live there). */
function heapUsed(): { heap: number; arrayBuffers: number } {
  for (let i = 0; i < 4; i++) gc!();
  return { heap: getHeapStatistics().used_heap_size, arrayBuffers: process.memoryUsage().arrayBuffers };
}

const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], idleTimeoutMs: 600_000 });
const serverSide: QuicConnectionHandle[] = [];
server.on('connection', (c) => serverSide.push(c));
const { port } = await server.listen(0, '127.0.0.1');
const client = await QuicClient.create({ host: '127.0.0.1' });
const options = { host: '127.0.0.1', port, alpn: ['mqtt'], ca: [pem('ca.pem')], idleTimeoutMs: 600_000 };
// One warm-up connection so code, caches and pools that exist once per process are not counted.
(await client.connect(options)).close();
await new Promise((r) => setTimeout(r, 200));
const before = heapUsed();
const clientSide: QuicConnectionHandle[] = [];
for (let i = 0; i < count; i += 10) {
  const batch = await Promise.all(Array.from({ length: Math.min(10, count - i) }, () => client.connect(options)));
  clientSide.push(...batch);
}
// Let the post-handshake traffic (HANDSHAKE_DONE, NEW_TOKEN, tickets, ACKs, PMTU probes) settle.
await new Promise((r) => setTimeout(r, 1500));
const after = heapUsed();
const sides = clientSide.length + serverSide.length;
console.log(`connections: ${clientSide.length} client + ${serverSide.length} server`);
for (const key of ['heap', 'arrayBuffers'] as const) {
  const delta = after[key] - before[key];
  console.log(`${key} delta: ${(delta / 1024).toFixed(0)} KiB; per connection (either side): ${(delta / 1024 / sides).toFixed(1)} KiB`);
}
if (process.env.HEAP_SNAPSHOT === '1') console.log(`snapshot: ${writeHeapSnapshot()}`);
for (const c of clientSide) c.close();
await client.close({ graceMs: 100 });
await server.close({ graceMs: 100 });
