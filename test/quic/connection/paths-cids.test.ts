// Connection IDs (RFC 9000 §5.1), path validation and migration (RFC 9000 §8.2, §9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from '../../sim/network.js';
import { deriveStatelessResetToken } from '../../../src/quic/crypto/stateless-reset.js';
import { CLIENT_ADDR, concat, makePair, runHandshake, SERVER_ADDR, type Pair } from './sim-node.js';

function established(o: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair(o);
  runHandshake(p);
  p.net.run({ until: p.net.now + 200 });
  assert.ok(p.client.has('handshake-confirmed'));
  return p;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('each side issues connection IDs up to the peer active_connection_id_limit (RFC 9000 §5.1.1)', () => {
  const p = established({ client: { transport: { activeConnectionIdLimit: 3 } }, server: { transport: { activeConnectionIdLimit: 5 } } });
  // The server may give the client 3 IDs (incl. its first), the client may give the server 5.
  assert.equal(p.server.eventsOf('cid-issued').length, 3);
  assert.equal(p.client.eventsOf('cid-issued').length, 5);
  const ids = p.client.eventsOf('cid-issued').map((e) => hex(e.cid));
  assert.equal(new Set(ids).size, ids.length, 'distinct IDs');
  for (const e of p.client.eventsOf('cid-issued')) assert.equal(e.statelessResetToken.length, 16);
});

test('the server stateless_reset_token transport parameter is the token of its first ID, as routed (RFC 9000 §18.2, §10.3.2)', () => {
  const key = new Uint8Array(32).fill(7); // serverOptions' statelessResetKey
  const p = established();
  const first = p.server.eventsOf('cid-issued')[0]!;
  const advertised = p.client.connection.peerTransportParameters?.statelessResetToken;
  assert.ok(advertised !== undefined);
  assert.equal(hex(advertised), hex(first.statelessResetToken));
  assert.equal(hex(advertised), hex(deriveStatelessResetToken(key, first.cid)));
});

test('rotating our IDs: the peer retires the old ones (retire_prior_to, RETIRE_CONNECTION_ID)', () => {
  const p = established();
  const before = p.client.eventsOf('cid-issued').map((e) => hex(e.cid));
  assert.ok(p.client.connection.rotateConnectionIds());
  p.net.run({ until: p.net.now + 500 });
  const retired = p.client.eventsOf('cid-retired').map((e) => hex(e.cid));
  assert.deepEqual(retired.sort(), before.slice().sort(), 'every old ID retired by the server');
  assert.ok(p.client.eventsOf('cid-issued').length >= 2 * before.length - 0, 'replacements issued');
  // The server now sends to a new ID, and the connection works.
  let dcidOk = true;
  p.net.tap = (d) => {
    if (d.from === SERVER_ADDR && (d.data[0]! & 0x80) === 0 && before.includes(hex(d.data.subarray(1, 9)))) dcidOk = false;
    return d.data;
  };
  const sid = p.server.connection.openStream(false)!;
  p.server.connection.streamWrite(sid, Buffer.from('still here'), true);
  let text = '';
  p.client.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') for (let d = node.connection.streamRead(sid); d; d = node.connection.streamRead(sid)) text += Buffer.from(d).toString();
  };
  p.net.run({ until: p.net.now + 500, done: () => p.client.has('stream-finished') });
  assert.equal(text, 'still here');
  assert.ok(p.client.has('stream-finished'));
  assert.ok(dcidOk, 'no packet to a retired ID');
});

/** Runs a client -> server transfer of `size` bytes, calling `midway` once the server has half of it. */
function transferWith(p: Pair, size: number, midway: () => void, untilMs = 60_000): { ok: boolean; received: number } {
  const data = new SimRandom(4).bytes(size);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  let off = 0;
  const pump = (): void => {
    while (off < data.length) {
      const n = client.streamWrite(sid, data.subarray(off, off + 16_384));
      if (n === 0) return;
      off += n;
    }
    client.streamFinish(sid);
  };
  p.client.onEvent = (ev) => {
    if (ev.type === 'stream-writable') pump();
  };
  const chunks: Uint8Array[] = [];
  let got = 0;
  let fired = false;
  let fin = false;
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') {
      for (let d = node.connection.streamRead(sid); d; d = node.connection.streamRead(sid)) {
        chunks.push(Uint8Array.from(d));
        got += d.length;
      }
      if (!fired && got >= size / 2) {
        fired = true;
        midway();
      }
    }
    if (ev.type === 'stream-finished') fin = true;
  };
  pump();
  p.net.run({ done: () => fin, until: p.net.now + untilMs, maxSteps: 500_000 });
  p.client.onEvent = undefined;
  p.server.onEvent = undefined;
  return { ok: fin && Buffer.from(concat(chunks)).equals(Buffer.from(data)), received: got };
}

