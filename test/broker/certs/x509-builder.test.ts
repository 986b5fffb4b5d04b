import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { derToPem } from '../../../src/broker/certs/pem.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { readChildren, readTlv } from '../../../src/broker/certs/der-reader.js';
import { digest } from '../../../src/quic/crypto/hkdf.js';
import {
  buildCertificate,
  buildTbsCertificate,
  certificateSubject,
  encodeName,
  keyIdentifier,
  type CertificateTemplate,
  type DistinguishedName,
} from '../../../src/broker/certs/x509-builder.js';
import { createTrustStore, loadCertificateChain, verifyCertificateChain } from '../../../src/quic/tls/certificates.js';
import { certPath } from '../../helpers/certs.js';
import { hex, toHex } from '../../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'quicmq-x509-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const p256 = (): { publicKey: KeyObject; privateKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const caKeys = p256();
const leafKeys = p256();
const caName: DistinguishedName = { organization: 'quicmq', commonName: 'quicmq test CA' };
const notBefore = new Date('2026-01-01T00:00:00Z');

function caTemplate(o: Partial<CertificateTemplate> = {}): CertificateTemplate {
  return {
    serialNumber: hex('01'),
    subject: caName,
    issuer: caName,
    notBefore,
    notAfter: new Date('2060-01-01T00:00:00Z'),
    publicKey: caKeys.publicKey,
    issuerPublicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    ca: { pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
    ...o,
  };
}

function leafTemplate(o: Partial<CertificateTemplate> = {}): CertificateTemplate {
  return {
    serialNumber: hex('7fa1b2c3d4e5f60718293a4b5c6d7e8f'),
    subject: { organization: 'quicmq', commonName: 'localhost' },
    issuer: caName,
    notBefore,
    notAfter: new Date('2027-01-01T00:00:00Z'),
    publicKey: leafKeys.publicKey,
    issuerPublicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['serverAuth'],
    dnsNames: ['localhost', 'Broker.Example'],
    ipAddresses: ['127.0.0.1', '::1'],
    ...o,
  };
}

const caDer = buildCertificate(caTemplate());
const leafDer = buildCertificate(leafTemplate());
const ca = new X509Certificate(caDer);
const leaf = new X509Certificate(leafDer);
const caFile = join(dir, 'ca.pem');
const leafFile = join(dir, 'server.pem');
writeFileSync(caFile, derToPem('CERTIFICATE', caDer));
writeFileSync(leafFile, derToPem('CERTIFICATE', leafDer));

const openssl = (args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const colonHex = (b: Buffer): string => toHex(b).toUpperCase().match(/../g)!.join(':');

test("node's X509Certificate reads subject, issuer, serial, validity, CA flag, SAN and EKU", () => {
  assert.equal(ca.subject, 'O=quicmq\nCN=quicmq test CA');
  assert.equal(ca.issuer, ca.subject);
  assert.equal(ca.ca, true);
  assert.equal(ca.serialNumber, '01');
  assert.equal(ca.validFrom, 'Jan  1 00:00:00 2026 GMT');
  assert.equal(ca.validTo, 'Jan  1 00:00:00 2060 GMT', 'a GeneralizedTime notAfter (2050 and later) reads back');
  assert.equal(leaf.subject, 'O=quicmq\nCN=localhost');
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(leaf.ca, false);
  assert.equal(leaf.serialNumber, '7FA1B2C3D4E5F60718293A4B5C6D7E8F');
  assert.equal(leaf.validTo, 'Jan  1 00:00:00 2027 GMT');
  assert.equal(leaf.subjectAltName, 'DNS:localhost, DNS:broker.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(leaf.checkHost('localhost', { subject: 'never' }), 'localhost');
  assert.equal(leaf.checkIP('::1'), '::1');
  assert.equal(leaf.checkHost('other.example', { subject: 'never' }), undefined);
});

test('signatures verify: the CA is self-signed, the leaf is issued and signed by the CA', () => {
  assert.ok(ca.checkIssued(ca));
  assert.ok(ca.verify(ca.publicKey));
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(!leaf.verify(leafKeys.publicKey));
  assert.ok(leaf.checkPrivateKey(leafKeys.privateKey));
});

test('openssl verify accepts the chain in strict X.509 mode for the TLS server purpose', () => {
  const out = openssl(['verify', '-x509_strict', '-purpose', 'sslserver', '-attime', String(Date.parse('2026-06-01T00:00:00Z') / 1000), '-CAfile', caFile, leafFile]);
  assert.equal(out.trim(), `${leafFile}: OK`);
  assert.throws(() => openssl(['verify', '-CAfile', certPath('ca.pem'), leafFile]), 'a different CA must not verify it');
});

test('openssl x509 -text shows every extension with its criticality', () => {
  const caText = openssl(['x509', '-in', caFile, '-noout', '-text']);
  assert.match(caText, /Signature Algorithm: ecdsa-with-SHA256/);
  assert.match(caText, /Version: 3 \(0x2\)/);
  assert.match(caText, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(caText, /X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
  assert.match(caText, new RegExp(`X509v3 Subject Key Identifier:\\s+${colonHex(keyIdentifier(caKeys.publicKey))}`));
  assert.match(caText, new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${colonHex(keyIdentifier(caKeys.publicKey))}`));
  const leafText = openssl(['x509', '-in', leafFile, '-noout', '-text']);
  assert.match(leafText, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
  assert.match(leafText, /X509v3 Key Usage: critical\s+Digital Signature\n/);
  assert.match(leafText, /X509v3 Extended Key Usage: ?\s+TLS Web Server Authentication\n/);
  assert.match(leafText, /X509v3 Subject Alternative Name: ?\s+DNS:localhost, DNS:broker\.example, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/);
  assert.match(leafText, new RegExp(`X509v3 Subject Key Identifier:\\s+${colonHex(keyIdentifier(leafKeys.publicKey))}`));
  assert.match(leafText, new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${colonHex(keyIdentifier(caKeys.publicKey))}`));
  assert.match(leafText, /NIST CURVE: P-256/);
});

test('key identifier: first 160 bits of SHA-256 over the subjectPublicKey bits (RFC 7093 §2 method 1)', () => {
  const spki = leafKeys.publicKey.export({ type: 'spki', format: 'der' });
  const uncompressedPoint = spki.subarray(spki.length - 65); // P-256: 04 || X || Y
  assert.equal(uncompressedPoint[0], 0x04);
  assert.equal(toHex(keyIdentifier(leafKeys.publicKey)), toHex(digest('sha256', uncompressedPoint).subarray(0, 20)));
});

test("the QUIC TLS engine's chain verifier accepts the leaf for its names and refuses others", () => {
  const trust = createTrustStore([readFileSync(caFile, 'utf8')]);
  const chain = loadCertificateChain(readFileSync(leafFile, 'utf8'));
  const now = new Date('2026-06-01T00:00:00Z');
  for (const serverName of ['localhost', 'broker.example', '127.0.0.1', '::1']) verifyCertificateChain(chain, { trust, serverName, purpose: 'server', now });
  assert.throws(() => verifyCertificateChain(chain, { trust, serverName: 'other.example', purpose: 'server', now }));
  assert.throws(() => verifyCertificateChain(chain, { trust, serverName: 'localhost', purpose: 'server', now: new Date('2027-06-01T00:00:00Z') }), 'expired');
  assert.throws(() => verifyCertificateChain(chain, { trust, serverName: 'localhost', purpose: 'client', now }), 'serverAuth only');
});

test('DER layout: version [0] = 2, serial, ecdsa-with-SHA256 without parameters (RFC 5758 §3.2)', () => {
  const tbs = readChildren(readChildren(readTlv(leafDer, 0).content)[0]!.content);
  assert.equal(toHex(tbs[0]!.tlv), 'a003020102');
  assert.equal(toHex(tbs[1]!.tlv), '02107fa1b2c3d4e5f60718293a4b5c6d7e8f', 'no padding octet for a serial with a clear high bit');
  assert.equal(toHex(tbs[2]!.tlv), '300a06082a8648ce3d040302');
  const outer = readChildren(readTlv(leafDer, 0).content);
  assert.equal(outer.length, 3);
  assert.equal(toHex(outer[1]!.tlv), '300a06082a8648ce3d040302');
  assert.equal(outer[2]!.content[0], 0, 'signature BIT STRING has no unused bits');
  assert.equal(toHex(buildTbsCertificate(leafTemplate())), toHex(outer[0]!.tlv), 'the TBS is deterministic; only the signature varies');
});

test('a high-bit serial gets a 0x00 pad; the issuer can be the CA subject bytes verbatim', () => {
  const der = buildCertificate(leafTemplate({ serialNumber: hex('ff'.repeat(19)), issuer: certificateSubject(caDer) }));
  const cert = new X509Certificate(der);
  assert.equal(cert.serialNumber, 'FF'.repeat(19));
  assert.ok(cert.checkIssued(ca));
  assert.equal(toHex(certificateSubject(caDer)), toHex(encodeName(caName)));
  // A certificate made by OpenSSL (scripts/gen-test-certs.sh): subject bytes found past the version field.
  const openSslDer = loadCertificateChain(readFileSync(certPath('server-ecdsa.pem'), 'utf8'))[0]!;
  assert.ok(certificateSubject(openSslDer).includes(Buffer.from('server-ecdsa')));
});

test('the subject key may be of another type (Ed25519); no SAN extension without names', () => {
  const ed = generateKeyPairSync('ed25519');
  const der = buildCertificate(leafTemplate({ publicKey: ed.publicKey, dnsNames: [], ipAddresses: [] }));
  const cert = new X509Certificate(der);
  assert.equal(cert.publicKey.asymmetricKeyType, 'ed25519');
  assert.equal(cert.subjectAltName, undefined);
  assert.ok(cert.verify(caKeys.publicKey));
});

test('error paths: unsupported signing keys, bad serials, dates, names and usages', () => {
  const code = (c: string, re: RegExp) => (e: unknown): boolean => e instanceof CertificateGenerationError && e.code === c && re.test(e.message);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  assert.throws(() => buildCertificate(leafTemplate({ signingKey: rsa.privateKey })), code('CERT_UNSUPPORTED_KEY', /ECDSA P-256.*got rsa/));
  assert.throws(() => buildCertificate(leafTemplate({ signingKey: p384.privateKey })), code('CERT_UNSUPPORTED_KEY', /got ec secp384r1/));
  assert.throws(() => buildCertificate(leafTemplate({ signingKey: caKeys.publicKey })), code('CERT_UNSUPPORTED_KEY', /got a public key/));
  assert.throws(() => buildCertificate(leafTemplate({ serialNumber: hex('0000') })), code('CERT_INVALID_VALUE', /positive/));
  assert.throws(() => buildCertificate(leafTemplate({ serialNumber: new Uint8Array(0) })), code('CERT_INVALID_VALUE', /positive/));
  assert.throws(() => buildCertificate(leafTemplate({ serialNumber: hex('01'.repeat(21)) })), code('CERT_INVALID_VALUE', /21 octets/));
  assert.throws(() => buildCertificate(leafTemplate({ serialNumber: hex('80'.repeat(20)) })), code('CERT_INVALID_VALUE', /21 octets/));
  assert.ok(buildCertificate(leafTemplate({ serialNumber: hex(`00${'01'.repeat(20)}`) })), 'leading zeros do not count');
  assert.throws(() => buildCertificate(leafTemplate({ notAfter: notBefore })), code('CERT_INVALID_VALUE', /notBefore must be earlier/));
  assert.throws(() => buildCertificate(leafTemplate({ subject: { commonName: 'x'.repeat(65) } })), code('CERT_INVALID_VALUE', /longer than 64/));
  assert.throws(() => buildCertificate(leafTemplate({ dnsNames: ['bad_name'] })), code('CERT_INVALID_NAME', /bad_name/));
  assert.throws(() => buildCertificate(leafTemplate({ ipAddresses: ['localhost'] })), code('CERT_INVALID_NAME', /not an IP address/));
  assert.throws(() => buildCertificate(leafTemplate({ keyUsage: [] })), code('CERT_INVALID_VALUE', /at least one usage/));
  assert.throws(() => buildCertificate(caTemplate({ keyUsage: ['digitalSignature'] })), code('CERT_INVALID_VALUE', /keyCertSign/));
  assert.throws(() => buildCertificate(caTemplate({ ca: { pathLength: -1 } })), code('CERT_INVALID_VALUE', /pathLength/));
  assert.throws(() => buildCertificate(leafTemplate({ issuer: hex('020100') })), code('CERT_INVALID_VALUE', /exactly one DER Name/));
  assert.throws(() => buildCertificate(leafTemplate({ issuer: hex('30003000') })), code('CERT_INVALID_VALUE', /exactly one DER Name/));
  assert.throws(() => certificateSubject(hex('3003020100')), code('CERT_MALFORMED_DER', /no subject Name/));
  assert.throws(() => certificateSubject(hex('30053003020100')), code('CERT_MALFORMED_DER', /no subject Name/));
  assert.throws(() => certificateSubject(hex('30')), code('CERT_MALFORMED_DER', /truncated/));
});

test('a CA without pathLength has an unbounded basicConstraints', () => {
  const der = buildCertificate(caTemplate({ ca: {} }));
  const file = join(dir, 'unbounded-ca.pem');
  writeFileSync(file, derToPem('CERTIFICATE', der));
  assert.match(openssl(['x509', '-in', file, '-noout', '-text']), /CA:TRUE\n/);
});
