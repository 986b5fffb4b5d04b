// Minimal DER encoder (ITU-T X.690 §8 and the DER restrictions of §10-11): just the types an X.509 v3
// certificate needs (RFC 5280 §4.1). Every function returns one complete TLV; constructed values are
// built from already-encoded children, so a certificate is assembled bottom-up without a schema.
import { readTlv } from './der-reader.js';
import { CertificateGenerationError } from './errors.js';

/** Universal tag numbers (X.680 §8.6) with the constructed bit where DER requires it. */
export const DerTag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

// X.690 §8.1.2.2: class bits 10 = context-specific; bit 6 = constructed.
const CONTEXT_CLASS = 0x80;
const CONSTRUCTED = 0x20;
// X.690 §8.1.2.4: tag numbers 31 and above need the multi-byte form, which X.509 never uses.
const MAX_LOW_TAG_NUMBER = 30;

function invalid(message: string): CertificateGenerationError {
  return new CertificateGenerationError('CERT_INVALID_VALUE', message);
}

/** X.690 §8.1.3 and §10.1: definite length, short form below 128, else the fewest length octets. */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw invalid(`DER length must be a non-negative integer, got ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** One TLV with a single-octet identifier. */
export function derTlv(tag: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) throw invalid(`DER tag must fit in one identifier octet, got ${tag}`);
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/** X.690 §11.1: TRUE is 0xFF in DER. */
export function derBoolean(value: boolean): Buffer {
  return derTlv(DerTag.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * A non-negative INTEGER (X.690 §8.3) from a number or big-endian magnitude bytes. §8.3.2: the encoding
 * is minimal (redundant leading zeros removed), and a 0x00 is prepended when the first octet has its
 * high bit set, which would otherwise make the two's-complement value negative.
 */
export function derInteger(value: number | bigint | Uint8Array): Buffer {
  let magnitude: Buffer;
  if (value instanceof Uint8Array) {
    magnitude = Buffer.from(value);
  } else {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw invalid(`INTEGER must be a safe integer, got ${value}`);
    let n = BigInt(value);
    if (n < 0n) throw invalid(`only non-negative INTEGERs are supported, got ${value}`);
    const octets: number[] = [];
    do {
      octets.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (n > 0n);
    magnitude = Buffer.from(octets);
  }
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let content = magnitude.subarray(start);
  if (content.length === 0) content = Buffer.from([0]);
  if (content[0]! & 0x80) content = Buffer.concat([Buffer.from([0]), content]);
  return derTlv(DerTag.integer, content);
}

/** X.690 §8.8: NULL has empty content. */
export function derNull(): Buffer {
  return derTlv(DerTag.null, Buffer.alloc(0));
}

/**
 * OBJECT IDENTIFIER from dotted form (X.690 §8.19): the first two arcs share one subidentifier
 * (40 * X + Y, X in 0..2, Y < 40 unless X = 2), each subidentifier base 128, high bit = "more follows".
 */
export function derOid(dotted: string): Buffer {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw invalid(`OID must be dotted decimal with at least two arcs, got ${JSON.stringify(dotted)}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = arcs as [bigint, bigint];
  if (first > 2n || (first < 2n && second >= 40n)) throw invalid(`OID ${dotted} has invalid first arcs (X.690 §8.19.4)`);
  const subidentifiers = [first * 40n + second, ...arcs.slice(2)];
  const out: number[] = [];
  for (const sub of subidentifiers) {
    const septets: number[] = [];
    let n = sub;
    do {
      septets.unshift(Number(n & 0x7fn));
      n >>= 7n;
    } while (n > 0n);
    for (let i = 0; i < septets.length - 1; i++) septets[i]! |= 0x80;
    out.push(...septets);
  }
  return derTlv(DerTag.objectIdentifier, Buffer.from(out));
}

