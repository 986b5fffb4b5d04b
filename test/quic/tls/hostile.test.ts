// Malformed and hostile peer input: each case ends the victim engine with exactly one 'error' event
// carrying the alert RFC 8446 calls for, and nothing ever throws out of receive().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert, alertName } from '../../../src/quic/tls/alerts.js';
import { DOWNGRADE_TLS12, ExtensionType as X, HandshakeType as HT } from '../../../src/quic/tls/constants.js';
import { encodeAlpn, encodeKeyShareClient, encodeKeyShareRetry, type Extensions } from '../../../src/quic/tls/extensions.js';
import { HandshakeFramer, type RawHandshakeMessage } from '../../../src/quic/tls/framer.js';
import {
  decodeClientHello,
  decodeServerHello,
  encodeCertificate,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeHandshake,
  encodeKeyUpdate,
  encodeNewSessionTicket,
  encodeServerHello,
} from '../../../src/quic/tls/messages.js';
import { TlsServer } from '../../../src/quic/tls/server.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import type { TlsEvent } from '../../../src/quic/tls/types.js';
import { Writer } from '../../../src/quic/tls/wire.js';
import { clientOptions, newPair, pem, serverOptions, ticketing } from './fixtures.js';
import { eventsOf, pump, type PumpResult } from './pair.js';

type Side = 'client' | 'server';
type Tamper = Parameters<typeof pump>[2];

function messages(data: Buffer): RawHandshakeMessage[] {
  const f = new HandshakeFramer();
  f.push(data);
  const out: RawHandshakeMessage[] = [];
  for (let m = f.next(); m; m = f.next()) out.push(m);
  return out;
}

function rewriteClientHello(raw: Buffer, fn: (exts: Extensions, ch: ReturnType<typeof decodeClientHello>) => void): Buffer {
  const ch = decodeClientHello(raw.subarray(4));
  fn(ch.extensions, ch);
  return encodeClientHello({ random: ch.random, legacySessionId: ch.legacySessionId, cipherSuites: ch.cipherSuites, extensions: [...ch.extensions.entries()] });
}

function rewriteServerHello(raw: Buffer, fn: (exts: Extensions, sh: ReturnType<typeof decodeServerHello>) => void): Buffer {
  const sh = decodeServerHello(raw.subarray(4));
  fn(sh.extensions, sh);
  return encodeServerHello({ random: sh.random, legacySessionIdEcho: sh.legacySessionIdEcho, cipherSuite: sh.cipherSuite, extensions: [...sh.extensions.entries()] });
}

/** Rewrites one message (by type) inside a flight. */
function rewriteInFlight(flight: Buffer, type: number, fn: (m: RawHandshakeMessage) => Buffer): Buffer {
  return Buffer.concat(messages(flight).map((m) => (m.type === type ? fn(m) : m.raw)));
}

/** Tamper with the first flight `side` sends at `level` only. */
function once(side: Side, level: string, fn: (data: Buffer) => Buffer): Tamper {
  let done = false;
  return (from, ev) => {
    if (from !== side || ev.level !== level || done) return ev.data;
    done = true;
    return fn(ev.data);
  };
}

function expectAlert(r: PumpResult, victim: Side, alert: number, re?: RegExp): void {
  const errors = eventsOf(r[victim], 'error');
  assert.equal(errors.length, 1, `${victim} has one error event (got ${JSON.stringify(errors)})`);
  assert.equal(errors[0]!.alert, alert, `${victim}: expected ${alertName(alert)}, got ${alertName(errors[0]!.alert)}: ${errors[0]!.message}`);
  if (re) assert.match(errors[0]!.message, re);
  // Nothing follows the error (post-handshake errors may come after a completed handshake).
  assert.equal(r[victim].at(-1), errors[0], 'the error is the last event');
}

function run(tamper: Tamper, c = {}, s = {}): PumpResult {
  const { client, server } = newPair(c, s);
  return pump(client, server, tamper);
}

