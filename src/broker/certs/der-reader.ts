// Minimal DER reader (X.690 §8.1): walks TLVs of DER this module produced or that node:crypto exported
// (a SubjectPublicKeyInfo). Only definite lengths exist in DER (X.690 §10.1); anything truncated,
// indefinite or overlong is CERT_MALFORMED_DER, never an out-of-bounds read.
import { CertificateGenerationError } from './errors.js';

export interface DerElement {
  /** The identifier octet (class, constructed bit, tag number). */
  readonly tag: number;
  /** The content octets (a view into the input). */
  readonly content: Buffer;
  /** The whole element, identifier and length included (a view into the input). */
  readonly tlv: Buffer;
  /** Offset just past this element in the input. */
  readonly end: number;
}

// Four length octets cover 4 GiB, far beyond any certificate; more is malformed for our purposes.
const MAX_LENGTH_OCTETS = 4;

function malformed(message: string): CertificateGenerationError {
  return new CertificateGenerationError('CERT_MALFORMED_DER', message);
}

/** The element starting at `offset`. */
export function readTlv(input: Uint8Array, offset: number): DerElement {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (offset + 2 > bytes.length) throw malformed(`truncated DER element at offset ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed(`multi-octet DER tag at offset ${offset} is not supported`);
  const first = bytes[offset + 1]!;
  let length: number;
  let pos = offset + 2;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    // X.690 §10.1: DER forbids the indefinite form (0x80).
    if (count === 0) throw malformed(`indefinite length at offset ${offset} is not DER`);
    if (count > MAX_LENGTH_OCTETS) throw malformed(`length of ${count} octets at offset ${offset} is too large`);
    if (pos + count > bytes.length) throw malformed(`truncated DER length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos + i]!;
    pos += count;
  }
  const end = pos + length;
  if (end > bytes.length) throw malformed(`DER element at offset ${offset} claims ${length} octets, only ${bytes.length - pos} remain`);
  return { tag, content: bytes.subarray(pos, end), tlv: bytes.subarray(offset, end), end };
}

/** The elements inside a constructed value's content, in order. */
export function readChildren(content: Uint8Array): DerElement[] {
  const out: DerElement[] = [];
  // Each iteration consumes at least two octets, so the loop is bounded by content.length / 2.
  for (let offset = 0; offset < content.length; ) {
    const element = readTlv(content, offset);
    out.push(element);
    offset = element.end;
  }
  return out;
}
