// Key schedule (RFC 8446 §7.1) against the RFC 8448 §3 values, the transcript hash including the
// HelloRetryRequest message_hash construction (§4.4.1), and the helpers built on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { digest } from '../../../src/quic/crypto/hkdf.js';
import {
  KeySchedule,
  emptyHash,
  exportKeyingMaterial,
  finishedKey,
  finishedVerifyData,
  macEqual,
  nextTrafficSecret,
  resumptionPsk,
  trafficKeys,
} from '../../../src/quic/tls/key-schedule.js';
import { Transcript } from '../../../src/quic/tls/transcript.js';
import { createKeyShare } from '../../../src/quic/tls/key-exchange.js';
import { Alert, TlsAlert } from '../../../src/quic/tls/alerts.js';
import { NamedGroup } from '../../../src/quic/tls/constants.js';
import { hex, loadVectors, toHex } from '../../helpers/vectors.js';

interface Vectors {
  client_x25519_private: string;
  client_x25519_public: string;
  server_x25519_public: string;
  client_hello: string;
  server_hello: string;
  key_schedule: Record<string, string>;
  handshake_messages: Record<string, string>;
}
const v = loadVectors<Vectors>('rfc8448-simple-1rtt.json');
const ks = v.key_schedule;
const m = v.handshake_messages;

function transcriptOf(...messages: string[]): Transcript {
  const t = new Transcript();
  t.setHash('sha256');
  for (const msg of messages) t.add(hex(msg));
  return t;
}

test('RFC 8448 §3: x25519 shared secret from the injected client private key', () => {
  const share = createKeyShare(NamedGroup.x25519, () => hex(v.client_x25519_private));
  assert.equal(toHex(share.publicKey), v.client_x25519_public);
  assert.equal(toHex(share.computeSecret(hex(v.server_x25519_public))), ks.ecdhe_shared_secret);
});

test('RFC 8448 §3: early, handshake and master secrets, traffic secrets, keys and IVs', () => {
  const s = new KeySchedule('sha256');
  assert.equal(toHex(s.earlySecret), ks.early_secret);
  assert.equal(toHex(emptyHash('sha256')), ks.empty_hash);
  assert.equal(toHex(s.inputSharedSecret(hex(ks.ecdhe_shared_secret!))), ks.handshake_secret);
  const thChSh = transcriptOf(v.client_hello, v.server_hello).current();
  assert.equal(toHex(thChSh), ks.transcript_hash_ch_sh);
  const chts = s.clientHandshakeTrafficSecret(thChSh);
  const shts = s.serverHandshakeTrafficSecret(thChSh);
  assert.equal(toHex(chts), ks.client_handshake_traffic_secret);
  assert.equal(toHex(shts), ks.server_handshake_traffic_secret);
  assert.equal(toHex(trafficKeys('sha256', shts, 16).key), ks.server_handshake_key);
  assert.equal(toHex(trafficKeys('sha256', shts, 16).iv), ks.server_handshake_iv);
  assert.equal(toHex(trafficKeys('sha256', chts, 16).key), ks.client_handshake_key);
  assert.equal(toHex(trafficKeys('sha256', chts, 16).iv), ks.client_handshake_iv);
  assert.equal(toHex(finishedKey('sha256', shts)), ks.server_finished_key);
  assert.equal(toHex(finishedKey('sha256', chts)), ks.client_finished_key);
  assert.equal(toHex(s.masterSecret), ks.master_secret);

  const t = transcriptOf(v.client_hello, v.server_hello, m.encrypted_extensions!, m.certificate!, m.certificate_verify!);
  assert.equal(toHex(finishedVerifyData('sha256', shts, t.current())), m.server_finished!.slice(8));
  t.add(hex(m.server_finished!));
  const thSfin = t.current();
  assert.equal(toHex(thSfin), ks.transcript_hash_ch_sfin);
  const cats = s.clientApplicationTrafficSecret(thSfin);
  const sats = s.serverApplicationTrafficSecret(thSfin);
  assert.equal(toHex(cats), ks.client_application_traffic_secret_0);
  assert.equal(toHex(sats), ks.server_application_traffic_secret_0);
  assert.equal(toHex(s.exporterMasterSecret(thSfin)), ks.exporter_master_secret);
  assert.equal(toHex(trafficKeys('sha256', sats, 16).key), ks.server_application_key);
  assert.equal(toHex(trafficKeys('sha256', cats, 16).iv), ks.client_application_iv);
  assert.equal(toHex(finishedVerifyData('sha256', chts, thSfin)), m.client_finished!.slice(8));
  t.add(hex(m.client_finished!));
  assert.equal(toHex(t.current()), ks.transcript_hash_ch_cfin);
  const rms = s.resumptionMasterSecret(t.current());
  assert.equal(toHex(rms), ks.resumption_master_secret);
  assert.equal(toHex(resumptionPsk('sha256', rms, hex(ks.ticket_nonce!))), ks.resumption_psk);
});

