// Handshake message and extension codec: round trips and rejection of malformed input with the
// alert RFC 8446 §6.2 / §4.2 calls for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert, TlsAlert, quicErrorCodeForAlert, alertName } from '../../../src/quic/tls/alerts.js';
import { ExtensionType as X, HELLO_RETRY_REQUEST_RANDOM } from '../../../src/quic/tls/constants.js';
import {
  decodeAlpn,
  decodeKeyShareClient,
  decodePreSharedKeyClient,
  decodeServerName,
  encodeAlpn,
  encodeKeyShareClient,
  encodePreSharedKeyClient,
  encodeServerName,
  parseExtensions,
  bindersVectorLength,
} from '../../../src/quic/tls/extensions.js';
import { HandshakeFramer } from '../../../src/quic/tls/framer.js';
import {
  decodeCertificate,
  decodeClientHello,
  decodeFinished,
  decodeKeyUpdate,
  decodeNewSessionTicket,
  decodeServerHello,
  encodeCertificate,
  encodeClientHello,
  encodeNewSessionTicket,
  encodeServerHello,
} from '../../../src/quic/tls/messages.js';
import { Reader, Writer } from '../../../src/quic/tls/wire.js';
import { hex, loadVectors } from '../../helpers/vectors.js';

interface Vectors {
  client_hello: string;
  server_hello: string;
  handshake_messages: Record<string, string>;
}
const v = loadVectors<Vectors>('rfc8448-simple-1rtt.json');

function assertAlert(fn: () => unknown, alert: number, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TlsAlert, `expected TlsAlert, got ${String(e)}`);
    assert.equal(e.alert, alert, `expected ${alertName(alert)}, got ${alertName(e.alert)}: ${e.message}`);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('alerts carry codes and map to QUIC CRYPTO_ERROR 0x0100 + alert (RFC 9001 §4.8)', () => {
  const e = new TlsAlert(Alert.no_application_protocol, 'x');
  assert.equal(e.code, 'ERR_TLS_NO_APPLICATION_PROTOCOL');
  assert.equal(quicErrorCodeForAlert(e.alert), 0x0178);
  assert.equal(alertName(250), 'alert_250');
});

test('Reader rejects truncation, out-of-range vector lengths and trailing bytes with decode_error', () => {
  assertAlert(() => new Reader(Buffer.of(1), 't').u16(), Alert.decode_error, /truncated/);
  assertAlert(() => new Reader(Buffer.of(0, 5, 1), 't').vector(2), Alert.decode_error, /truncated/);
  assertAlert(() => new Reader(Buffer.of(0), 't').vector(1, 1), Alert.decode_error, /outside/);
  const r = new Reader(Buffer.of(1, 2), 't');
  r.u8();
  assertAlert(() => r.end(), Alert.decode_error, /1 trailing/);
  assert.equal(new Writer().vector(2, (w) => w.u8(7)).finish().toString('hex'), '000107');
});

test('Writer: nested vectors get their lengths, growth past the first buffer keeps every byte', () => {
  const big = Buffer.alloc(70_000, 0xab);
  const out = new Writer(4)
    .u8(0x1ff) // masked to one byte, as before
    .u16(0x0102)
    .u24(0x030405)
    .u32(0xffffffff)
    .vector(3, (v) => v.opaque(1, Buffer.from('hi')).vector(3, (w) => w.bytes(big)))
    .finish();
  const expectedHead = 'ff' + '0102' + '030405' + 'ffffffff';
  assert.equal(out.subarray(0, 10).toString('hex'), expectedHead);
  assert.equal(out.length, 10 + 3 + 3 + 3 + 70_000);
  assert.equal(out.readUIntBE(10, 3), 3 + 3 + 70_000);
  assert.equal(out.subarray(13, 16).toString('hex'), '026869');
  assert.equal(out.readUIntBE(16, 3), 70_000);
  assert.ok(out.subarray(19).equals(big));
});

test('Writer refuses a vector or a number that does not fit its length field', () => {
  assert.throws(() => new Writer().vector(1, (w) => w.bytes(new Uint8Array(256))), RangeError);
  assert.throws(() => new Writer().opaque(1, new Uint8Array(256)), RangeError);
  assert.equal(new Writer().opaque(1, new Uint8Array(255)).finish().length, 256);
  assert.throws(() => new Writer().u16(0x10000), RangeError);
  assert.throws(() => new Writer().u24(-1), RangeError);
});

