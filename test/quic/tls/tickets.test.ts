import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ReplayGuard,
  TICKET_KEYRING_DEFAULTS,
  TICKET_KEY_ID_LENGTH,
  TICKET_NONCE_LENGTH,
  TICKET_NONCES_PER_DRAW,
  TICKET_TAG_LENGTH,
  TicketKeyring,
} from '../../../src/quic/tls/tickets.js';

const HOUR = 3600 * 1000;
const state = Buffer.from('resumption secret, ALPN mqtt, SNI localhost, issued at ...');

/** A keyring on a virtual clock. */
function keyring(opts: { rotateEveryMs?: number; keepPrevious?: number; random?: (n: number) => Buffer } = {}) {
  const clock = { t: 1_000_000 };
  const ring = new TicketKeyring({ ...opts, now: () => clock.t });
  return { ring, clock };
}

describe('TicketKeyring', () => {
  it('opens what it sealed; the layout is key id, nonce, ciphertext, tag', () => {
    const { ring } = keyring();
    const ticket = ring.seal(state);
    assert.equal(ticket.length, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH + state.length + TICKET_TAG_LENGTH);
    assert.equal(ticket.includes(state), false, 'the state must not appear in clear');
    assert.deepEqual(ring.open(ticket), state);
    assert.deepEqual(ring.open(ring.seal(new Uint8Array(0))), Buffer.alloc(0));
  });

  it('uses a fresh nonce for every ticket', () => {
    const { ring } = keyring();
    const a = ring.seal(state);
    const b = ring.seal(state);
    assert.deepEqual(a.subarray(0, TICKET_KEY_ID_LENGTH), b.subarray(0, TICKET_KEY_ID_LENGTH));
    assert.notDeepEqual(a.subarray(TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH), b.subarray(TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH));
    assert.notDeepEqual(a, b);
  });

  it('default nonce source: every nonce distinct across CSPRNG draws of TICKET_NONCES_PER_DRAW nonces, each ticket opens', () => {
    const { ring } = keyring();
    const nonces = new Set<string>();
    const tickets: Buffer[] = [];
    // Two full draws and one nonce of a third: crosses both refills.
    const count = 2 * TICKET_NONCES_PER_DRAW + 1;
    for (let i = 0; i < count; i++) {
      const t = ring.seal(state);
      tickets.push(t);
      nonces.add(t.subarray(TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH).toString('hex'));
    }
    assert.equal(nonces.size, count);
    // A ticket's nonce is its own copy: later seals (which advance through the same block) do not change it.
    for (const t of tickets) assert.deepEqual(ring.open(t), state);
  });

  it('an injected random source also supplies the nonces (deterministic tests)', () => {
    let calls = 0;
    const random = (n: number): Buffer => Buffer.alloc(n, ++calls);
    const { ring } = keyring({ random });
    const before = calls;
    const t = ring.seal(state);
    assert.equal(calls, before + 1);
    assert.deepEqual(t.subarray(TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH), Buffer.alloc(TICKET_NONCE_LENGTH, calls));
    assert.throws(() => new TicketKeyring({ random: (n) => Buffer.alloc(n + 1) }), RangeError);
  });

  it('returns null for a change in any region: key id, nonce, ciphertext, tag', () => {
    const { ring } = keyring();
    const ticket = ring.seal(state);
    const regions = {
      keyId: 0,
      nonce: TICKET_KEY_ID_LENGTH + 5,
      ciphertext: TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH + 3,
      tag: ticket.length - 1,
    };
    for (const [region, offset] of Object.entries(regions)) {
      const tampered = Buffer.from(ticket);
      tampered[offset]! ^= 0x01;
      assert.equal(ring.open(tampered), null, region);
    }
    assert.deepEqual(ring.open(ticket), state, 'the original still opens');
  });

  it('returns null for truncated, extended, empty and foreign tickets', () => {
    const { ring } = keyring();
    const ticket = ring.seal(state);
    for (const len of [0, 1, TICKET_KEY_ID_LENGTH, TICKET_KEY_ID_LENGTH + TICKET_NONCE_LENGTH + TICKET_TAG_LENGTH - 1, ticket.length - 1]) {
      assert.equal(ring.open(ticket.subarray(0, len)), null, `length ${len}`);
    }
    assert.equal(ring.open(Buffer.concat([ticket, Buffer.of(0)])), null);
    assert.equal(keyring().ring.open(ticket), null, 'another keyring (another key) cannot open it');
    assert.equal(ring.open(new Uint8Array(100)), null);
  });

  it('keeps opening tickets for keepPrevious rotations, and not after', () => {
    const { ring, clock } = keyring({ rotateEveryMs: HOUR, keepPrevious: 2 });
    assert.equal(ring.guaranteedLifetimeMs, 2 * HOUR);
    const old = ring.seal(state);
    clock.t += HOUR; // first rotation
    const newer = ring.seal(state);
    assert.notDeepEqual(newer.subarray(0, TICKET_KEY_ID_LENGTH), old.subarray(0, TICKET_KEY_ID_LENGTH), 'a new key id');
    assert.deepEqual(ring.open(old), state);
    clock.t += HOUR; // second rotation: still within keepPrevious
    assert.deepEqual(ring.open(old), state);
    clock.t += HOUR; // third: the key of `old` is retired
    assert.equal(ring.open(old), null);
    assert.deepEqual(ring.open(newer), state);
  });

  it('retires keys by age after an idle gap, even without seals in between', () => {
    const { ring, clock } = keyring({ rotateEveryMs: HOUR, keepPrevious: 2 });
    const ticket = ring.seal(state);
    clock.t += 3 * HOUR;
    assert.equal(ring.open(ticket), null);
  });

  it('with keepPrevious 0 only the current key opens', () => {
    const { ring, clock } = keyring({ rotateEveryMs: HOUR, keepPrevious: 0 });
    const ticket = ring.seal(state);
    clock.t += HOUR - 1;
    assert.deepEqual(ring.open(ticket), state);
    clock.t += 1;
    assert.equal(ring.open(ticket), null);
  });

  it('is not confused by a clock that steps backwards', () => {
    const { ring, clock } = keyring({ rotateEveryMs: HOUR });
    clock.t += HOUR;
    const ticket = ring.seal(state);
    clock.t -= 2 * HOUR;
    assert.deepEqual(ring.open(ticket), state);
    assert.deepEqual(ring.open(ring.seal(state)), state);
  });

  it('opens tickets of both keys when two live keys share a key id', () => {
    let counter = 0;
    // Key ids are all zero; keys and nonces differ.
    const random = (n: number): Buffer => (n === TICKET_KEY_ID_LENGTH ? Buffer.alloc(n) : Buffer.alloc(n, ++counter));
    const { ring, clock } = keyring({ rotateEveryMs: HOUR, random });
    const first = ring.seal(state);
    clock.t += HOUR;
    const second = ring.seal(Buffer.from('other'));
    assert.deepEqual(ring.open(first), state);
    assert.deepEqual(ring.open(second), Buffer.from('other'));
  });

  it('uses the documented defaults and validates its options', () => {
    assert.equal(new TicketKeyring().guaranteedLifetimeMs, TICKET_KEYRING_DEFAULTS.keepPrevious * TICKET_KEYRING_DEFAULTS.rotateEveryMs);
    assert.throws(() => new TicketKeyring({ rotateEveryMs: 0 }), RangeError);
    assert.throws(() => new TicketKeyring({ keepPrevious: -1 }), RangeError);
    assert.throws(() => new TicketKeyring({ keepPrevious: 1.5 }), RangeError);
    assert.throws(() => new TicketKeyring({ random: () => Buffer.alloc(1) }), /random source returned 1 bytes/);
  });
});

