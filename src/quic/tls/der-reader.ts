// A strict DER reader (X.690 §8.1, §10) for certificates and the keys in them: one TLV at a time, each
// bounded by its container. Only the definite length form exists in DER (X.690 §10.1); anything truncated,
// indefinite, high-tag-numbered or overlong is a CertificateParseError, never an out-of-bounds read.

/** The DER of a certificate (or of a structure inside one) could not be read. */
export class CertificateParseError extends Error {
  readonly code = 'ERR_CERTIFICATE_DER';
  constructor(message: string) {
    super(message);
    this.name = 'CertificateParseError';
  }
}

/** One element's position in the input: identifier, length and content octets. */
export interface DerTlv {
  /** The identifier octet (class, constructed bit, tag number). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset one past the last content octet. */
  readonly end: number;
}

// Three length octets cover 16 MiB, far beyond any certificate or key; a longer length field is refused,
// which also keeps the length arithmetic exact.
export const MAX_DER_LENGTH_OCTETS = 3;

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/**
 * The element whose identifier octet is at `start`, which must end at or before `limit`; when
 * `expectedTag` is given the element must carry it. Throws CertificateParseError.
 */
export function readDerTlv(buf: Uint8Array, start: number, limit: number, expectedTag?: number): DerTlv {
  if (start + 2 > limit) throw new CertificateParseError(`truncated DER element at offset ${start}`);
  const tag = buf[start]!;
  // X.690 §8.1.2.4: tag numbers of 31 and above take more identifier octets; none occur in a certificate.
  if ((tag & 0x1f) === 0x1f) throw new CertificateParseError(`multi-octet DER tag at offset ${start} is not supported`);
  if (expectedTag !== undefined && tag !== expectedTag) {
    throw new CertificateParseError(`expected DER tag 0x${hex2(expectedTag)}, found 0x${hex2(tag)} at offset ${start}`);
  }
  const first = buf[start + 1]!;
  let contentStart = start + 2;
  let length: number;
  if (first < 0x80) {
    length = first; // X.690 §8.1.3.4: short form
  } else {
    // X.690 §8.1.3.5: long form, the low seven bits count the length octets.
    const count = first & 0x7f;
    // X.690 §10.1: DER uses the definite form only; 0x80 (indefinite, §8.1.3.6) is not DER.
    if (count === 0) throw new CertificateParseError(`unsupported DER length encoding at offset ${start}: indefinite length is not DER`);
    if (count > MAX_DER_LENGTH_OCTETS) {
      throw new CertificateParseError(`unsupported DER length encoding at offset ${start}: length of ${count} octets is too large`);
    }
    if (contentStart + count > limit) throw new CertificateParseError(`truncated DER length at offset ${start}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i]!;
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) {
    throw new CertificateParseError(`DER element at offset ${start} claims ${length} octets, only ${limit - contentStart} remain`);
  }
  return { tag, start, contentStart, end };
}

/** A cursor over the elements between two offsets of a buffer (the content of one constructed element). */
export class DerReader {
  constructor(
    private readonly buf: Buffer,
    private pos: number,
    private readonly limit: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.limit;
  }

  peekTag(): number | undefined {
    return this.pos < this.limit ? this.buf[this.pos] : undefined;
  }

  /** The next element (of `expectedTag` when given); the cursor moves past it. */
  read(expectedTag?: number): DerTlv {
    const tlv = readDerTlv(this.buf, this.pos, this.limit, expectedTag);
    this.pos = tlv.end;
    return tlv;
  }

  /** A reader over the content of a constructed element. */
  enter(tlv: DerTlv): DerReader {
    return new DerReader(this.buf, tlv.contentStart, tlv.end);
  }

  /** The content octets of an element (a view into the input). */
  content(tlv: DerTlv): Buffer {
    return this.buf.subarray(tlv.contentStart, tlv.end);
  }

  /** The whole element, identifier and length included (a view into the input). */
  whole(tlv: DerTlv): Buffer {
    return this.buf.subarray(tlv.start, tlv.end);
  }
}
