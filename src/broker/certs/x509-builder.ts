// Builds and signs X.509 v3 certificates (RFC 5280 §4.1) with ECDSA P-256 + SHA-256, from node:crypto
// KeyObjects, for the broker's self-signed default. It writes exactly the fields and extensions a TLS 1.3
// server certificate and its private CA need, nothing more.
import { sign, type KeyObject } from 'node:crypto';
import { digest } from '../../quic/crypto/hkdf.js';
import { KeyUsageBit } from '../../quic/tls/certificate-fields.js';
import { canonicalDnsName, ipAddressOctets } from './alt-names.js';
import { readChildren, readTlv } from './der-reader.js';
import {
  DerTag,
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derImplicit,
  derInteger,
  derNamedBitString,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derTime,
  derUtf8String,
} from './der-writer.js';
import { CertificateGenerationError } from './errors.js';

/** Object identifiers used here. */
export const X509Oid = {
  // RFC 5758 §3.2
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  // RFC 5280 Appendix A.1 (X.520 attribute types)
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  // RFC 5280 §4.2.1
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // RFC 5280 §4.2.1.12
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/**
 * The keyUsage bits (RFC 5280 §4.2.1.3, numbered in KeyUsageBit) a certificate here may assert:
 * encipherOnly/decipherOnly only qualify keyAgreement, which an ECDSA signing certificate never needs.
 */
export type KeyUsageName = Exclude<keyof typeof KeyUsageBit, 'encipherOnly' | 'decipherOnly'>;
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth';

export interface DistinguishedName {
  readonly commonName: string;
  readonly organization?: string;
}

export interface CertificateTemplate {
  /** Positive, at most 20 octets, unique per issuer (RFC 5280 §4.1.2.2). */
  readonly serialNumber: Uint8Array;
  readonly subject: DistinguishedName;
  /**
   * The issuer's subject: as fields, or as the DER Name taken from the issuer's certificate (see
   * certificateSubject), which guarantees the byte equality path building relies on (RFC 5280 §7.1).
   */
  readonly issuer: DistinguishedName | Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's public key (any type node:crypto exports as SPKI). */
  readonly publicKey: KeyObject;
  /** The issuer's public key, for authorityKeyIdentifier (the subject's own key when self-signed). */
  readonly issuerPublicKey: KeyObject;
  /** The issuer's private key: ECDSA P-256. */
  readonly signingKey: KeyObject;
  /** Present for a CA certificate; pathLength limits the CAs that may follow below it. */
  readonly ca?: { readonly pathLength?: number };
  readonly keyUsage: readonly KeyUsageName[];
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

// RFC 5280 §4.1.2.2: "Conforming CAs MUST NOT use serialNumber values longer than 20 octets."
const MAX_SERIAL_OCTETS = 20;
// RFC 5280 Appendix A.1: ub-common-name and ub-organization-name.
const MAX_NAME_ATTRIBUTE_LENGTH = 64;
// RFC 7093 §2 (1): a key identifier of the leftmost 160 bits of the SHA-256 of the subjectPublicKey.
const KEY_IDENTIFIER_OCTETS = 20;
// X.509 version field value for v3 (RFC 5280 §4.1.2.1).
const VERSION_3 = 2;

function invalid(message: string): CertificateGenerationError {
  return new CertificateGenerationError('CERT_INVALID_VALUE', message);
}

/** AlgorithmIdentifier for ecdsa-with-SHA256: RFC 5758 §3.2 says the parameters field MUST be absent. */
function ecdsaWithSha256(): Buffer {
  return derSequence(derOid(X509Oid.ecdsaWithSha256));
}

function nameAttribute(oid: string, value: string, what: string): Buffer {
  if ([...value].length > MAX_NAME_ATTRIBUTE_LENGTH) throw invalid(`${what} is longer than ${MAX_NAME_ATTRIBUTE_LENGTH} characters (RFC 5280 Appendix A.1)`);
  // RFC 5280 §4.1.2.4: new certificates MUST encode DirectoryString as UTF8String. One attribute per
  // RDN, the common single-valued form.
  return derSetOf(derSequence(derOid(oid), derUtf8String(value)));
}

/**
 * Name (RFC 5280 §4.1.2.4), most significant RDN first: O then CN. The issuer of a certificate must be
 * byte-identical to its issuer's subject for path building (§7.1), which holds because both come from
 * this one function.
 */
export function encodeName(name: DistinguishedName): Buffer {
  const rdns: Buffer[] = [];
  if (name.organization !== undefined) rdns.push(nameAttribute(X509Oid.organizationName, name.organization, 'organization'));
  rdns.push(nameAttribute(X509Oid.commonName, name.commonName, 'commonName'));
  return derSequence(...rdns);
}

/** The subjectPublicKey BIT STRING's bits (without the unused-bits octet) of a key's SPKI. */
function subjectPublicKeyBits(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 §4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const outer = readTlv(spki, 0);
  const fields = readChildren(outer.content);
  const bits = fields[1];
  if (outer.tag !== DerTag.sequence || fields.length !== 2 || bits === undefined || bits.tag !== DerTag.bitString || bits.content.length < 1) {
    throw new CertificateGenerationError('CERT_MALFORMED_DER', 'the public key did not export as a SubjectPublicKeyInfo');
  }
  return bits.content.subarray(1);
}

/** Key identifier of a public key: RFC 7093 §2 method (1), SHA-256 truncated to 160 bits. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  return digest('sha256', subjectPublicKeyBits(publicKey)).subarray(0, KEY_IDENTIFIER_OCTETS);
}

/** Extension (RFC 5280 §4.1): critical is DEFAULT FALSE, so DER omits it when false (X.690 §11.5). */
function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? derSequence(derOid(oid), derBoolean(true), derOctetString(value)) : derSequence(derOid(oid), derOctetString(value));
}

function basicConstraints(ca: CertificateTemplate['ca']): Buffer {
  // RFC 5280 §4.2.1.9: cA DEFAULT FALSE (omitted for an end entity); pathLenConstraint only with cA.
  if (ca === undefined) return derSequence();
  if (ca.pathLength === undefined) return derSequence(derBoolean(true));
  if (!Number.isSafeInteger(ca.pathLength) || ca.pathLength < 0) throw invalid(`pathLength must be a non-negative integer, got ${ca.pathLength}`);
  return derSequence(derBoolean(true), derInteger(ca.pathLength));
}

function subjectAltName(dnsNames: readonly string[], ipAddresses: readonly string[]): Buffer {
  // RFC 5280 §4.2.1.6: GeneralName dNSName [2] IA5String, iPAddress [7] OCTET STRING (both IMPLICIT).
  const names = [
    ...dnsNames.map((n) => derImplicit(2, derIa5String(canonicalDnsName(n)))),
    ...ipAddresses.map((ip) => derImplicit(7, derOctetString(ipAddressOctets(ip)))),
  ];
  return derSequence(...names);
}

function extensions(t: CertificateTemplate): Buffer {
  const list: Buffer[] = [];
  // RFC 5280 §4.2.1.9: basicConstraints MUST be critical in CA certificates; critical in both keeps a
  // leaf from being mistaken for a CA by software that ignores a non-critical extension.
  list.push(extension(X509Oid.basicConstraints, true, basicConstraints(t.ca)));
  if (t.keyUsage.length === 0) throw invalid('keyUsage must name at least one usage (RFC 5280 §4.2.1.3)');
  if (t.ca !== undefined && !t.keyUsage.includes('keyCertSign')) throw invalid('a CA certificate needs keyUsage keyCertSign (RFC 5280 §4.2.1.3)');
  // RFC 5280 §4.2.1.3: "conforming CAs SHOULD mark this extension as critical".
  list.push(extension(X509Oid.keyUsage, true, derNamedBitString(t.keyUsage.map((u) => KeyUsageBit[u]))));
  if (t.extendedKeyUsage !== undefined && t.extendedKeyUsage.length > 0) {
    list.push(extension(X509Oid.extKeyUsage, false, derSequence(...t.extendedKeyUsage.map((u) => derOid(X509Oid[u])))));
  }
  const dnsNames = t.dnsNames ?? [];
  const ipAddresses = t.ipAddresses ?? [];
  // RFC 5280 §4.2.1.6: non-critical because the subject is never empty here.
  if (dnsNames.length + ipAddresses.length > 0) list.push(extension(X509Oid.subjectAltName, false, subjectAltName(dnsNames, ipAddresses)));
  // RFC 5280 §4.2.1.2: SKI MUST be in CA certificates, SHOULD be in end-entity ones.
  list.push(extension(X509Oid.subjectKeyIdentifier, false, derOctetString(keyIdentifier(t.publicKey))));
  // RFC 5280 §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING ... };
  // optional in a self-signed CA, but including it (as OpenSSL does) costs nothing and helps path building.
  list.push(extension(X509Oid.authorityKeyIdentifier, false, derSequence(derImplicit(0, derOctetString(keyIdentifier(t.issuerPublicKey))))));
  return derExplicit(3, derSequence(...list));
}

function checkSerial(serial: Uint8Array): void {
  let first = 0;
  while (first < serial.length && serial[first] === 0) first++;
  if (first === serial.length) throw invalid('serialNumber must be a positive integer (RFC 5280 §4.1.2.2)');
  // derInteger adds a 0x00 when the high bit is set: the encoded value may be one octet longer.
  const encodedOctets = serial.length - first + ((serial[first]! & 0x80) !== 0 ? 1 : 0);
  if (encodedOctets > MAX_SERIAL_OCTETS) throw invalid(`serialNumber is ${encodedOctets} octets encoded; RFC 5280 §4.1.2.2 allows at most ${MAX_SERIAL_OCTETS}`);
}

function checkSigningKey(key: KeyObject): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const kind = key.type === 'private' ? `${key.asymmetricKeyType ?? 'unknown'} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim() : `a ${key.type} key`;
    throw new CertificateGenerationError('CERT_UNSUPPORTED_KEY', `certificates are signed with an ECDSA P-256 private key, got ${kind}`);
  }
}

/**
 * The DER subject Name of a certificate: Certificate.tbsCertificate fields are [0] version, serialNumber,
 * signature, issuer, validity, subject (RFC 5280 §4.1.1.1, §4.1.2).
 */
export function certificateSubject(certificateDer: Uint8Array): Buffer {
  const notCertificate = (): CertificateGenerationError =>
    new CertificateGenerationError('CERT_MALFORMED_DER', 'not an X.509 certificate: no subject Name where RFC 5280 §4.1 puts it');
  const certificate = readTlv(certificateDer, 0);
  if (certificate.tag !== DerTag.sequence) throw notCertificate();
  const tbs = readChildren(certificate.content)[0];
  if (tbs?.tag !== DerTag.sequence) throw notCertificate();
  const fields = readChildren(tbs.content);
  // version is [0] EXPLICIT and DEFAULT v1, so it may be absent (RFC 5280 §4.1).
  const versioned = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[4 + versioned];
  if (subject?.tag !== DerTag.sequence) throw notCertificate();
  return Buffer.from(subject.tlv);
}

/** A DER Name given as bytes: exactly one SEQUENCE (RFC 5280 §4.1.2.4). */
function encodedName(der: Uint8Array): Buffer {
  const name = readTlv(der, 0);
  if (name.tag !== DerTag.sequence || name.end !== der.length) throw invalid('issuer bytes must be exactly one DER Name (a SEQUENCE)');
  return Buffer.from(der);
}

/** TBSCertificate (RFC 5280 §4.1.2), the signed part. */
export function buildTbsCertificate(t: CertificateTemplate): Buffer {
  checkSerial(t.serialNumber);
  if (!(t.notBefore.getTime() < t.notAfter.getTime())) throw invalid('notBefore must be earlier than notAfter (RFC 5280 §4.1.2.5)');
  return derSequence(
    derExplicit(0, derInteger(VERSION_3)),
    derInteger(t.serialNumber),
    // RFC 5280 §4.1.2.3: MUST equal signatureAlgorithm in the outer Certificate.
    ecdsaWithSha256(),
    t.issuer instanceof Uint8Array ? encodedName(t.issuer) : encodeName(t.issuer),
    derSequence(derTime(t.notBefore), derTime(t.notAfter)),
    encodeName(t.subject),
    t.publicKey.export({ type: 'spki', format: 'der' }),
    extensions(t),
  );
}

/** A signed certificate, DER-encoded: Certificate ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue }. */
export function buildCertificate(t: CertificateTemplate): Buffer {
  checkSigningKey(t.signingKey);
  const tbs = buildTbsCertificate(t);
  // RFC 5758 §3.2 / RFC 5480 §2.2.3: the BIT STRING holds the DER ECDSA-Sig-Value SEQUENCE { r, s }.
  const signature = sign('sha256', tbs, { key: t.signingKey, dsaEncoding: 'der' });
  return derSequence(tbs, ecdsaWithSha256(), derBitString(signature));
}
