// RFC 8448 §3 "Simple 1-RTT Handshake" through the engines: the server engine fed the RFC's
// ClientHello with the RFC's random, x25519 key and RSA certificate; the client side's checks of the
// RFC's server flight (CertificateVerify over the RSA certificate, Finished) and its own Finished.
//
// The RFC's ClientHello itself is not reproducible by our client: it carries renegotiation_info,
// session_ticket and record_size_limit, and groups/signature schemes we do not implement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { TlsServer } from '../../../src/quic/tls/server.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { KeySchedule, finishedVerifyData } from '../../../src/quic/tls/key-schedule.js';
import { Transcript } from '../../../src/quic/tls/transcript.js';
import { createKeyShare } from '../../../src/quic/tls/key-exchange.js';
import { decodeCertificate, decodeCertificateVerify, decodeEncryptedExtensions, decodeServerHello, encodeFinished } from '../../../src/quic/tls/messages.js';
import { certificateVerifyContent, verifyWithScheme } from '../../../src/quic/tls/signatures.js';
import { ExtensionType as X, NamedGroup } from '../../../src/quic/tls/constants.js';
import { decodeKeyShareServer } from '../../../src/quic/tls/extensions.js';
import { HandshakeFramer } from '../../../src/quic/tls/framer.js';
import type { TlsEvent } from '../../../src/quic/tls/types.js';
import { hex, loadVectors, toHex } from '../../helpers/vectors.js';
import { eventsOf, pump } from './pair.js';

interface Vectors {
  client_x25519_private: string;
  server_x25519_private: string;
  client_hello: string;
  server_hello: string;
  key_schedule: Record<string, string>;
  handshake_messages: Record<string, string>;
  server_rsa: Record<string, string>;
  signature_scheme: string;
}
const v = loadVectors<Vectors>('rfc8448-simple-1rtt.json');
const ks = v.key_schedule;
const m = v.handshake_messages;

function rfcRsaKey(): KeyObject {
  const b64 = (h: string): string => hex(h).toString('base64url');
  const r = v.server_rsa;
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: b64(r.modulus!),
      e: b64(r.public_exponent!),
      d: b64(r.private_exponent!),
      p: b64(r.prime1!),
      q: b64(r.prime2!),
      dp: b64(r.exponent1!),
      dq: b64(r.exponent2!),
      qi: b64(r.coefficient!),
    },
  });
}

/** A random source handing out the given byte strings in order (then fresh zeros are an error). */
function scriptedRandom(...chunks: Buffer[]): (n: number) => Buffer {
  return (n) => {
    const next = chunks.shift();
    if (!next || next.length !== n) throw new Error(`unexpected random request of ${n} bytes`);
    return next;
  };
}

const serverRandom = hex(v.server_hello).subarray(6, 38);

function drain(engine: TlsServer | TlsClient): TlsEvent[] {
  const out: TlsEvent[] = [];
  for (let e = engine.poll(); e; e = engine.poll()) out.push(e);
  return out;
}

test('server engine fed the RFC 8448 ClientHello reproduces the ServerHello, handshake secrets and Certificate', () => {
  const server = new TlsServer({
    mode: 'tls',
    certificateChain: [hex(v.server_rsa.certificate_der!)],
    privateKey: rfcRsaKey(),
    // Our server asks for x25519 then the SH random: inject the RFC's.
    random: scriptedRandom(hex(v.server_x25519_private), serverRandom),
  });
  server.receive('initial', hex(v.client_hello));
  const events = drain(server);
  assert.deepEqual(eventsOf(events, 'error'), []);
  const sends = eventsOf(events, 'send');
  assert.equal(sends[0]!.level, 'initial');
  assert.equal(toHex(sends[0]!.data), v.server_hello, 'ServerHello bytes equal RFC 8448');
  const keys = eventsOf(events, 'keys');
  const secret = (level: string, dir: string): string => toHex(keys.find((k) => k.level === level && k.direction === dir)!.secret);
  assert.equal(secret('handshake', 'write'), ks.server_handshake_traffic_secret);
  assert.equal(secret('handshake', 'read'), ks.client_handshake_traffic_secret);

  // The encrypted flight: EE differs (the RFC's server also sent supported_groups and
  // record_size_limit); Certificate is identical; CertificateVerify is randomised RSA-PSS, so verify it.
  const framer = new HandshakeFramer();
  framer.push(sends[1]!.data);
  const ee = framer.next()!;
  const cert = framer.next()!;
  const cv = framer.next()!;
  const fin = framer.next()!;
  assert.equal(framer.next(), undefined);
  assert.deepEqual([...decodeEncryptedExtensions(ee.body).keys()], [X.server_name]);
  assert.equal(toHex(cert.raw), m.certificate, 'Certificate bytes equal RFC 8448');
  const t = new Transcript();
  t.setHash('sha256');
  for (const msg of [hex(v.client_hello), hex(v.server_hello), ee.raw, cert.raw]) t.add(msg);
  const parsedCv = decodeCertificateVerify(cv.body);
  assert.equal(parsedCv.scheme, 0x0804);
  assert.ok(verifyWithScheme(hex(v.server_rsa.certificate_der!), parsedCv.scheme, certificateVerifyContent('server', t.current()), parsedCv.signature));
  t.add(cv.raw);
  assert.deepEqual(fin.body, finishedVerifyData('sha256', hex(ks.server_handshake_traffic_secret!), t.current()));
});

