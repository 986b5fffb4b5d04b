// Stateless reset (RFC 9000 §10.3): tokens derived from a static key and the connection ID, so a server
// that lost its state can still produce the token it once advertised (§10.3.2), and detection of a reset
// among datagrams that did not decrypt (§10.3.1).
import { timingSafeEqual } from 'node:crypto';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { STATELESS_RESET_TOKEN_LENGTH } from '../wire/frame-types.js';
import { hmac } from './hkdf.js';

/**
 * RFC 9000 §10.3: 38 unpredictable bits (the first byte's low 6 bits and 4 more bytes) then the 16-byte
 * token, so a stateless reset is at least 21 bytes; smaller datagrams are never resets.
 */
export const MIN_STATELESS_RESET_LENGTH = 21;
/** RFC 9000 §10.3.2: the static key should have at least as much entropy as the token; we require 32 bytes. */
export const STATELESS_RESET_KEY_LENGTH = 32;

/**
 * RFC 9000 §10.3.2: token = HMAC(static_key, connection_id) truncated to 16 bytes. The key must be secret
 * and random per deployment; the same key across a cluster lets any node reset any connection.
 */
export function deriveStatelessResetToken(staticKey: Uint8Array, connectionId: Uint8Array): Buffer {
  if (staticKey.length < STATELESS_RESET_KEY_LENGTH) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `stateless reset key must be at least ${STATELESS_RESET_KEY_LENGTH} bytes`);
  }
  return hmac('sha256', staticKey, connectionId).subarray(0, STATELESS_RESET_TOKEN_LENGTH);
}

/**
 * The candidate token of a datagram: its last 16 bytes, or undefined when it cannot be a stateless reset
 * (shorter than 21 bytes; RFC 9000 §10.3.1). The caller compares it with the tokens of the connection the
 * datagram was routed to.
 */
export function statelessResetTokenCandidate(datagram: Uint8Array): Uint8Array | undefined {
  if (datagram.length < MIN_STATELESS_RESET_LENGTH) return undefined;
  return datagram.subarray(datagram.length - STATELESS_RESET_TOKEN_LENGTH);
}

/**
 * RFC 9000 §10.3.1: a datagram that could not be processed is a stateless reset when its last 16 bytes
 * equal a token the peer issued. Compared in constant time ("MUST ... compare ... without leaking").
 */
export function isStatelessReset(datagram: Uint8Array, tokens: Iterable<Uint8Array>): boolean {
  const candidate = statelessResetTokenCandidate(datagram);
  if (candidate === undefined) return false;
  let found = false;
  for (const token of tokens) {
    // Check every token (no early exit) so timing does not reveal which one matched.
    if (token.length === STATELESS_RESET_TOKEN_LENGTH && timingSafeEqual(candidate, token)) found = true;
  }
  return found;
}

/**
 * Builds a stateless reset of `length` bytes (RFC 9000 §10.3): a short-header-looking first byte
 * (0b01xxxxxx), unpredictable bytes, then the token. `randomBytes` supplies the unpredictable part
 * (injectable so tests are reproducible). RFC 9000 §10.3.3: to avoid reset loops it must be smaller than
 * the packet that triggered it; that is the caller's choice of `length`.
 */
export function buildStatelessReset(token: Uint8Array, length: number, randomBytes: (n: number) => Uint8Array): Uint8Array {
  if (token.length !== STATELESS_RESET_TOKEN_LENGTH) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'stateless reset token must be 16 bytes');
  if (!Number.isInteger(length) || length < MIN_STATELESS_RESET_LENGTH) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `stateless reset must be at least ${MIN_STATELESS_RESET_LENGTH} bytes`);
  }
  const out = new Uint8Array(length);
  const random = randomBytes(length - STATELESS_RESET_TOKEN_LENGTH);
  if (random.length !== length - STATELESS_RESET_TOKEN_LENGTH) throw new QuicError(TransportErrorCode.INTERNAL_ERROR, 'random source returned the wrong length');
  out.set(random, 0);
  // RFC 9000 §10.3: header form 0, fixed bit 1, the rest unpredictable.
  out[0] = 0x40 | (out[0]! & 0x3f);
  out.set(token, length - STATELESS_RESET_TOKEN_LENGTH);
  return out;
}
