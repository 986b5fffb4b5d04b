// Reads the X.509 fields that path validation needs and node:crypto's X509Certificate does not expose
// (pathLenConstraint, the keyUsage bits, raw issuer/subject names, the SAN entries as bytes, critical
// extensions), straight from the DER (RFC 5280 §4.1) with the strict reader of der-reader.ts: anything it
// cannot follow is a CertificateParseError, never a crash and never a partial result.

import { CertificateParseError, DerReader, type DerTlv } from './der-reader.js';

export { CertificateParseError } from './der-reader.js';

/** keyUsage bits, numbered as in RFC 5280 §4.2.1.3 (bit 0 is the most significant bit of the first byte). */
export const KeyUsageBit = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** Object identifiers this file and certificate validation look at. */
export const Oid = {
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// Extensions whose semantics validation implements; a critical extension outside this set makes the
// certificate unusable (RFC 5280 §4.2: "MUST reject the certificate if it encounters a critical
// extension it does not recognize").
const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  Oid.subjectAltName,
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extendedKeyUsage,
]);

export interface CertificateFields {
  /** 1, 2 or 3 (the encoded value plus one). */
  readonly version: number;
  /** OID of the algorithm the issuer signed this certificate with (Certificate.signatureAlgorithm). */
  readonly signatureAlgorithm: string;
  /** The issuer Name exactly as encoded (the whole SEQUENCE), for issuer matching. */
  readonly rawIssuer: Buffer;
  /** The subject Name exactly as encoded (the whole SEQUENCE). */
  readonly rawSubject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Every commonName attribute of the subject, in encoding order. */
  readonly subjectCommonNames: readonly string[];
  /** RFC 5280 §4.2.1.9; undefined when the extension is absent. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  /** RFC 5280 §4.2.1.3 as a set of KeyUsageBit numbers; undefined when the extension is absent. */
  readonly keyUsage?: ReadonlySet<number>;
  /** RFC 5280 §4.2.1.12 key purpose OIDs; undefined when the extension is absent. */
  readonly extendedKeyUsage?: readonly string[];
  /** RFC 5280 §4.2.1.6; undefined when the extension is absent. */
  readonly subjectAltName?: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly Buffer[] };
  /** OIDs of critical extensions that validation does not process. */
  readonly unprocessedCriticalExtensions: readonly string[];
}