test('SHA-384 schedule: secrets are 48 bytes and differ from SHA-256', () => {
  const s = new KeySchedule('sha384');
  assert.equal(s.earlySecret.length, 48);
  s.inputSharedSecret(Buffer.alloc(32, 1));
  const th = digest('sha384', Buffer.from('x'));
  assert.equal(s.clientHandshakeTrafficSecret(th).length, 48);
  assert.equal(s.masterSecret.length, 48);
  assert.equal(trafficKeys('sha384', s.clientApplicationTrafficSecret(th), 32).key.length, 32);
  assert.throws(() => new KeySchedule('sha256').handshakeSecret, /not derived/);
});

test('transcript after HelloRetryRequest starts with message_hash(ClientHello1) (§4.4.1)', () => {
  const ch1 = Buffer.from('010000020303', 'hex');
  const hrr = Buffer.from('020000020303', 'hex');
  const t = new Transcript();
  t.add(ch1);
  t.replaceWithMessageHash('sha384');
  t.add(hrr);
  const inner = createHash('sha384').update(ch1).digest();
  const expected = createHash('sha384').update(Buffer.of(254, 0, 0, 48)).update(inner).update(hrr).digest();
  assert.deepEqual(t.current(), expected);
  assert.equal(t.hash, 'sha384');
  // peek() hashes buffered messages plus a suffix before the hash is fixed (client binders).
  const u = new Transcript();
  u.add(ch1);
  assert.deepEqual(u.peek('sha256', hrr), createHash('sha256').update(ch1).update(hrr).digest());
  assert.throws(() => u.current(), /not fixed/);
});

test('binder key, early traffic secret, key update, exporter and MAC comparison', () => {
  const psk = hex(ks.resumption_psk!);
  const s = new KeySchedule('sha256', psk);
  assert.notDeepEqual(s.binderKey(), s.binderKey(true));
  assert.equal(s.clientEarlyTrafficSecret(Buffer.alloc(32)).length, 32);
  const next = nextTrafficSecret('sha256', hex(ks.client_application_traffic_secret_0!));
  assert.equal(next.length, 32);
  assert.notEqual(toHex(next), ks.client_application_traffic_secret_0);
  const a = exportKeyingMaterial('sha256', hex(ks.exporter_master_secret!), 'EXPERIMENTAL test', Buffer.from('ctx'), 40);
  assert.equal(a.length, 40);
  assert.notDeepEqual(a, exportKeyingMaterial('sha256', hex(ks.exporter_master_secret!), 'EXPERIMENTAL test', Buffer.alloc(0), 40));
  assert.equal(macEqual(Buffer.alloc(32), Buffer.alloc(32)), true);
  assert.equal(macEqual(Buffer.alloc(32), Buffer.alloc(31)), false);
});

test('key shares reject invalid peer keys with illegal_parameter', () => {
  const x = createKeyShare(NamedGroup.x25519, () => Buffer.alloc(32, 7));
  const isIllegal = (e: unknown): boolean => e instanceof TlsAlert && e.alert === Alert.illegal_parameter;
  assert.throws(() => x.computeSecret(Buffer.alloc(31)), isIllegal);
  // RFC 7748 §6.1 / RFC 8446 §7.4.2: a small-order point gives the all-zero secret.
  assert.throws(() => x.computeSecret(Buffer.alloc(32)), isIllegal);
  const p = createKeyShare(NamedGroup.secp256r1, () => Buffer.alloc(32, 7));
  assert.equal(p.publicKey.length, 65);
  assert.throws(() => p.computeSecret(Buffer.alloc(65, 4)), isIllegal); // not on the curve
  assert.throws(() => p.computeSecret(Buffer.concat([Buffer.of(2), p.publicKey.subarray(1, 33)])), isIllegal); // compressed
  const q = createKeyShare(NamedGroup.secp256r1, () => Buffer.alloc(32, 9));
  assert.deepEqual(p.computeSecret(q.publicKey), q.computeSecret(p.publicKey));
});

test('full handshake: the precomputed no-PSK Early Secret and "derived" salt equal a PSK of HashLen zeros (RFC 8446 §7.1)', () => {
  for (const hash of ['sha256', 'sha384'] as const) {
    const zeros = Buffer.alloc(hash === 'sha256' ? 32 : 48);
    const shared = Buffer.alloc(32, 0x5a);
    const full = new KeySchedule(hash);
    const explicit = new KeySchedule(hash, zeros);
    assert.deepEqual(full.earlySecret, explicit.earlySecret);
    assert.deepEqual(full.inputSharedSecret(shared), explicit.inputSharedSecret(shared));
    assert.deepEqual(full.masterSecret, explicit.masterSecret);
    // Each schedule has its own copy: scribbling on one does not reach the next.
    full.earlySecret.fill(0xff);
    assert.deepEqual(new KeySchedule(hash).earlySecret, explicit.earlySecret);
    assert.deepEqual(new KeySchedule(hash).inputSharedSecret(shared), explicit.handshakeSecret);
  }
});
