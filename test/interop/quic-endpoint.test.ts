// Our QUIC endpoint against two independent stacks, quic-go and quiche (test/helpers/interop.ts): our
// client against their echo servers, their clients against our echo server; ALPN "mqtt", the test PKI,
// data on bidirectional streams checked byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { connectQuic } from '../../src/quic/endpoint/client.js';
import { QuicServer } from '../../src/quic/endpoint/server.js';
import type { QuicStream } from '../../src/quic/endpoint/quic-stream.js';
import { certPath } from '../helpers/certs.js';
import { describePeerRun, runPeerClient, startPeerServer, type PeerKind } from '../helpers/interop.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');
const PEERS: PeerKind[] = ['quic-go', 'quiche'];

async function readAll(s: QuicStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

for (const peer of PEERS) {
  test(`interop: our client echoes 3 streams through the ${peer} server`, async (t) => {
    const server = await startPeerServer(peer);
    t.after(() => server.stop());
    const conn = await connectQuic({ host: '127.0.0.1', port: server.port, alpn: ['mqtt'], ca: [pem('ca.pem')], serverName: 'localhost', handshakeTimeoutMs: 10_000 });
    t.after(() => conn.close());
    assert.equal(conn.handshake?.alpn, 'mqtt');
    const payloads = [randomBytes(10), randomBytes(50_000), randomBytes(200_000)];
    const echoes = await Promise.all(
      payloads.map(async (p) => {
        const s = await conn.openStream();
        s.end(p);
        return readAll(s);
      }),
    );
    payloads.forEach((p, i) => assert.equal(digest(echoes[i]!), digest(p), `stream ${i}: ${echoes[i]!.length} bytes back of ${p.length}`));
  });

  for (const retry of [false, true]) {
    test(`interop: the ${peer} client echoes 2 streams through our server${retry ? ' with Retry (RFC 9000 §8.1.2, §7.3)' : ''}`, async (t) => {
      const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'], retry });
      server.on('connection', (c) =>
        c.on('stream', (s: QuicStream) => {
          s.on('error', () => undefined);
          s.pipe(s);
        }),
      );
      const { port } = await server.listen(0, '127.0.0.1');
      t.after(() => server.close({ graceMs: 100 }));
      const r = await runPeerClient(peer, { port, bytes: 100_000, streams: 2, timeoutMs: 30_000 });
      assert.equal(r.code, 0, describePeerRun(r));
      assert.equal(r.summary?.ok, true, JSON.stringify(r.summary));
      // With Retry the peer validated our original_destination_connection_id / retry_source_connection_id.
      assert.equal(server.udpEndpoint?.core.stats.retriesSent, retry ? 1 : 0);
    });
  }
}