// ASN.1 universal tags (X.680) and the context tags of TBSCertificate (RFC 5280 §4.1).
const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_TELETEX_STRING = 0x14;
const TAG_IA5_STRING = 0x16;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_UNIVERSAL_STRING = 0x1c;
const TAG_BMP_STRING = 0x1e;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_VERSION = 0xa0;
const TAG_EXTENSIONS = 0xa3;
const TAG_SAN_DNS_NAME = 0x82; // GeneralName dNSName [2] IMPLICIT IA5String
const TAG_SAN_IP_ADDRESS = 0x87; // GeneralName iPAddress [7] IMPLICIT OCTET STRING

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Parses the fields of a DER certificate that validation needs. Throws CertificateParseError. */
export function parseCertificateFields(der: Uint8Array): CertificateFields {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const outer = new DerReader(buf, 0, buf.length);
  const certificate = outer.read(TAG_SEQUENCE);
  if (!outer.done) throw new CertificateParseError('trailing bytes after the certificate');
  const cert = outer.enter(certificate);
  const tbs = cert.enter(cert.read(TAG_SEQUENCE));
  const algorithm = cert.enter(cert.read(TAG_SEQUENCE));
  const signatureAlgorithm = readOid(algorithm, algorithm.read(TAG_OID));
  cert.read(TAG_BIT_STRING); // signatureValue: node:crypto verifies it
  if (!cert.done) throw new CertificateParseError('trailing bytes in the certificate');

  let version = 1;
  if (tbs.peekTag() === TAG_VERSION) {
    const v = tbs.enter(tbs.read(TAG_VERSION));
    version = readSmallInteger(v, v.read(TAG_INTEGER)) + 1;
    if (version < 1 || version > 3) throw new CertificateParseError(`unknown certificate version ${version}`);
  }
  tbs.read(TAG_INTEGER); // serialNumber
  tbs.read(TAG_SEQUENCE); // signature AlgorithmIdentifier
  const issuerTlv = tbs.read(TAG_SEQUENCE);
  const validity = tbs.enter(tbs.read(TAG_SEQUENCE));
  const notBefore = readTime(validity);
  const notAfter = readTime(validity);
  const subjectTlv = tbs.read(TAG_SEQUENCE);
  tbs.read(TAG_SEQUENCE); // subjectPublicKeyInfo

  let basicConstraints: CertificateFields['basicConstraints'];
  let keyUsage: Set<number> | undefined;
  let extendedKeyUsage: string[] | undefined;
  let subjectAltName: CertificateFields['subjectAltName'];
  const unprocessedCriticalExtensions: string[] = [];

  while (!tbs.done) {
    const tlv = tbs.read();
    if (tlv.tag !== TAG_EXTENSIONS) continue; // issuerUniqueID / subjectUniqueID [1] [2]
    if (version !== 3) throw new CertificateParseError('extensions in a certificate that is not version 3');
    const wrapper = tbs.enter(tlv);
    const list = wrapper.enter(wrapper.read(TAG_SEQUENCE));
    const seen = new Set<string>();
    while (!list.done) {
      const ext = list.enter(list.read(TAG_SEQUENCE));
      const oid = readOid(ext, ext.read(TAG_OID));
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      if (seen.has(oid)) throw new CertificateParseError(`duplicate extension ${oid}`);
      seen.add(oid);
      let critical = false;
      if (ext.peekTag() === TAG_BOOLEAN) critical = readBoolean(ext, ext.read(TAG_BOOLEAN));
      const valueTlv = ext.read(TAG_OCTET_STRING);
      if (!ext.done) throw new CertificateParseError(`malformed extension ${oid}`);
      const value = new DerReader(buf, valueTlv.contentStart, valueTlv.end);
      switch (oid) {
        case Oid.basicConstraints:
          basicConstraints = readBasicConstraints(value);
          break;
        case Oid.keyUsage:
          keyUsage = readKeyUsage(value);
          break;
        case Oid.extendedKeyUsage:
          extendedKeyUsage = readOidSequence(value);
          break;
        case Oid.subjectAltName:
          subjectAltName = readSubjectAltName(value);
          break;
        default:
          if (critical && !PROCESSED_EXTENSIONS.has(oid)) unprocessedCriticalExtensions.push(oid);
          continue;
      }
      if (!value.done) throw new CertificateParseError(`trailing bytes in extension ${oid}`);
    }
  }

  return {
    version,
    signatureAlgorithm,
    rawIssuer: outer.whole(issuerTlv),
    rawSubject: outer.whole(subjectTlv),
    notBefore,
    notAfter,
    subjectCommonNames: readNameAttributes(new DerReader(buf, subjectTlv.contentStart, subjectTlv.end), Oid.commonName),
    ...(basicConstraints ? { basicConstraints } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(extendedKeyUsage ? { extendedKeyUsage } : {}),
    ...(subjectAltName ? { subjectAltName } : {}),
    unprocessedCriticalExtensions,
  };
}

function readSmallInteger(r: DerReader, tlv: DerTlv): number {
  const bytes = r.content(tlv);
  if (bytes.length === 0 || bytes.length > 4 || (bytes[0]! & 0x80) !== 0) {
    throw new CertificateParseError('integer out of range');
  }
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

function readBoolean(r: DerReader, tlv: DerTlv): boolean {
  const bytes = r.content(tlv);
  if (bytes.length !== 1) throw new CertificateParseError('malformed BOOLEAN');
  return bytes[0] !== 0;
}

function readOid(r: DerReader, tlv: DerTlv): string {
  const bytes = r.content(tlv);
  if (bytes.length === 0 || bytes.length > 64) throw new CertificateParseError('malformed OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (value === 0 && b === 0x80) throw new CertificateParseError('non-minimal OBJECT IDENTIFIER arc');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new CertificateParseError('OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new CertificateParseError('truncated OBJECT IDENTIFIER');
    }
  }
  // X.690 §8.19.4: the first subidentifier packs the first two arcs.
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

function readTime(r: DerReader): Date {
  const tlv = r.read();
  const text = r.content(tlv).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG_UTC_TIME) {
    // RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ; YY >= 50 means 19YY, otherwise 20YY.
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new CertificateParseError(`malformed UTCTime '${text}'`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TAG_GENERALIZED_TIME) {
    // RFC 5280 §4.1.2.5.2: YYYYMMDDHHMMSSZ, no fractional seconds.
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new CertificateParseError(`malformed GeneralizedTime '${text}'`);
    year = Number(m[1]);
  } else {
    throw new CertificateParseError(`expected a time, found DER tag 0x${hex2(tlv.tag)}`);
  }
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number, number, number, number, number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new CertificateParseError(`invalid date '${text}'`);
  }
  return d;
}

function readBasicConstraints(r: DerReader): { ca: boolean; pathLen?: number } {
  const seq = r.enter(r.read(TAG_SEQUENCE));
  let ca = false;
  let pathLen: number | undefined;
  if (seq.peekTag() === TAG_BOOLEAN) ca = readBoolean(seq, seq.read(TAG_BOOLEAN));
  if (seq.peekTag() === TAG_INTEGER) pathLen = readSmallInteger(seq, seq.read(TAG_INTEGER));
  if (!seq.done) throw new CertificateParseError('malformed basicConstraints');
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

function readKeyUsage(r: DerReader): Set<number> {
  const tlv = r.read(TAG_BIT_STRING);
  const bytes = r.content(tlv);
  // X.690 §8.6.2: the first content byte counts the unused bits of the last byte.
  if (bytes.length === 0 || bytes[0]! > 7 || (bytes.length === 1 && bytes[0] !== 0)) {
    throw new CertificateParseError('malformed keyUsage BIT STRING');
  }
  const bits = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      if ((bytes[i]! & (0x80 >> bit)) !== 0) bits.add((i - 1) * 8 + bit);
    }
  }
  return bits;
}