/** BIT STRING (X.690 §8.6): first content octet = number of unused bits in the last octet (0..7). */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) throw invalid(`BIT STRING unused bits must be 0..7, got ${unusedBits}`);
  if (bytes.length === 0 && unusedBits !== 0) throw invalid('an empty BIT STRING has no unused bits');
  // X.690 §11.2.1: DER sets the unused bits to zero.
  if (bytes.length > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) throw invalid('BIT STRING unused bits must be zero in DER');
  return derTlv(DerTag.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A BIT STRING with a named bit list, e.g. KeyUsage (RFC 5280 §4.2.1.3). Bit 0 is the most significant
 * bit of the first octet. X.690 §11.2.2: trailing zero bits are removed, so the encoding ends at the
 * highest set bit and the unused-bits count says how much of the last octet is padding.
 */
export function derNamedBitString(bits: readonly number[]): Buffer {
  if (bits.length === 0) return derBitString(Buffer.alloc(0));
  for (const b of bits) if (!Number.isInteger(b) || b < 0 || b > 255) throw invalid(`named bit must be 0..255, got ${b}`);
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return derBitString(bytes, 7 - (highest & 7));
}

export function derOctetString(bytes: Uint8Array): Buffer {
  return derTlv(DerTag.octetString, bytes);
}

export function derUtf8String(text: string): Buffer {
  if (text.length === 0) throw invalid('UTF8String must not be empty here');
  const bytes = Buffer.from(text, 'utf8');
  // A lone surrogate has no UTF-8 form; Node would silently substitute U+FFFD.
  if (bytes.toString('utf8') !== text) throw invalid('UTF8String contains a lone surrogate');
  return derTlv(DerTag.utf8String, bytes);
}

// X.680 §41.4 Table 10: the PrintableString character set.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function derPrintableString(text: string): Buffer {
  if (!PRINTABLE.test(text)) throw invalid(`not a PrintableString (X.680 §41.4): ${JSON.stringify(text)}`);
  return derTlv(DerTag.printableString, Buffer.from(text, 'latin1'));
}

/** IA5String = ASCII (X.680 §41.4); used for dNSName (RFC 5280 §4.2.1.6). */
export function derIa5String(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw invalid(`not an IA5String (ASCII only): ${JSON.stringify(text)}`);
  return derTlv(DerTag.ia5String, Buffer.from(text, 'latin1'));
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function checkedDate(date: Date): Date {
  if (Number.isNaN(date.getTime())) throw invalid('time must be a valid Date');
  return date;
}

function timeDigits(date: Date): string {
  // RFC 5280 §4.1.2.5.1/§4.1.2.5.2: always seconds, always "Z" (UTC), never fractional seconds.
  return `${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
}

/** UTCTime YYMMDDHHMMSSZ; RFC 5280 §4.1.2.5.1 interprets YY >= 50 as 19YY, so only 1950-2049 fit. */
export function derUtcTime(date: Date): Buffer {
  const year = checkedDate(date).getUTCFullYear();
  if (year < 1950 || year > 2049) throw invalid(`UTCTime covers 1950-2049 only (RFC 5280 §4.1.2.5.1), got ${year}`);
  return derTlv(DerTag.utcTime, Buffer.from(`${pad2(year % 100)}${timeDigits(date)}`, 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.2). */
export function derGeneralizedTime(date: Date): Buffer {
  const year = checkedDate(date).getUTCFullYear();
  if (year < 0 || year > 9999) throw invalid(`GeneralizedTime needs a four-digit year, got ${year}`);
  return derTlv(DerTag.generalizedTime, Buffer.from(`${String(year).padStart(4, '0')}${timeDigits(date)}`, 'latin1'));
}

/** RFC 5280 §4.1.2.5: validity dates through 2049 MUST be UTCTime, from 2050 on GeneralizedTime. */
export function derTime(date: Date): Buffer {
  const year = checkedDate(date).getUTCFullYear();
  return year >= 1950 && year <= 2049 ? derUtcTime(date) : derGeneralizedTime(date);
}

export function derSequence(...children: Uint8Array[]): Buffer {
  return derTlv(DerTag.sequence, Buffer.concat(children));
}

/** SET OF: X.690 §11.6 orders the encoded components ascending, as octet strings. */
export function derSetOf(...children: Uint8Array[]): Buffer {
  const sorted = children.map((c) => Buffer.from(c)).sort(Buffer.compare);
  return derTlv(DerTag.set, Buffer.concat(sorted));
}

function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > MAX_LOW_TAG_NUMBER) throw invalid(`context tag number must be 0..${MAX_LOW_TAG_NUMBER}, got ${tagNumber}`);
  return CONTEXT_CLASS | (constructed ? CONSTRUCTED : 0) | tagNumber;
}

/** [n] EXPLICIT: a constructed context tag wrapping the whole inner TLV (X.690 §8.14.2). */
export function derExplicit(tagNumber: number, inner: Uint8Array): Buffer {
  return derTlv(contextTag(tagNumber, true), inner);
}

/**
 * [n] IMPLICIT: the context tag replaces the inner tag (X.690 §8.14.3), keeping its content and its
 * primitive/constructed form.
 */
export function derImplicit(tagNumber: number, innerTlv: Uint8Array): Buffer {
  const { tag, content, end } = readTlv(innerTlv, 0);
  if (end !== innerTlv.length) throw invalid('[IMPLICIT] expects exactly one TLV');
  return derTlv(contextTag(tagNumber, (tag & CONSTRUCTED) !== 0), content);
}