const clientVictims: Array<[string, number, Tamper, object?, object?]> = [
  ['truncated ServerHello (header length adjusted)', Alert.decode_error, once('server', 'initial', (d) => encodeHandshake(HT.server_hello, d.subarray(4, d.length - 1)))],
  ['ServerHello with an extension length running past the block', Alert.decode_error, once('server', 'initial', (d) => {
    const b = Buffer.from(d);
    // 4 (header) + 2 + 32 + 1 (empty session id) + 2 + 1 + 2 (block length) + 2 (type) = 46.
    b.writeUInt16BE(b.readUInt16BE(46) + 1, 46); // first extension's length + 1
    return b;
  })],
  ['ServerHello carrying the TLS 1.2 downgrade sentinel', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (e, sh) => {
    e.delete(X.supported_versions);
    DOWNGRADE_TLS12.copy(sh.random, 24);
  }))],
  ['ServerHello negotiating TLS 1.2', Alert.protocol_version, once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.delete(X.supported_versions)))],
  ['ServerHello selecting a cipher suite that was not offered', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (_e, sh) => (sh.cipherSuite = 0x1302))), { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }],
  ['ServerHello with a wrong legacy_session_id_echo', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (_e, sh) => (sh.legacySessionIdEcho = Buffer.alloc(32, 1))))],
  ['ServerHello with an unsolicited extension', Alert.unsupported_extension, once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.set(0xfafa, Buffer.alloc(0))))],
  ['ServerHello with early_data (not allowed there)', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.set(X.early_data, Buffer.alloc(0))))],
  ['ServerHello key_share of another group', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.set(X.key_share, Buffer.concat([Buffer.of(0, 0x17, 0, 65), Buffer.alloc(65, 4)]))))],
  ['ServerHello x25519 share of the wrong size', Alert.illegal_parameter, once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.set(X.key_share, Buffer.concat([Buffer.of(0, 0x1d, 0, 31), Buffer.alloc(31, 9)]))))],
  ['bytes left over after the ServerHello at the initial level', Alert.unexpected_message, once('server', 'initial', (d) => Buffer.concat([d, Buffer.of(8)]))],
  ['EncryptedExtensions with a duplicate extension', Alert.illegal_parameter, once('server', 'handshake', (d) => rewriteInFlight(d, HT.encrypted_extensions, (m) => {
    const w = new Writer().u16(X.server_name).u16(0).u16(X.server_name).u16(0);
    return encodeHandshake(HT.encrypted_extensions, new Writer().opaque(2, w.finish()).finish());
  }))],
  ['EncryptedExtensions without quic_transport_parameters', Alert.missing_extension, once('server', 'handshake', (d) => rewriteInFlight(d, HT.encrypted_extensions, () => encodeEncryptedExtensions([[X.application_layer_protocol_negotiation, encodeAlpn(['mqtt'])]])))],
  ['EncryptedExtensions selecting an ALPN protocol that was not offered', Alert.illegal_parameter, once('server', 'handshake', (d) => rewriteInFlight(d, HT.encrypted_extensions, () => encodeEncryptedExtensions([[X.application_layer_protocol_negotiation, encodeAlpn(['h3'])], [X.quic_transport_parameters, Buffer.alloc(0)]])))],
  ['EncryptedExtensions without ALPN in QUIC', Alert.no_application_protocol, once('server', 'handshake', (d) => rewriteInFlight(d, HT.encrypted_extensions, () => encodeEncryptedExtensions([[X.quic_transport_parameters, Buffer.alloc(0)]])))],
  ['an empty server Certificate', Alert.decode_error, once('server', 'handshake', (d) => rewriteInFlight(d, HT.certificate, () => encodeCertificate(Buffer.alloc(0), [])))],
  ['a bad CertificateVerify signature', Alert.decrypt_error, once('server', 'handshake', (d) => rewriteInFlight(d, HT.certificate_verify, (m) => {
    const b = Buffer.from(m.raw);
    b[b.length - 5]! ^= 0x40;
    return b;
  }))],
  ['CertificateVerify with rsa_pkcs1_sha256', Alert.illegal_parameter, once('server', 'handshake', (d) => rewriteInFlight(d, HT.certificate_verify, (m) => {
    const b = Buffer.from(m.raw);
    b.writeUInt16BE(0x0401, 4);
    return b;
  }))],
  ['a wrong server Finished', Alert.decrypt_error, once('server', 'handshake', (d) => {
    const b = Buffer.from(d);
    b[b.length - 1]! ^= 1;
    return b;
  })],
  ['messages out of order (Finished before Certificate)', Alert.unexpected_message, once('server', 'handshake', (d) => {
    const ms = messages(d);
    return Buffer.concat([ms[0]!.raw, ms[3]!.raw, ms[1]!.raw, ms[2]!.raw]);
  })],
  ['an oversized handshake message header', Alert.illegal_parameter, once('server', 'handshake', () => Buffer.of(HT.certificate, 0xff, 0xff, 0xff))],
  ['a NewSessionTicket with a lifetime over seven days', Alert.illegal_parameter, once('server', 'application', () =>
    encodeNewSessionTicket({ lifetimeSeconds: 604801, ageAdd: 0, nonce: Buffer.of(0), ticket: Buffer.of(1), extensions: [] }))],
  ['a NewSessionTicket with max_early_data_size other than 0xffffffff in QUIC', Alert.illegal_parameter, once('server', 'application', () =>
    encodeNewSessionTicket({ lifetimeSeconds: 60, ageAdd: 0, nonce: Buffer.of(0), ticket: Buffer.of(1), extensions: [[X.early_data, Buffer.of(0, 0, 0x40, 0)]] }))],
  ['a KeyUpdate in QUIC (RFC 9001 §6)', Alert.unexpected_message, once('server', 'application', () => encodeKeyUpdate(false))],
];