test('client side: the RFC 8448 server flight verifies and our client Finished and 1-RTT secrets equal the RFC', () => {
  // Key exchange with the RFC's client key, as our client engine would do it.
  const share = createKeyShare(NamedGroup.x25519, () => hex(v.client_x25519_private));
  const sh = decodeServerHello(hex(v.server_hello).subarray(4));
  const shared = share.computeSecret(decodeKeyShareServer(sh.extensions.get(X.key_share)!).keyExchange);
  const s = new KeySchedule('sha256');
  s.inputSharedSecret(shared);
  const t = new Transcript();
  t.setHash('sha256');
  t.add(hex(v.client_hello));
  t.add(hex(v.server_hello));
  const chts = s.clientHandshakeTrafficSecret(t.current());
  const shts = s.serverHandshakeTrafficSecret(t.current());
  t.add(hex(m.encrypted_extensions!));
  const certs = decodeCertificate(hex(m.certificate!).subarray(4)).certificates;
  assert.equal(toHex(certs[0]!), v.server_rsa.certificate_der);
  t.add(hex(m.certificate!));
  const cv = decodeCertificateVerify(hex(m.certificate_verify!).subarray(4));
  assert.equal(cv.scheme, parseInt(v.signature_scheme, 16));
  assert.ok(verifyWithScheme(certs[0]!, cv.scheme, certificateVerifyContent('server', t.current()), cv.signature), 'RFC CertificateVerify verifies');
  // A flipped bit in the transcript makes it fail.
  const wrong = Buffer.from(t.current());
  wrong[0]! ^= 1;
  assert.equal(verifyWithScheme(certs[0]!, cv.scheme, certificateVerifyContent('server', wrong), cv.signature), false);
  t.add(hex(m.certificate_verify!));
  assert.equal(toHex(encodeFinished(finishedVerifyData('sha256', shts, t.current()))), m.server_finished);
  t.add(hex(m.server_finished!));
  assert.equal(toHex(encodeFinished(finishedVerifyData('sha256', chts, t.current()))), m.client_finished, 'client Finished bytes equal RFC 8448');
  assert.equal(toHex(s.clientApplicationTrafficSecret(t.current())), ks.client_application_traffic_secret_0);
  assert.equal(toHex(s.serverApplicationTrafficSecret(t.current())), ks.server_application_traffic_secret_0);
});

test('our client uses injected randomness: ClientHello random and x25519 share are the RFC 8448 ones', () => {
  const client = new TlsClient({
    mode: 'quic',
    alpn: ['mqtt'],
    transportParameters: Buffer.alloc(0),
    insecure: true,
    random: scriptedRandom(hex(v.client_hello).subarray(6, 38), hex(v.client_x25519_private)),
  });
  client.start();
  const ch = eventsOf(drain(client), 'send')[0]!.data;
  assert.equal(toHex(ch.subarray(6, 38)), v.client_hello.slice(12, 76));
  assert.ok(toHex(ch).includes('001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c'));
});

test('engine pair with the RFC 8448 1024-bit RSA certificate completes (rsa_pss_rsae_sha256)', () => {
  const server = new TlsServer({ mode: 'tls', certificateChain: [hex(v.server_rsa.certificate_der!)], privateKey: rfcRsaKey() });
  const client = new TlsClient({ mode: 'tls', insecure: true, serverName: 'rsa' });
  client.start();
  const r = pump(client, server);
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 1);
  assert.equal(eventsOf(r.server, 'handshake-complete').length, 1);
  assert.equal(toHex(eventsOf(r.client, 'handshake-complete')[0]!.peerCertificates[0]!), v.server_rsa.certificate_der);
});
