import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { certFile } from '../../helpers/certs.js';
import { CertificateParseError, KeyUsageBit, Oid, parseCertificateFields } from '../../../src/quic/tls/certificate-fields.js';
import { CertificateError, loadCertificateChain, verifyCertificateChain } from '../../../src/quic/tls/certificates.js';
import { testCaTrustStore } from './test-pki.js';

const der = (name: string): Buffer => Buffer.from(loadCertificateChain(certFile(name))[0]!);

/** A deterministic PRNG (mulberry32) so a failing mutation can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseCertificateFields', () => {
  it('reads a server leaf', () => {
    const f = parseCertificateFields(der('server-rsa.pem'));
    assert.equal(f.version, 3);
    assert.equal(f.signatureAlgorithm, '1.2.840.10045.4.3.2'); // ecdsa-with-SHA256 by the P-256 test CA
    assert.deepEqual(f.basicConstraints, { ca: false });
    assert.deepEqual([...f.keyUsage!].sort(), [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment]);
    assert.deepEqual(f.extendedKeyUsage, [Oid.serverAuth, Oid.clientAuth]);
    assert.deepEqual(f.subjectAltName!.dnsNames, ['localhost']);
    assert.deepEqual(f.subjectAltName!.ipAddresses.map((b) => b.toString('hex')), ['7f000001', '00000000000000000000000000000001']);
    assert.deepEqual(f.subjectCommonNames, ['server-rsa']);
    assert.deepEqual(f.unprocessedCriticalExtensions, []);
    assert.ok(f.notBefore.getTime() < Date.now() && f.notAfter.getTime() > Date.now());
  });

  it('reads a CA and the raw names used for issuer matching', () => {
    const ca = parseCertificateFields(der('ca.pem'));
    assert.deepEqual(ca.basicConstraints, { ca: true });
    assert.ok(ca.keyUsage!.has(KeyUsageBit.keyCertSign));
    assert.ok(ca.rawIssuer.equals(ca.rawSubject), 'self-issued');
    const leaf = parseCertificateFields(der('server-ecdsa.pem'));
    assert.ok(leaf.rawIssuer.equals(ca.rawSubject));
    assert.equal(leaf.rawSubject[0], 0x30);
  });

  it('reads UTCTime validity (RFC 5280 §4.1.2.5.1)', () => {
    const f = parseCertificateFields(der('expired.pem'));
    assert.equal(f.notBefore.toISOString(), '2001-01-01T00:00:00.000Z');
    assert.equal(f.notAfter.toISOString(), '2002-01-01T00:00:00.000Z');
  });

  it('throws CertificateParseError for truncation and trailing bytes', () => {
    const cert = der('server-ecdsa.pem');
    for (const len of [0, 1, 2, 10, cert.length >> 1, cert.length - 1]) {
      assert.throws(() => parseCertificateFields(cert.subarray(0, len)), CertificateParseError, `length ${len}`);
    }
    assert.throws(() => parseCertificateFields(Buffer.concat([cert, Buffer.of(0)])), /trailing bytes/);
    assert.throws(() => parseCertificateFields(Buffer.of(0x30, 0x80, 0, 0)), /unsupported DER length/);
  });

  it('survives random corruption with either a result or a CertificateParseError', () => {
    const rand = prng(8448);
    const original = der('server-rsa.pem');
    for (let i = 0; i < 300; i++) {
      const mutated = Buffer.from(original);
      const flips = 1 + Math.floor(rand() * 3);
      for (let j = 0; j < flips; j++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      try {
        parseCertificateFields(mutated);
      } catch (err) {
        assert.ok(err instanceof CertificateParseError, `iteration ${i}: ${String(err)}`);
      }
    }
  });
});

describe('verifyCertificateChain on corrupted input', () => {
  it('only ever throws CertificateError', () => {
    const rand = prng(9000);
    const leaf = der('server-ecdsa.pem');
    const trust = testCaTrustStore();
    for (let i = 0; i < 150; i++) {
      const mutated = Buffer.from(leaf);
      mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      try {
        verifyCertificateChain([mutated], { trust, serverName: 'localhost', purpose: 'server', now: new Date() });
      } catch (err) {
        assert.ok(err instanceof CertificateError, `iteration ${i}: ${String(err)}`);
      }
    }
  });
});
