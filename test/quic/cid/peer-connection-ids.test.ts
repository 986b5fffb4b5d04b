import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeerConnectionIds, type RetireConnectionIdFrame } from '../../../src/quic/cid/peer-connection-ids.js';
import { LocalStreamError, StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { cid, token } from './cid-fixtures.js';

const code = (c: number) => (e: unknown) => e instanceof StreamError && e.code === c;

function make(activeLimit = 4): PeerConnectionIds {
  return new PeerConnectionIds({ initial: cid(0xa0), initialResetToken: token(0xa0), activeLimit });
}

function retires(p: PeerConnectionIds): number[] {
  const out: RetireConnectionIdFrame[] = [];
  for (let f = p.pollFrame(); f !== undefined && out.length < 100; f = p.pollFrame()) out.push(f);
  return out.map((f) => f.sequenceNumber);
}

test('stores new IDs up to our active_connection_id_limit (RFC 9000 §5.1.1)', () => {
  const p = make(3);
  p.onNewConnectionId(1, 0, cid(1), token(1));
  p.onNewConnectionId(2, 0, cid(2), token(2));
  assert.equal(p.activeCount, 3);
  assert.throws(() => p.onNewConnectionId(3, 0, cid(3), token(3)), code(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR));
});

test('retire_prior_to retires older IDs before counting the limit, and switches the current ID', () => {
  const p = make(2);
  p.onNewConnectionId(1, 0, cid(1), token(1));
  assert.deepEqual(p.current.connectionId, cid(0xa0));
  p.onNewConnectionId(2, 2, cid(2), token(2)); // retires 0 and 1: still within the limit
  assert.deepEqual(retires(p), [0, 1]);
  assert.equal(p.activeCount, 1);
  assert.equal(p.current.sequenceNumber, 2);
});

test('an ID arriving already below retire_prior_to is retired at once (RFC 9000 §19.15)', () => {
  const p = make(2);
  p.onNewConnectionId(5, 5, cid(5), token(5));
  retires(p);
  p.onNewConnectionId(3, 0, cid(3), token(3)); // reordered older frame
  assert.deepEqual(retires(p), [3]);
  assert.equal(p.activeCount, 1);
});

test('a retransmitted NEW_CONNECTION_ID is accepted; a changed one is PROTOCOL_VIOLATION', () => {
  const p = make();
  p.onNewConnectionId(1, 0, cid(1), token(1));
  p.onNewConnectionId(1, 0, cid(1), token(1));
  assert.equal(p.activeCount, 2);
  assert.throws(() => p.onNewConnectionId(1, 0, cid(7), token(1)), code(TransportErrorCode.PROTOCOL_VIOLATION));
  assert.throws(() => p.onNewConnectionId(1, 0, cid(1), token(9)), code(TransportErrorCode.PROTOCOL_VIOLATION));
  // The same ID under another sequence number.
  assert.throws(() => p.onNewConnectionId(2, 0, cid(1), token(2)), code(TransportErrorCode.PROTOCOL_VIOLATION));
});

test('malformed NEW_CONNECTION_ID fields are FRAME_ENCODING_ERROR (RFC 9000 §19.15)', () => {
  const p = make();
  const enc = code(TransportErrorCode.FRAME_ENCODING_ERROR);
  assert.throws(() => p.onNewConnectionId(1, 2, cid(1), token(1)), enc);
  assert.throws(() => p.onNewConnectionId(1, 0, new Uint8Array(0), token(1)), enc);
  assert.throws(() => p.onNewConnectionId(1, 0, new Uint8Array(21), token(1)), enc);
  assert.throws(() => p.onNewConnectionId(1, 0, cid(1), new Uint8Array(15)), enc);
});

test('NEW_CONNECTION_ID while the peer uses a zero-length ID is PROTOCOL_VIOLATION', () => {
  const p = new PeerConnectionIds({ initial: new Uint8Array(0) });
  assert.throws(() => p.onNewConnectionId(1, 0, cid(1), token(1)), code(TransportErrorCode.PROTOCOL_VIOLATION));
});

test('an unused ID is handed out for a new path, never twice (RFC 9000 §9.5)', () => {
  const p = make();
  assert.equal(p.takeUnused(), undefined);
  p.onNewConnectionId(1, 0, cid(1), token(1));
  p.onNewConnectionId(2, 0, cid(2), token(2));
  assert.equal(p.takeUnused()!.sequenceNumber, 1);
  assert.equal(p.takeUnused()!.sequenceNumber, 2);
  assert.equal(p.takeUnused(), undefined);
  p.useAsCurrent(2);
  assert.equal(p.current.sequenceNumber, 2);
  assert.throws(() => p.useAsCurrent(9), LocalStreamError);
});

test('voluntary retirement sends RETIRE_CONNECTION_ID and ignores later retransmissions of the ID', () => {
  const p = make();
  p.onNewConnectionId(1, 0, cid(1), token(1));
  p.retire(0);
  assert.equal(p.current.sequenceNumber, 1);
  assert.deepEqual(retires(p), [0]);
  assert.throws(() => p.retire(1), LocalStreamError); // the only one left
  p.onNewConnectionId(2, 0, cid(2), token(2));
  p.retire(2);
  p.onNewConnectionId(2, 0, cid(2), token(2)); // retransmission of a retired ID: not re-added
  assert.equal(p.activeCount, 1);
});

test('a lost RETIRE_CONNECTION_ID is resent until acknowledged', () => {
  const p = make();
  p.onNewConnectionId(1, 1, cid(1), token(1));
  const [seq] = retires(p);
  p.onFrameLost({ type: 'retire_connection_id', sequenceNumber: seq! });
  assert.deepEqual(retires(p), [0]);
  p.onFrameAcked({ type: 'retire_connection_id', sequenceNumber: 0 });
  p.onFrameLost({ type: 'retire_connection_id', sequenceNumber: 0 }); // after ack: nothing
  assert.deepEqual(retires(p), []);
});

test('too many retirements outstanding is CONNECTION_ID_LIMIT_ERROR (RFC 9000 §5.1.2)', () => {
  const p = new PeerConnectionIds({ initial: cid(0xa0), activeLimit: 2, maxPendingRetirements: 3 });
  p.onNewConnectionId(1, 1, cid(1), token(1)); // 0 pending
  p.onNewConnectionId(2, 2, cid(2), token(2)); // 0, 1 pending
  p.onNewConnectionId(3, 3, cid(3), token(3)); // 0, 1, 2 pending
  assert.throws(() => p.onNewConnectionId(4, 4, cid(4), token(4)), code(TransportErrorCode.CONNECTION_ID_LIMIT_ERROR));
});

test('stateless reset: matches the token of a used ID in the datagram tail (RFC 9000 §10.3.1)', () => {
  const p = make();
  const reset = new Uint8Array(40).fill(0x55);
  reset.set(token(0xa0), 24);
  assert.ok(p.isStatelessReset(reset));
  assert.ok(!p.isStatelessReset(reset.subarray(4, 20))); // shorter than 21 bytes: never
  reset.set(token(1), 24);
  p.onNewConnectionId(1, 0, cid(1), token(1));
  assert.ok(!p.isStatelessReset(reset)); // ID 1 was never used
  p.takeUnused();
  assert.ok(p.isStatelessReset(reset));
  p.retire(1);
  assert.ok(!p.isStatelessReset(reset)); // retired: no longer checked
});

test('client: the initial ID and its token can be set from the handshake', () => {
  const p = new PeerConnectionIds({ initial: cid(1, 2, 3) });
  const reset = new Uint8Array(30);
  reset.set(token(7), 14);
  assert.ok(!p.isStatelessReset(reset));
  p.replaceInitial(cid(4, 5, 6));
  p.setInitialResetToken(token(7));
  assert.deepEqual(p.current.connectionId, cid(4, 5, 6));
  assert.ok(p.isStatelessReset(reset));
  p.onNewConnectionId(1, 0, cid(1), token(1));
  assert.throws(() => p.replaceInitial(cid(8)), LocalStreamError);
});

test('sequence 0 repeated in a frame may supply its missing token', () => {
  const p = new PeerConnectionIds({ initial: cid(1, 2, 3) });
  p.onNewConnectionId(0, 0, cid(1, 2, 3), token(3));
  assert.equal(p.activeCount, 1);
  assert.throws(() => p.onNewConnectionId(0, 0, cid(1, 2, 3), token(4)), code(TransportErrorCode.PROTOCOL_VIOLATION));
});

test('an active limit below 2 is rejected', () => {
  assert.throws(() => new PeerConnectionIds({ initial: cid(1), activeLimit: 1 }), LocalStreamError);
});

test('a stored ID and its token are copies: the frame buffer can be reused', () => {
  const p = make(3);
  const id = cid(7, 7, 7);
  const t = token(7);
  p.onNewConnectionId(1, 0, id, t);
  id.fill(0);
  t.fill(0);
  p.retire(0);
  assert.deepEqual(p.current.connectionId, cid(7, 7, 7));
  assert.deepEqual(p.current.statelessResetToken, token(7));
  const reset = new Uint8Array(40);
  reset.set(token(7), 24);
  assert.equal(p.isStatelessReset(reset), true);
});

test('a lost RETIRE_CONNECTION_ID is queued once, after those already waiting, and stops once acknowledged', () => {
  const p = make(4);
  p.onNewConnectionId(1, 0, cid(1), token(1));
  p.onNewConnectionId(2, 0, cid(2), token(2));
  p.onNewConnectionId(3, 0, cid(3), token(3));
  p.retire(0);
  const first = p.pollFrame()!;
  assert.equal(first.sequenceNumber, 0);
  p.retire(1);
  p.onFrameLost(first);
  p.onFrameLost(first); // not in flight any more: no second copy
  assert.deepEqual(retires(p), [1, 0]);
  p.onFrameAcked({ type: 'retire_connection_id', sequenceNumber: 0 });
  p.onFrameLost({ type: 'retire_connection_id', sequenceNumber: 0 });
  assert.deepEqual(retires(p), []);
  assert.equal(p.hasPendingFrame, false);
});