test('NAT rebinding mid-transfer: the server validates the new address and the transfer goes on (RFC 9000 §9.3)', () => {
  const p = established();
  const r = transferWith(p, 400_000, () => p.net.rebind(CLIENT_ADDR, '10.0.0.1:6000'));
  assert.ok(r.ok, `transfer completed (${r.received} bytes)`);
  p.net.run({ until: p.net.now + 500 });
  const m = p.server.eventsOf('path-migrated');
  assert.equal(m.length, 1);
  assert.deepEqual(m[0]!.to, { local: SERVER_ADDR, remote: '10.0.0.1:6000' });
  assert.deepEqual(p.server.eventsOf('path-validated').map((e) => e.path.remote), ['10.0.0.1:6000']);
  assert.deepEqual(p.server.connection.currentPath, { local: SERVER_ADDR, remote: '10.0.0.1:6000' });
});

test('NAT rebinding with loss still completes', () => {
  const p = established({ seed: 3, link: { delayMs: 10, loss: 0.05 } });
  const r = transferWith(p, 200_000, () => p.net.rebind(CLIENT_ADDR, '10.0.0.1:6001'));
  assert.ok(r.ok);
  assert.ok(p.server.has('path-migrated'));
});

test('peer address change to a new host resets congestion state; a port change keeps it (RFC 9000 §9.4)', () => {
  const p = established();
  const before = p.server.connection.congestionWindow;
  assert.ok(transferWith(p, 100_000, () => p.net.rebind(CLIENT_ADDR, '10.0.0.1:5999')).ok);
  assert.equal(p.server.connection.congestionWindow, before, 'NAT rebinding (port only) keeps the window');
  const q = established();
  assert.ok(transferWith(q, 100_000, () => q.net.rebind(CLIENT_ADDR, '10.9.9.9:5000')).ok);
  assert.ok(q.server.has('path-migrated'));
  assert.ok(q.server.connection.congestionWindow < before, `window ${q.server.connection.congestionWindow} after a new address`);
});

test('client active migration to a new local address (RFC 9000 §9.2)', () => {
  const p = established();
  const newLocal = '10.0.0.3:7000';
  p.client.attachAlso(p.net, newLocal);
  const r = transferWith(p, 200_000, () => assert.ok(p.client.connection.migrate(newLocal)));
  assert.ok(r.ok);
  p.net.run({ until: p.net.now + 500 });
  assert.deepEqual(p.client.eventsOf('path-migrated')[0]!.to, { local: newLocal, remote: SERVER_ADDR });
  assert.ok(p.client.eventsOf('path-validated').some((e) => e.path.local === newLocal), 'client validated the new path');
  assert.ok(p.server.eventsOf('path-migrated').some((e) => e.to.remote === newLocal), 'server follows');
  assert.deepEqual(p.client.connection.currentPath, { local: newLocal, remote: SERVER_ADDR });
});

test('migration is refused when the server sent disable_active_migration, or before confirmation', () => {
  const p = established({ server: { transport: { disableActiveMigration: true } } });
  assert.equal(p.client.connection.migrate('10.0.0.3:7000'), false);
  const q = makePair();
  assert.equal(q.client.connection.migrate('10.0.0.3:7000'), false);
});

test('after migrate() the client validates the new path even with nothing to send', () => {
  const p = established();
  const client = p.client.connection;
  const probeAddr = '10.0.0.4:7100';
  p.client.attachAlso(p.net, probeAddr);
  assert.ok(client.migrate(probeAddr));
  p.net.run({ until: p.net.now + 300 });
  assert.ok(p.client.eventsOf('path-validated').some((e) => e.path.local === probeAddr));
});
