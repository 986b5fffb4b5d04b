// The packets an endpoint sends without any connection state: Version Negotiation (RFC 9000 §6,
// §17.2.1), Retry (§8.1.2, §17.2.5), an Initial carrying CONNECTION_CLOSE to refuse a connection
// (§5.2.2, §10.2.3) and the size of a Stateless Reset (§10.3). The builders of the wire and crypto layers
// do the encoding; this file decides what goes in.
import { createPacketProtector, protectPacket } from '../crypto/packet-protection.js';
import { deriveInitialKeys } from '../crypto/initial.js';
import { buildRetryPacket } from '../crypto/retry.js';
import { MIN_STATELESS_RESET_LENGTH } from '../crypto/stateless-reset.js';
import { BufferWriter } from '../wire/buffer.js';
import { encodeFrame } from '../wire/frames.js';
import { buildVersionNegotiation, finishLongHeader, QUIC_VERSION_1, writeLongHeader } from '../wire/header.js';

/** RFC 9001 §5.3: AEAD_AES_128_GCM (the Initial AEAD) has a 16-byte tag. */
const INITIAL_TAG_LENGTH = 16;
/** The longest reason phrase we put in a stateless CONNECTION_CLOSE. */
const MAX_CLOSE_REASON_BYTES = 64;
/**
 * RFC 9000 §10.3: "An endpoint that sends a Stateless Reset in response to a packet that is 43 bytes or
 * shorter SHOULD send a Stateless Reset that is one byte shorter than the packet it responds to."
 */
export const SMALL_PACKET_RESET_THRESHOLD = 43;
/**
 * RFC 9000 §10.3.3: a reset smaller than 41 bytes might be identifiable as one; above the small-packet
 * threshold we answer with a size drawn from [41, min(received - 1, this)].
 */
export const MIN_INDISTINGUISHABLE_RESET_LENGTH = 41;
export const MAX_STATELESS_RESET_LENGTH = 64;

/**
 * RFC 9000 §6.1: a Version Negotiation packet echoing the client's connection IDs swapped, listing our
 * versions plus one reserved "greasing" version of the form 0x?a?a?a?a (§15) so clients keep tolerating
 * unknown versions. The 7 unused bits of the first byte are random (§17.2.1).
 */
export function versionNegotiationPacket(
  clientDcid: Uint8Array,
  clientScid: Uint8Array,
  versions: readonly number[],
  random: (n: number) => Uint8Array,
): Uint8Array {
  const r = random(5);
  const grease = (((r[0]! & 0xf0) << 24) | ((r[1]! & 0xf0) << 16) | ((r[2]! & 0xf0) << 8) | (r[3]! & 0xf0) | 0x0a0a0a0a) >>> 0;
  return buildVersionNegotiation(clientScid, clientDcid, [...versions, grease], r[4]!);
}

/** RFC 9000 §17.2.5: a Retry to the client's SCID from our new `retryScid`, with its integrity tag (RFC 9001 §5.8). */
export function retryPacket(
  clientScid: Uint8Array,
  originalDcid: Uint8Array,
  retryScid: Uint8Array,
  token: Uint8Array,
  random: (n: number) => Uint8Array,
  version: number = QUIC_VERSION_1,
): Uint8Array {
  return buildRetryPacket(originalDcid, { dcid: clientScid, scid: retryScid, token, unusedBits: random(1)[0]!, version });
}

/**
 * An Initial packet carrying a transport CONNECTION_CLOSE (RFC 9000 §19.19), protected with the Initial
 * keys of the client's DCID (RFC 9001 §5.2), as a server sends it without creating a connection:
 * CONNECTION_REFUSED when over its limits (§5.2.2) or INVALID_TOKEN for a bad Retry token (§8.1.2).
 * CONNECTION_CLOSE is not ack-eliciting, so the datagram need not be padded to 1200 bytes (§14.1).
 */
export function initialClosePacket(
  clientDcid: Uint8Array,
  clientScid: Uint8Array,
  serverScid: Uint8Array,
  errorCode: number,
  reason: string,
  version: number = QUIC_VERSION_1,
): Uint8Array {
  const reasonBytes = Buffer.from(reason, 'utf8').subarray(0, MAX_CLOSE_REASON_BYTES);
  const buf = new Uint8Array(64 + clientDcid.length + clientScid.length + serverScid.length + reasonBytes.length + INITIAL_TAG_LENGTH);
  const w = new BufferWriter(buf);
  const packetNumberLength = 1;
  const layout = writeLongHeader(w, { type: 'initial', version, dcid: clientScid, scid: serverScid, packetNumber: 0, packetNumberLength }, 2);
  encodeFrame(w, { kind: 'connection_close', isApplication: false, errorCode, frameType: 0, reason: reasonBytes.toString('utf8') });
  // RFC 9001 §5.4.2: packet number + payload must be at least 4 bytes for the header protection sample.
  const minimum = layout.pnOffset + 4;
  if (w.offset < minimum) encodeFrame(w, { kind: 'padding', length: minimum - w.offset });
  finishLongHeader(w, layout, INITIAL_TAG_LENGTH);
  const protector = createPacketProtector(deriveInitialKeys(clientDcid, version).server);
  const end = protectPacket(protector, buf, 0, layout.pnOffset, packetNumberLength, w.offset, 0);
  return buf.subarray(0, end);
}

/**
 * The size of the Stateless Reset answering a datagram of `receivedLength` bytes (RFC 9000 §10.3,
 * §10.3.3), or undefined when none may be sent: it must be smaller than what triggered it (so two
 * endpoints cannot loop) and at least 21 bytes (§10.3).
 */
export function statelessResetLength(receivedLength: number, random: (n: number) => Uint8Array): number | undefined {
  const largest = receivedLength - 1;
  if (largest < MIN_STATELESS_RESET_LENGTH) return undefined;
  if (receivedLength <= SMALL_PACKET_RESET_THRESHOLD) return largest;
  const upper = Math.min(largest, MAX_STATELESS_RESET_LENGTH);
  const lower = Math.min(MIN_INDISTINGUISHABLE_RESET_LENGTH, upper);
  return lower + (random(1)[0]! % (upper - lower + 1));
}
