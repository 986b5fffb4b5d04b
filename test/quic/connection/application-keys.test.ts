import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES } from '../../../src/quic/crypto/keys.js';
import { ApplicationKeys } from '../../../src/quic/connection/application-keys.js';

const suite = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;
const c2s = new Uint8Array(32).fill(1);
const s2c = new Uint8Array(32).fill(2);

function pair(): { client: ApplicationKeys; server: ApplicationKeys } {
  const client = new ApplicationKeys(suite);
  client.installWrite(c2s);
  client.installRead(s2c);
  const server = new ApplicationKeys(suite);
  server.installWrite(s2c);
  server.installRead(c2s);
  return { client, server };
}

/** Seals a 20-byte payload with `keys`' write protector and reports whether `reader` opens it. */
function roundTrip(writer: ApplicationKeys, reader: ApplicationKeys, pn: number): 'current' | 'previous' | 'next' | 'failed' {
  const buf = new Uint8Array(64);
  buf.set([0x40, 1, 2, 3]);
  const end = writer.write!.seal(buf, 0, 4, 24, pn);
  const choice = reader.readKeysFor(writer.keyPhaseBit, pn);
  if (choice === undefined) return 'failed';
  return choice.protector.open(buf, 0, 4, end, pn) === null ? 'failed' : choice.which;
}

test('initiating an update needs an ACK in the current phase (RFC 9001 §6.1)', () => {
  const { client } = pair();
  assert.equal(client.canInitiate, false);
  client.onPacketSent(0);
  client.onPacketAcked(0);
  assert.equal(client.canInitiate, true);
  client.initiate(0, 100);
  assert.equal(client.generationNumber, 1);
  assert.equal(client.keyPhaseBit, 1);
  assert.equal(client.canInitiate, false, 'no ACK in the new phase yet, and old keys still held');
});

test('the peer detects the flip, opens with the next keys and follows (RFC 9001 §6.2)', () => {
  const { client, server } = pair();
  assert.equal(roundTrip(client, server, 0), 'current');
  client.onPacketSent(0);
  client.onPacketAcked(0);
  client.initiate(10, 100);
  assert.equal(roundTrip(client, server, 1), 'next');
  server.onPacketOpened('next', 1, 11, 100);
  assert.equal(server.generationNumber, 1);
  // Both directions now use generation 1.
  assert.equal(roundTrip(server, client, 0), 'current');
});

test('a reordered packet of the old phase opens with the previous keys until they are dropped (§6.5)', () => {
  const { client, server } = pair();
  client.onPacketSent(0);
  client.onPacketAcked(0);
  // An old-phase packet sealed before the update, delivered after it.
  const buf = new Uint8Array(64);
  buf.set([0x40, 1, 2, 3]);
  const end = client.write!.seal(buf, 0, 4, 24, 5);
  client.initiate(10, 100);
  assert.equal(roundTrip(client, server, 6), 'next');
  server.onPacketOpened('next', 6, 11, 100);
  const old = server.readKeysFor(0, 5)!;
  assert.equal(old.which, 'previous');
  assert.notEqual(old.protector.open(buf, 0, 4, end, 5), null);
  server.onTimeout(11 + 100);
  assert.equal(server.hasPreviousKeys, false, 'previous keys dropped after 3 PTO');
});

test('a packet that fails authentication is not mistaken for an update', () => {
  const { server } = pair();
  const buf = new Uint8Array(64);
  const choice = server.readKeysFor(1, 0)!;
  assert.equal(choice.which, 'next');
  assert.equal(choice.protector.open(buf, 0, 4, 40, 0), null);
  assert.equal(server.generationNumber, 0);
});