for (const [name, alert, tamper, c, s] of clientVictims) {
  test(`client: ${name} -> ${alertName(alert)}`, () => {
    expectAlert(run(tamper, c, { ...ticketing(), ...s }), 'client', alert);
  });
}

test('client: a second HelloRetryRequest is unexpected_message', () => {
  const r = run(once('server', 'initial', (d) => Buffer.concat([d, d])), { groups: ['secp256r1', 'x25519'] }, { groups: ['x25519'] });
  expectAlert(r, 'client', Alert.unexpected_message, /second HelloRetryRequest/);
});

test('client: a HelloRetryRequest for the group it already sent is illegal_parameter', () => {
  const r = run(once('server', 'initial', (d) => rewriteServerHello(d, (e) => e.set(X.key_share, encodeKeyShareRetry(0x17)))), { groups: ['secp256r1', 'x25519'] }, { groups: ['x25519'] });
  expectAlert(r, 'client', Alert.illegal_parameter, /already sent/);
});

test('client: handshake bytes at the wrong level or before any ServerHello', () => {
  const client = new TlsClient(clientOptions());
  client.start();
  client.poll();
  client.receive('handshake', Buffer.of(8, 0, 0, 0));
  const e = client.poll();
  assert.equal(e?.type, 'error');
  assert.equal((e as Extract<TlsEvent, { type: 'error' }>).alert, Alert.unexpected_message);
  // After the error the engine ignores input and emits nothing more.
  client.receive('initial', Buffer.alloc(100, 0xff));
  assert.equal(client.poll(), undefined);
  const c2 = new TlsClient(clientOptions());
  c2.start();
  c2.poll();
  c2.receive('initial', encodeHandshake(HT.finished, Buffer.alloc(32)));
  assert.equal((c2.poll() as Extract<TlsEvent, { type: 'error' }>).alert, Alert.unexpected_message);
});

