import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalConnectionIds, type NewConnectionIdFrame } from '../../../src/quic/cid/local-connection-ids.js';
import { LocalStreamError, StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { cid, counterRandom, hmacToken } from './cid-fixtures.js';

const violation = (e: unknown) => e instanceof StreamError && e.code === TransportErrorCode.PROTOCOL_VIOLATION;

function make(options: Partial<ConstructorParameters<typeof LocalConnectionIds>[0]> = {}): LocalConnectionIds {
  return new LocalConnectionIds({ initial: cid(9, 9, 9, 9), length: 4, random: counterRandom(), resetToken: hmacToken, ...options });
}

function frames(ids: LocalConnectionIds): NewConnectionIdFrame[] {
  const out: NewConnectionIdFrame[] = [];
  for (let f = ids.pollFrame(); f !== undefined && out.length < 100; f = ids.pollFrame()) out.push(f);
  return out;
}

test('issues IDs up to the peer limit with sequence numbers and reset tokens (RFC 9000 §5.1.1)', () => {
  const ids = make();
  ids.replenish();
  const first = frames(ids);
  assert.equal(first.length, 1); // default limit 2, seq 0 counts
  assert.deepEqual(first[0], {
    type: 'new_connection_id',
    sequenceNumber: 1,
    retirePriorTo: 0,
    connectionId: cid(0, 0, 0, 1),
    statelessResetToken: hmacToken(cid(0, 0, 0, 1)),
  });
  ids.setPeerActiveLimit(4);
  ids.replenish();
  assert.deepEqual(frames(ids).map((f) => f.sequenceNumber), [2, 3]);
  assert.equal(ids.activeIds().length, 4);
  ids.replenish();
  assert.deepEqual(frames(ids), []);
});

test('our own cap bounds the IDs issued whatever the peer allows', () => {
  const ids = make({ maxIssued: 3 });
  ids.setPeerActiveLimit(100);
  ids.replenish();
  assert.equal(ids.activeIds().length, 3);
});

test('routing events report issued and retired IDs', () => {
  const ids = make();
  ids.replenish();
  assert.deepEqual(ids.pollEvent(), {
    type: 'issued',
    sequenceNumber: 1,
    connectionId: cid(0, 0, 0, 1),
    statelessResetToken: hmacToken(cid(0, 0, 0, 1)),
  });
  frames(ids);
  ids.onRetire(0);
  assert.deepEqual(ids.pollEvent(), { type: 'retired', sequenceNumber: 0, connectionId: cid(9, 9, 9, 9) });
  assert.equal(ids.pollEvent(), undefined);
  assert.equal(ids.sequenceOf(cid(9, 9, 9, 9)), undefined);
  assert.equal(ids.sequenceOf(cid(0, 0, 0, 1)), 1);
});

test('a retired ID is replaced by a new one', () => {
  const ids = make();
  ids.replenish();
  frames(ids);
  ids.onRetire(1);
  ids.replenish();
  assert.deepEqual(frames(ids).map((f) => f.sequenceNumber), [2]);
  ids.onRetire(1); // repeated: ignored
  assert.equal(ids.activeIds().length, 2);
});

test('RETIRE_CONNECTION_ID for a sequence never sent is PROTOCOL_VIOLATION (RFC 9000 §19.16)', () => {
  const ids = make();
  assert.throws(() => ids.onRetire(1), violation);
  ids.replenish(); // created but not yet sent: still "never sent"
  assert.throws(() => ids.onRetire(1), violation);
  frames(ids);
  ids.onRetire(1);
});

test('retiring the ID the packet was sent to is PROTOCOL_VIOLATION (RFC 9000 §19.16)', () => {
  const ids = make();
  ids.replenish();
  frames(ids);
  assert.throws(() => ids.onRetire(1, 1), violation);
  ids.onRetire(1, 0);
});

test('RETIRE_CONNECTION_ID with zero-length IDs is PROTOCOL_VIOLATION; none are issued', () => {
  const ids = make({ initial: new Uint8Array(0), length: 0 });
  ids.replenish();
  assert.deepEqual(frames(ids), []);
  assert.throws(() => ids.onRetire(0), violation);
});

test('a lost NEW_CONNECTION_ID is resent while the ID is active', () => {
  const ids = make();
  ids.replenish();
  const [f] = frames(ids);
  ids.onFrameLost(f!);
  assert.deepEqual(frames(ids), [f]);
  ids.onRetire(1);
  ids.onFrameLost(f!);
  assert.deepEqual(frames(ids), []);
});

test('generated IDs avoid ones already in use', () => {
  const taken = new Set(['00000001', '00000002']);
  const ids = make({ isInUse: (c) => taken.has(Buffer.from(c).toString('hex')) });
  ids.replenish();
  assert.deepEqual(frames(ids)[0]!.connectionId, cid(0, 0, 0, 3));
});

test('giving up after repeated collisions is a local error, not a loop', () => {
  const ids = make({ isInUse: () => true });
  assert.throws(() => ids.replenish(), (e: unknown) => e instanceof LocalStreamError && e.code === 'ERR_CID_EXHAUSTED');
});

test('invalid configuration is rejected', () => {
  assert.throws(() => make({ length: 21 }), LocalStreamError);
  assert.throws(() => make().setPeerActiveLimit(1), LocalStreamError);
  assert.throws(() => make({ resetToken: () => new Uint8Array(8) }).replenish(), LocalStreamError);
});

test('rotate asks the peer to retire all issued IDs and issues replacements (RFC 9000 §5.1.2)', () => {
  const ids = make();
  ids.setPeerActiveLimit(3);
  ids.replenish();
  frames(ids); // seq 1, 2
  ids.rotate();
  const sent = frames(ids);
  assert.deepEqual(sent.map((f) => [f.sequenceNumber, f.retirePriorTo]), [[3, 3], [4, 3], [5, 3]]);
  // Old IDs stay routable until the peer retires them.
  assert.equal(ids.activeIds().length, 6);
  for (const seq of [0, 1, 2]) ids.onRetire(seq);
  assert.deepEqual(ids.activeIds().map((i) => i.sequenceNumber), [3, 4, 5]);
});

test('a lost NEW_CONNECTION_ID for an ID since asked to retire is not resent', () => {
  const ids = make();
  ids.replenish();
  const [old] = frames(ids);
  ids.rotate();
  frames(ids);
  ids.onFrameLost(old!);
  assert.deepEqual(frames(ids), []);
});

test('rotation keeps memory bounded when the peer never retires', () => {
  const ids = make({ maxIssued: 2 });
  for (let i = 0; i < 10; i++) {
    ids.rotate();
    frames(ids);
  }
  assert.ok(ids.activeIds().length <= 4);
});

test('reset tokens are derived from the ID when needed, not stored: event, frame, resent frame and activeIds agree', () => {
  let derivations = 0;
  const ids = make({ resetToken: (c) => (derivations++, hmacToken(c)) });
  ids.setPeerActiveLimit(3);
  ids.replenish();
  const issued = [];
  for (let ev = ids.pollEvent(); ev !== undefined; ev = ids.pollEvent()) issued.push(ev);
  assert.equal(ids.pollEvent(), undefined);
  assert.deepEqual(
    issued.map((e) => (e.type === 'issued' ? [e.sequenceNumber, e.statelessResetToken] : [])),
    [
      [1, hmacToken(cid(0, 0, 0, 1))],
      [2, hmacToken(cid(0, 0, 0, 2))],
    ],
  );
  const sent = frames(ids);
  assert.deepEqual(sent.map((f) => f.statelessResetToken), [hmacToken(cid(0, 0, 0, 1)), hmacToken(cid(0, 0, 0, 2))]);
  const before = derivations;
  ids.onFrameLost(sent[1]!);
  const resent = frames(ids);
  assert.equal(resent.length, 1);
  assert.deepEqual(resent[0], sent[1]);
  assert.equal(derivations, before + 1); // derived again for the retransmission
  assert.deepEqual(
    ids.activeIds().map((i) => i.statelessResetToken),
    [hmacToken(cid(9, 9, 9, 9)), hmacToken(cid(0, 0, 0, 1)), hmacToken(cid(0, 0, 0, 2))],
  );
});

test('zero-length IDs have an all-zero token and never derive one', () => {
  const ids = make({ initial: new Uint8Array(0), length: 0, resetToken: () => assert.fail('no token for zero-length IDs') });
  assert.deepEqual(ids.activeIds(), [{ sequenceNumber: 0, connectionId: new Uint8Array(0), statelessResetToken: new Uint8Array(16) }]);
});

test('the token derived when an ID is issued goes into its first NEW_CONNECTION_ID; a resend after loss derives it again', () => {
  const derivedFor: string[] = [];
  const resetToken = (c: Uint8Array): Uint8Array => {
    derivedFor.push(Buffer.from(c).toString('hex'));
    return hmacToken(c);
  };
  const ids = make({ resetToken });
  ids.setPeerActiveLimit(4);
  ids.replenish();
  assert.equal(derivedFor.length, 3, 'one derivation per issued ID (for the routing event)');
  const events: Uint8Array[] = [];
  for (let e = ids.pollEvent(); e !== undefined; e = ids.pollEvent()) if (e.type === 'issued') events.push(e.statelessResetToken);
  const sent = frames(ids);
  assert.equal(derivedFor.length, 3, 'the frames reuse the tokens derived at issue time');
  assert.deepEqual(
    sent.map((f) => f.statelessResetToken),
    sent.map((f) => hmacToken(f.connectionId)),
  );
  assert.deepEqual(events, sent.map((f) => f.statelessResetToken));
  // RFC 9000 §13.3: a lost NEW_CONNECTION_ID is sent again, with the same token, derived anew.
  ids.onFrameLost(sent[1]!);
  const resent = frames(ids);
  assert.equal(resent.length, 1);
  assert.equal(derivedFor.length, 4);
  assert.deepEqual(resent[0], sent[1]);
  // activeIds() keeps deriving on demand (nothing cached once the frame went out).
  ids.activeIds();
  assert.equal(derivedFor.length, 4 + 4);
});
