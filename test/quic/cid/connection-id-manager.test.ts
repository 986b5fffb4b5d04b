import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionIdManager, type ConnectionIdFrame } from '../../../src/quic/cid/connection-id-manager.js';
import { StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { cid, counterRandom, hmacToken } from './cid-fixtures.js';

function endpoint(initial: Uint8Array, peerInitial: Uint8Array, seed: number): ConnectionIdManager {
  return new ConnectionIdManager({
    local: { initial, length: 8, random: counterRandom(seed), resetToken: hmacToken },
    peer: { initial: peerInitial, activeLimit: 4 },
  });
}

function deliver(to: ConnectionIdManager, f: ConnectionIdFrame): void {
  if (f.type === 'new_connection_id') to.onNewConnectionId(f.sequenceNumber, f.retirePriorTo, f.connectionId, f.statelessResetToken);
  else to.onRetireConnectionId(f.sequenceNumber);
}

function exchange(a: ConnectionIdManager, b: ConnectionIdManager): number {
  let moved = 0;
  for (let progress = true; progress && moved < 1000; ) {
    progress = false;
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (let f = from.pollFrame(); f !== undefined; f = from.pollFrame()) {
        deliver(to, f);
        from.onFrameAcked(f);
        moved++;
        progress = true;
      }
    }
  }
  return moved;
}

test('two endpoints exchange IDs up to each other\'s limits, then rotate on retirement', () => {
  const client = endpoint(cid(1, 1), cid(2, 2), 100);
  const server = endpoint(cid(2, 2), cid(1, 1), 200);
  client.setPeerActiveLimit(server.advertisedActiveLimit);
  server.setPeerActiveLimit(client.advertisedActiveLimit);
  exchange(client, server);
  assert.equal(client.local.activeIds().length, 4);
  assert.equal(server.peer.activeCount, 4);
  assert.equal(client.peer.activeCount, 4);
  // The client moves to a fresh server ID and retires the old one; the server replaces it.
  const fresh = client.peer.takeUnused()!;
  client.peer.useAsCurrent(fresh.sequenceNumber);
  client.peer.retire(0);
  exchange(client, server);
  assert.equal(client.peer.activeCount, 4);
  assert.deepEqual(client.currentPeerId.connectionId, fresh.connectionId);
  const routing: string[] = [];
  for (let e = server.pollRoutingEvent(); e !== undefined; e = server.pollRoutingEvent()) routing.push(`${e.type}:${e.sequenceNumber}`);
  assert.deepEqual(routing, ['issued:1', 'issued:2', 'issued:3', 'retired:0', 'issued:4']);
});

test('no new IDs before the handshake allows it; retirements still flow', () => {
  const m = endpoint(cid(1), cid(2), 1);
  assert.equal(m.pollFrame(false), undefined);
  assert.equal(m.pollFrame()!.type, 'new_connection_id');
});

test('lost frames are routed back to the side that sent them', () => {
  const m = endpoint(cid(1), cid(2), 1);
  const n = m.pollFrame()!;
  m.onFrameLost(n);
  assert.deepEqual(m.pollFrame(), n);
  m.onNewConnectionId(1, 1, cid(3), new Uint8Array(16).fill(3));
  const r = m.pollFrame()!;
  assert.deepEqual(r, { type: 'retire_connection_id', sequenceNumber: 0 });
  m.onFrameLost(r);
  assert.deepEqual(m.pollFrame(), r);
});

test('peer errors surface as StreamError with the transport code', () => {
  const m = endpoint(cid(1), cid(2), 1);
  assert.throws(
    () => m.onRetireConnectionId(5),
    (e: unknown) => e instanceof StreamError && e.code === TransportErrorCode.PROTOCOL_VIOLATION,
  );
  const reset = new Uint8Array(25);
  assert.equal(m.isStatelessReset(reset), false);
});