const serverVictims: Array<[string, number, Tamper, object?, object?]> = [
  ['ClientHello without supported_versions', Alert.protocol_version, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.delete(X.supported_versions)))],
  ['ClientHello with a legacy_session_id in QUIC (RFC 9001 §8.4)', Alert.illegal_parameter, once('client', 'initial', (d) => rewriteClientHello(d, (_e, ch) => (ch.legacySessionId = Buffer.alloc(32, 7))))],
  ['ClientHello with a key_share group not in supported_groups', Alert.illegal_parameter, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.set(X.supported_groups, Buffer.of(0, 2, 0, 0x17))))],
  ['ClientHello without key_share', Alert.missing_extension, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.delete(X.key_share)))],
  ['ClientHello without signature_algorithms', Alert.missing_extension, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.delete(X.signature_algorithms)))],
  ['ClientHello whose signature_algorithms our key cannot serve', Alert.handshake_failure, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.set(X.signature_algorithms, Buffer.of(0, 2, 0x08, 0x07))))],
  ['ClientHello without quic_transport_parameters', Alert.missing_extension, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.delete(X.quic_transport_parameters)))],
  ['ClientHello with an invalid P-256 share', Alert.illegal_parameter, once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.set(X.key_share, encodeKeyShareClient([{ group: 0x17, keyExchange: Buffer.alloc(65, 4) }])))), { groups: ['secp256r1'] }],
  ['ClientHello with trailing bytes inside the message', Alert.decode_error, once('client', 'initial', (d) => encodeHandshake(HT.client_hello, Buffer.concat([d.subarray(4), Buffer.of(0)])))],
  ['a second ClientHello without the cookie', Alert.illegal_parameter, (() => {
    let n = 0;
    return ((from, ev) => (from === 'client' && ev.level === 'initial' && n++ === 1 ? rewriteClientHello(ev.data, (e) => e.delete(X.cookie)) : ev.data)) as Tamper;
  })(), { groups: ['secp256r1', 'x25519'] }, { groups: ['x25519'] }],
  ['a wrong client Finished', Alert.decrypt_error, once('client', 'handshake', (d) => {
    const b = Buffer.from(d);
    b[b.length - 1]! ^= 1;
    return b;
  })],
  ['a bad client CertificateVerify signature', Alert.decrypt_error, once('client', 'handshake', (d) => rewriteInFlight(d, HT.certificate_verify, (m) => {
    const b = Buffer.from(m.raw);
    b[b.length - 3]! ^= 0x10;
    return b;
  })), { certificateChain: pem('client-chain.pem'), privateKey: pem('client-key.pem') }, { requestClientCertificate: true, ca: [pem('ca.pem')] }],
  ['a client Certificate with a non-empty context', Alert.illegal_parameter, once('client', 'handshake', (d) => rewriteInFlight(d, HT.certificate, () => encodeCertificate(Buffer.of(1), []))), {}, { requestClientCertificate: true, ca: [pem('ca.pem')] }],
];

for (const [name, alert, tamper, c, s] of serverVictims) {
  test(`server: ${name} -> ${alertName(alert)}`, () => {
    expectAlert(run(tamper, c, s), 'server', alert);
  });
}

test('server: a PSK binder that does not verify is decrypt_error; PSK not last / without modes are rejected', () => {
  const ctx = ticketing();
  let ticket;
  const first = newPair({ onSessionTicket: (t) => (ticket = t) }, ctx);
  pump(first.client, first.server);
  assert.ok(ticket);
  const flipBinder = once('client', 'initial', (d) => {
    const b = Buffer.from(d);
    b[b.length - 1]! ^= 1;
    return b;
  });
  expectAlert(run(flipBinder, { session: ticket }, ctx), 'server', Alert.decrypt_error, /binder/);
  const notLast = once('client', 'initial', (d) => rewriteClientHello(d, (e) => {
    const psk = e.get(X.pre_shared_key)!;
    e.delete(X.pre_shared_key);
    e.delete(X.quic_transport_parameters);
    e.set(X.pre_shared_key, psk);
    e.set(X.quic_transport_parameters, Buffer.alloc(0));
  }));
  expectAlert(run(notLast, { session: ticket }, ctx), 'server', Alert.illegal_parameter, /last/);
  const noModes = once('client', 'initial', (d) => rewriteClientHello(d, (e) => e.delete(X.psk_key_exchange_modes)));
  expectAlert(run(noModes, { session: ticket }, ctx), 'server', Alert.missing_extension);
});

