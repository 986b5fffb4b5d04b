// 1-RTT key update (RFC 9001 §6) during transfers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimRandom } from '../../sim/network.js';
import { makePair, runHandshake, transfer, type Pair } from './sim-node.js';

function established(o: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair(o);
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  assert.ok(p.client.has('handshake-confirmed'));
  return p;
}

test('periodic key updates initiated by the client: the server follows, data intact', () => {
  // A 1 MB/s link makes the transfer last long enough for several updates (each waits ~3 PTO, RFC 9001 §6.5).
  const p = established({ link: { delayMs: 10, bandwidth: 1_000_000 }, client: { limits: { keyUpdateIntervalPackets: 100 } } });
  const data = new SimRandom(8).bytes(600_000);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
  const gen = p.client.connection.keyGeneration;
  assert.ok(gen >= 2, `client key generation ${gen}`);
  // The responder moves to the same phase (RFC 9001 §6.2) with the next packet it receives.
  assert.ok(transfer(p, new Uint8Array(100)).finished);
  assert.equal(p.server.connection.keyGeneration, p.client.connection.keyGeneration);
});

test('key updates initiated by both sides mid-transfer, with loss and reordering', () => {
  const p = established({
    seed: 5,
    link: { delayMs: 10, loss: 0.05, jitterMs: 4, reorder: 0.1 },
    client: { limits: { keyUpdateIntervalPackets: 150 } },
    server: { limits: { keyUpdateIntervalPackets: 40 } },
  });
  const data = new SimRandom(9).bytes(400_000);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
  assert.ok(p.client.connection.keyGeneration >= 2);
  assert.ok(!p.client.has('closed') && !p.server.has('closed'));
});

test('updateKeys(): once per acknowledged phase (RFC 9001 §6.1)', () => {
  const p = established();
  const client = p.client.connection;
  // Some 1-RTT traffic acknowledged in the current phase.
  transfer(p, new Uint8Array(5000));
  assert.equal(client.updateKeys(), true);
  assert.equal(client.keyGeneration, 1);
  assert.equal(client.updateKeys(), false, 'not again before an ACK of a packet in the new phase');
  const r = transfer(p, new Uint8Array(20_000));
  assert.ok(r.finished);
  assert.equal(p.server.connection.keyGeneration, 1);
  // The old read keys are kept about 3 PTO (RFC 9001 §6.5); the next update waits until they are gone.
  p.net.run({ until: p.net.now + 1000 });
  assert.equal(client.updateKeys(), true);
  const r2 = transfer(p, new Uint8Array(20_000));
  assert.ok(r2.finished);
  assert.equal(p.server.connection.keyGeneration, 2);
});

test('updateKeys() is refused before the handshake is confirmed', () => {
  const p = makePair();
  assert.equal(p.client.connection.updateKeys(), false);
});