function readOidSequence(r: DerReader): string[] {
  const seq = r.enter(r.read(TAG_SEQUENCE));
  const oids: string[] = [];
  while (!seq.done) oids.push(readOid(seq, seq.read(TAG_OID)));
  return oids;
}

function readSubjectAltName(r: DerReader): { dnsNames: string[]; ipAddresses: Buffer[] } {
  const seq = r.enter(r.read(TAG_SEQUENCE));
  const dnsNames: string[] = [];
  const ipAddresses: Buffer[] = [];
  while (!seq.done) {
    const name = seq.read();
    if (name.tag === TAG_SAN_DNS_NAME) {
      dnsNames.push(seq.content(name).toString('latin1'));
    } else if (name.tag === TAG_SAN_IP_ADDRESS) {
      ipAddresses.push(Buffer.from(seq.content(name)));
    }
    // Other GeneralName forms (rfc822Name, URI, otherName, ...) play no part in matching an MQTT server's
    // DNS name or IP address (RFC 9525 §6.3, §6.4).
  }
  return { dnsNames, ipAddresses };
}

/** Values of every attribute of the given type in a Name (RFC 5280 §4.1.2.4), in encoding order. */
function readNameAttributes(name: DerReader, type: string): string[] {
  const values: string[] = [];
  while (!name.done) {
    const rdn = name.enter(name.read(TAG_SET));
    while (!rdn.done) {
      const atv = rdn.enter(rdn.read(TAG_SEQUENCE));
      const oid = readOid(atv, atv.read(TAG_OID));
      const value = atv.read();
      if (oid === type) values.push(decodeDirectoryString(value.tag, atv.content(value)));
    }
  }
  return values;
}

function decodeDirectoryString(tag: number, bytes: Buffer): string {
  switch (tag) {
    case TAG_UTF8_STRING:
      return bytes.toString('utf8');
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
    case TAG_TELETEX_STRING: // T.61 in theory; in practice Latin-1 (as OpenSSL and Go read it)
      return bytes.toString('latin1');
    case TAG_BMP_STRING: {
      if (bytes.length % 2 !== 0) throw new CertificateParseError('malformed BMPString');
      const swapped = Buffer.from(bytes).swap16(); // UCS-2 big-endian -> Node's little-endian utf16le
      return swapped.toString('utf16le');
    }
    case TAG_UNIVERSAL_STRING: {
      if (bytes.length % 4 !== 0) throw new CertificateParseError('malformed UniversalString');
      const points: number[] = [];
      for (let i = 0; i < bytes.length; i += 4) points.push(bytes.readUInt32BE(i));
      try {
        return String.fromCodePoint(...points);
      } catch {
        throw new CertificateParseError('invalid code point in UniversalString');
      }
    }
    default:
      throw new CertificateParseError(`unsupported string type 0x${hex2(tag)} in a name`);
  }
}