test('RFC 9001 PROTOCOL_VIOLATION cases carry QUIC error 0x0a instead of CRYPTO_ERROR', () => {
  const sid = run(once('client', 'initial', (d) => rewriteClientHello(d, (_e, ch) => (ch.legacySessionId = Buffer.alloc(8, 7)))));
  assert.equal(eventsOf(sid.server, 'error')[0]!.quicErrorCode, 0x0a);
  const nst = run(
    once('server', 'application', () =>
      encodeNewSessionTicket({ lifetimeSeconds: 60, ageAdd: 0, nonce: Buffer.of(0), ticket: Buffer.of(1), extensions: [[X.early_data, Buffer.of(0, 0, 0, 0)]] })),
    {},
    ticketing(),
  );
  assert.equal(eventsOf(nst.client, 'error')[0]!.quicErrorCode, 0x0a);
  const other = run(once('server', 'application', () => encodeKeyUpdate(false)), {}, ticketing());
  assert.equal(eventsOf(other.client, 'error')[0]!.quicErrorCode, 0x010a, 'KeyUpdate: CRYPTO_ERROR 0x010a (RFC 9001 §6)');
});

test('server: handshake data at the early level is unexpected_message (no EndOfEarlyData in QUIC)', () => {
  const server = new TlsServer(serverOptions());
  server.receive('early', encodeHandshake(HT.end_of_early_data, Buffer.alloc(0)));
  const e = server.poll() as Extract<TlsEvent, { type: 'error' }>;
  assert.equal(e.alert, Alert.unexpected_message);
  assert.equal(server.error?.alert, Alert.unexpected_message);
});

/** xorshift32: a deterministic PRNG so the corpus is reproducible. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function mutate(data: Buffer, rnd: () => number): Buffer {
  const b = Buffer.from(data);
  switch (rnd() % 4) {
    case 0: // flip a few bits
      for (let i = 0; i < 1 + (rnd() % 4); i++) b[rnd() % b.length]! ^= 1 << rnd() % 8;
      return b;
    case 1: // truncate
      return b.subarray(0, rnd() % b.length);
    case 2: // overwrite a length-ish byte pair with a random value
      if (b.length > 2) b.writeUInt16BE(rnd() & 0xffff, rnd() % (b.length - 1));
      return b;
    default: // append garbage
      return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + (rnd() % 8) }, () => rnd() & 0xff))]);
  }
}

test('mutated flights never throw out of an engine and end in completion or one error', () => {
  const rnd = prng(0x5eed);
  const serverOpts = serverOptions('server-ecdsa');
  const iterations = 120;
  for (let i = 0; i < iterations; i++) {
    const side: Side = i % 2 === 0 ? 'client' : 'server';
    const level = i % 3 === 0 ? 'handshake' : 'initial';
    const client = new TlsClient(clientOptions({ insecure: i % 5 === 0 }));
    const server = new TlsServer(serverOpts);
    client.start();
    let r: PumpResult;
    assert.doesNotThrow(() => {
      r = pump(client, server, once(side, level, (d) => mutate(d, rnd)));
    }, `iteration ${i}`);
    for (const evs of [r!.client, r!.server]) {
      const errors = eventsOf(evs, 'error').length;
      assert.ok(errors <= 1, `iteration ${i}: at most one error per engine`);
      if (errors === 1) assert.equal(eventsOf(evs, 'handshake-complete').length, 0);
    }
  }
});
