// Walks the TLVs of DER this module produced or that node:crypto exported (a SubjectPublicKeyInfo) with the
// QUIC stack's strict DER reader (src/quic/tls/der-reader.ts, X.690 §8.1, §10.1), reporting a malformed
// input in certificate generation's own terms: CERT_MALFORMED_DER, never an out-of-bounds read.
import { CertificateParseError, readDerTlv } from '../../quic/tls/der-reader.js';
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

/** The element starting at `offset`. */
export function readTlv(input: Uint8Array, offset: number): DerElement {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const { tag, start, contentStart, end } = readDerTlv(bytes, offset, bytes.length);
    return { tag, content: bytes.subarray(contentStart, end), tlv: bytes.subarray(start, end), end };
  } catch (err) {
    if (err instanceof CertificateParseError) throw new CertificateGenerationError('CERT_MALFORMED_DER', err.message, { cause: err });
    throw err;
  }
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