test('RFC 8448 ClientHello and ServerHello decode and re-encode byte for byte', () => {
  const chRaw = hex(v.client_hello);
  const ch = decodeClientHello(chRaw.subarray(4));
  assert.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
  assert.equal(ch.legacySessionId.length, 0);
  assert.equal(decodeServerName(ch.extensions.get(X.server_name)!), 'server');
  assert.equal(decodeKeyShareClient(ch.extensions.get(X.key_share)!)[0]!.group, 0x001d);
  const again = encodeClientHello({
    random: ch.random,
    legacySessionId: ch.legacySessionId,
    cipherSuites: ch.cipherSuites,
    extensions: [...ch.extensions.entries()],
  });
  assert.deepEqual(again, chRaw);
  const shRaw = hex(v.server_hello);
  const sh = decodeServerHello(shRaw.subarray(4));
  assert.equal(sh.isRetry, false);
  assert.equal(sh.cipherSuite, 0x1301);
  const sh2 = encodeServerHello({ random: sh.random, legacySessionIdEcho: sh.legacySessionIdEcho, cipherSuite: sh.cipherSuite, extensions: [...sh.extensions.entries()] });
  assert.deepEqual(sh2, shRaw);
});

test('RFC 8448 Certificate and NewSessionTicket decode and re-encode', () => {
  const certRaw = hex(v.handshake_messages.certificate!);
  const cert = decodeCertificate(certRaw.subarray(4));
  assert.equal(cert.certificates.length, 1);
  assert.deepEqual(encodeCertificate(cert.context, cert.certificates), certRaw);
  const nstRaw = hex(v.handshake_messages.new_session_ticket!);
  const nst = decodeNewSessionTicket(nstRaw.subarray(4));
  assert.equal(nst.nonce.toString('hex'), '0000');
  assert.equal(nst.extensions.has(X.early_data), true);
  assert.deepEqual(
    encodeNewSessionTicket({ lifetimeSeconds: nst.lifetimeSeconds, ageAdd: nst.ageAdd, nonce: nst.nonce, ticket: nst.ticket, extensions: [...nst.extensions.entries()] }),
    nstRaw,
  );
});

test('every truncation of the RFC 8448 ClientHello is a decode_error', () => {
  const body = hex(v.client_hello).subarray(4);
  const afterCompression = 2 + 32 + 1 + 2 + 6 + 2;
  for (let n = 0; n < body.length; n++) {
    if (n === afterCompression) {
      // A hello that ends after the compression methods is a legal pre-1.3 hello without extensions
      // (the server then answers protocol_version, see engine tests).
      assert.equal(decodeClientHello(body.subarray(0, n)).extensions.size, 0);
      continue;
    }
    assert.throws(() => decodeClientHello(body.subarray(0, n)), (e: unknown) => e instanceof TlsAlert && e.alert === Alert.decode_error, `cut at ${n}`);
  }
});

test('ClientHello with trailing bytes, bad compression, or bad suite list length is rejected', () => {
  const body = hex(v.client_hello).subarray(4);
  assertAlert(() => decodeClientHello(Buffer.concat([body, Buffer.of(0)])), Alert.decode_error, /trailing/);
  // legacy_compression_methods is at 2 + 32 + 1 + 2 + 6 = 43: length 1, value 0 -> make the value 1.
  const badCompression = Buffer.from(body);
  assert.equal(badCompression[43], 1);
  badCompression[44] = 1;
  assertAlert(() => decodeClientHello(badCompression), Alert.illegal_parameter, /compression/);
  const oddSuites = Buffer.from(body);
  oddSuites[36] = 5; // cipher_suites length 5 (odd)
  assertAlert(() => decodeClientHello(oddSuites), Alert.decode_error);
});

test('extension blocks: duplicates, wrong message, unknown and PSK-not-last', () => {
  const block = (...exts: Array<[number, number[]]>): Buffer => {
    const w = new Writer();
    for (const [t, b] of exts) w.u16(t).opaque(2, Buffer.from(b));
    return w.finish();
  };
  // §4.2: duplicate extension types.
  assertAlert(() => parseExtensions(block([X.server_name, []], [X.server_name, []]), 'encrypted_extensions'), Alert.illegal_parameter, /duplicate/);
  // A recognised extension in a message it is not allowed in (key_share in EncryptedExtensions).
  assertAlert(() => parseExtensions(block([X.key_share, [0, 0x1d]]), 'encrypted_extensions'), Alert.illegal_parameter, /not allowed/);
  assertAlert(() => parseExtensions(block([X.psk_key_exchange_modes, [1, 1]]), 'server_hello'), Alert.illegal_parameter);
  // Unknown extensions: ignored in ClientHello / CertificateRequest / NewSessionTicket, unsolicited elsewhere.
  assert.equal(parseExtensions(block([0xfafa, [1]]), 'client_hello').size, 1);
  assert.equal(parseExtensions(block([0xfafa, [1]]), 'new_session_ticket').size, 1);
  assertAlert(() => parseExtensions(block([0xfafa, []]), 'server_hello'), Alert.unsupported_extension);
  assertAlert(() => parseExtensions(block([0xfafa, []]), 'encrypted_extensions'), Alert.unsupported_extension);
  // §4.2.11: pre_shared_key must be the last ClientHello extension.
  assertAlert(() => parseExtensions(block([X.pre_shared_key, []], [X.server_name, []]), 'client_hello'), Alert.illegal_parameter, /last/);
  // An extension body longer than the block.
  assertAlert(() => parseExtensions(Buffer.of(0, 0, 0, 9, 1), 'client_hello'), Alert.decode_error);
});