describe('ReplayGuard', () => {
  const key = (n: number): Buffer => Buffer.from(`binder-${n}`);

  it('accepts the first use and refuses the second within the window', () => {
    const guard = new ReplayGuard({ windowMs: 10_000, maxEntries: 10 });
    assert.equal(guard.firstUse(key(1), 0), true);
    assert.equal(guard.firstUse(key(1), 9_999), false);
    assert.equal(guard.firstUse(key(2), 9_999), true);
  });

  it('accepts a key again once its window has passed', () => {
    const guard = new ReplayGuard({ windowMs: 10_000, maxEntries: 10 });
    assert.equal(guard.firstUse(key(1), 0), true);
    assert.equal(guard.firstUse(key(1), 10_000), true);
    assert.equal(guard.firstUse(key(1), 19_999), false);
  });

  it('compares keys by content, also for long keys it stores as a hash', () => {
    const guard = new ReplayGuard({ windowMs: 1000, maxEntries: 10 });
    const long = Buffer.alloc(100, 7);
    assert.equal(guard.firstUse(long, 0), true);
    assert.equal(guard.firstUse(Buffer.from(long), 1), false);
    const other = Buffer.from(long);
    other[99] = 8;
    assert.equal(guard.firstUse(other, 1), true);
    assert.equal(guard.firstUse(new Uint8Array(long.buffer, long.byteOffset, 100), 2), false);
  });

  it('refuses new keys when full instead of growing or forgetting live entries', () => {
    const guard = new ReplayGuard({ windowMs: 10_000, maxEntries: 3 });
    for (let i = 0; i < 3; i++) assert.equal(guard.firstUse(key(i), i), true);
    assert.equal(guard.firstUse(key(3), 10), false, 'full: treated as a replay');
    assert.equal(guard.size, 3);
    for (let i = 0; i < 3; i++) assert.equal(guard.firstUse(key(i), 11), false, 'live entries are kept');
    // Once the oldest entry expires there is room again.
    assert.equal(guard.firstUse(key(3), 10_000), true);
    assert.equal(guard.size, 3);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const guard = new ReplayGuard({ windowMs: 1000, maxEntries: 50 });
    let accepted = 0;
    for (let i = 0; i < 500; i++) if (guard.firstUse(key(i), i)) accepted++;
    // Nothing expires before t=1000, so only the first 50 got in.
    assert.equal(accepted, 50);
    assert.equal(guard.size, 50);
    // By t=1500 all of them have expired: the next 50 get in, then the guard is full again.
    accepted = 0;
    for (let i = 500; i < 600; i++) if (guard.firstUse(key(i), 1000 + i)) accepted++;
    assert.equal(accepted, 50);
    assert.equal(guard.size, 50);
  });

  it('validates its options', () => {
    assert.throws(() => new ReplayGuard({ windowMs: 0, maxEntries: 1 }), RangeError);
    assert.throws(() => new ReplayGuard({ windowMs: 1, maxEntries: 0 }), RangeError);
    assert.throws(() => new ReplayGuard({ windowMs: 1, maxEntries: 2.5 }), RangeError);
  });
});
