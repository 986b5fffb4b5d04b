// Review: the client's `insecure` switch skips only chain and host name validation; the server must
// still prove possession of the presented key with CertificateVerify (RFC 8446 §4.4.3), and verification
// is on by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert, alertName } from '../../../src/quic/tls/alerts.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { TlsConfigError } from '../../../src/quic/tls/engine.js';
import { HandshakeType as HT } from '../../../src/quic/tls/constants.js';
import { HandshakeFramer } from '../../../src/quic/tls/framer.js';
import { encodeCertificate } from '../../../src/quic/tls/messages.js';
import { loadCertificateChain } from '../../../src/quic/tls/certificates.js';
import type { TlsEvent } from '../../../src/quic/tls/types.js';
import { clientOptions, newPair, pem } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

type Tamper = NonNullable<Parameters<typeof pump>[2]>;

/** Rewrites message `type` of the server's handshake flight. */
function rewriteServerHandshakeFlight(type: number, fn: (raw: Buffer) => Buffer): Tamper {
  return (from, ev) => {
    if (from !== 'server' || ev.level !== 'handshake') return ev.data;
    const f = new HandshakeFramer();
    f.push(ev.data);
    const out: Buffer[] = [];
    for (let m = f.next(); m; m = f.next()) out.push(m.type === type ? fn(m.raw) : m.raw);
    return Buffer.concat(out);
  };
}

function clientAlert(events: TlsEvent[]): string {
  const errors = eventsOf(events, 'error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  return alertName(errors[0]!.alert);
}

test('insecure: a CertificateVerify made with another key than the presented certificate is decrypt_error', () => {
  // The server signs with its ECDSA key but the flight presents the RSA server certificate.
  const rsaChain = loadCertificateChain(pem('server-rsa-chain.pem'));
  const { client, server } = newPair({ insecure: true });
  const r = pump(client, server, rewriteServerHandshakeFlight(HT.certificate, () => encodeCertificate(Buffer.alloc(0), rsaChain)));
  assert.equal(clientAlert(r.client), alertName(Alert.decrypt_error));
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 0);
});

test('insecure: a tampered CertificateVerify signature is decrypt_error', () => {
  const { client, server } = newPair({ insecure: true });
  const r = pump(client, server, rewriteServerHandshakeFlight(HT.certificate_verify, (raw) => {
    const b = Buffer.from(raw);
    b[b.length - 3]! ^= 0x01;
    return b;
  }));
  assert.equal(clientAlert(r.client), alertName(Alert.decrypt_error));
});

test('insecure: a certificate that does not parse cannot authenticate the server', () => {
  const { client, server } = newPair({ insecure: true });
  const r = pump(client, server, rewriteServerHandshakeFlight(HT.certificate, () => encodeCertificate(Buffer.alloc(0), [Buffer.from('not a certificate')])));
  assert.notEqual(eventsOf(r.client, 'error').length, 0);
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 0);
});

test('verification is on by default: an untrusted or wrong-host server fails without the insecure switch', () => {
  const other = pump(...pairOf('othercaserver'));
  assert.equal(clientAlert(other.client), alertName(Alert.unknown_ca));
  const wrongHost = pump(...pairOf('wronghost'));
  assert.notEqual(eventsOf(wrongHost.client, 'error').length, 0);
  assert.equal(eventsOf(wrongHost.client, 'handshake-complete').length, 0);
  // Without a name to check and without insecure, the client refuses to start.
  assert.throws(() => new TlsClient(clientOptions({ serverName: undefined })), TlsConfigError);
});

function pairOf(cert: 'othercaserver' | 'wronghost'): [TlsClient, ReturnType<typeof newPair>['server']] {
  const { client, server } = newPair({}, {}, cert);
  return [client, server];
}