test('extension bodies: ALPN, SNI, key_share and pre_shared_key validation', () => {
  assert.deepEqual(decodeAlpn(encodeAlpn(['mqtt', 'h3'])), ['mqtt', 'h3']);
  assertAlert(() => decodeAlpn(Buffer.of(0, 1, 0)), Alert.decode_error); // empty protocol name
  assertAlert(() => decodeAlpn(Buffer.of(0, 0)), Alert.decode_error); // empty list
  assert.equal(decodeServerName(encodeServerName('example.com')), 'example.com');
  assertAlert(() => decodeServerName(Buffer.of(0, 5, 0, 0, 2, 0x41, 0x0a)), Alert.illegal_parameter, /ASCII/);
  const ks = encodeKeyShareClient([{ group: 0x1d, keyExchange: Buffer.alloc(32, 1) }, { group: 0x1d, keyExchange: Buffer.alloc(32, 2) }]);
  assertAlert(() => decodeKeyShareClient(ks), Alert.illegal_parameter, /two shares/);
  const psk = encodePreSharedKeyClient([{ identity: Buffer.of(1, 2, 3), obfuscatedTicketAge: 7 }], [Buffer.alloc(32, 9)]);
  const offered = decodePreSharedKeyClient(psk);
  assert.equal(offered.identities[0]!.obfuscatedTicketAge, 7);
  assert.equal(offered.bindersLength, bindersVectorLength([32]));
  const twoIds = encodePreSharedKeyClient(
    [{ identity: Buffer.of(1), obfuscatedTicketAge: 0 }, { identity: Buffer.of(2), obfuscatedTicketAge: 0 }],
    [Buffer.alloc(32)],
  );
  assertAlert(() => decodePreSharedKeyClient(twoIds), Alert.illegal_parameter, /binder count/);
  // Binders shorter than 32 bytes are outside PskBinderEntry<32..255>.
  assertAlert(() => decodePreSharedKeyClient(encodePreSharedKeyClient([{ identity: Buffer.of(1), obfuscatedTicketAge: 0 }], [Buffer.alloc(31)])), Alert.decode_error);
});

test('ServerHello with the HelloRetryRequest random is parsed in the HRR extension context', () => {
  const hrr = encodeServerHello({ random: HELLO_RETRY_REQUEST_RANDOM, legacySessionIdEcho: Buffer.alloc(0), cipherSuite: 0x1301, extensions: [[X.cookie, Buffer.of(0, 1, 7)]] });
  assert.equal(decodeServerHello(hrr.subarray(4)).isRetry, true);
  // cookie is fine in an HRR, not in a ServerHello.
  const sh = encodeServerHello({ random: Buffer.alloc(32, 1), legacySessionIdEcho: Buffer.alloc(0), cipherSuite: 0x1301, extensions: [[X.cookie, Buffer.of(0, 1, 7)]] });
  assertAlert(() => decodeServerHello(sh.subarray(4)), Alert.illegal_parameter);
  const badCompression = Buffer.from(hrr.subarray(4));
  badCompression[2 + 32 + 1 + 2] = 1;
  assertAlert(() => decodeServerHello(badCompression), Alert.illegal_parameter, /compression/);
});

test('Finished with the wrong length and KeyUpdate with a bad value are rejected', () => {
  assertAlert(() => decodeFinished(Buffer.alloc(31), 32), Alert.decode_error);
  assertAlert(() => decodeKeyUpdate(Buffer.of(2)), Alert.illegal_parameter);
  assert.equal(decodeKeyUpdate(Buffer.of(1)), true);
});

test('HandshakeFramer reassembles split and coalesced messages and bounds message size', () => {
  const m1 = hex(v.handshake_messages.encrypted_extensions!);
  const m2 = hex(v.handshake_messages.server_finished!);
  const all = Buffer.concat([m1, m2]);
  const f = new HandshakeFramer();
  const got: number[] = [];
  for (const b of all) {
    f.push(Buffer.of(b));
    for (let m = f.next(); m; m = f.next()) got.push(m.type);
  }
  assert.deepEqual(got, [8, 20]);
  assert.equal(f.buffered, 0);
  const g = new HandshakeFramer();
  g.push(all);
  assert.deepEqual(g.next()!.raw, m1);
  assert.deepEqual(g.next()!.raw, m2);
  assert.equal(g.next(), undefined);
  const small = new HandshakeFramer(100);
  small.push(Buffer.of(11, 0, 0, 101));
  assertAlert(() => small.next(), Alert.illegal_parameter, /exceeds/);
});
