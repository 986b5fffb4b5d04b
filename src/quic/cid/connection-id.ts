// Connection ID values and limits shared by the local and peer connection-ID sets (RFC 9000 §5.1).
import { timingSafeEqual } from 'node:crypto';

export type ConnectionId = Uint8Array;

/** RFC 9000 §17.2: connection IDs are at most 20 bytes in QUIC version 1. */
export const MAX_CONNECTION_ID_LENGTH = 20;
/** RFC 9000 §10.3: stateless reset tokens are 16 bytes. */
export const STATELESS_RESET_TOKEN_LENGTH = 16;
/** RFC 9000 §18.2: active_connection_id_limit defaults to 2 and a smaller value is invalid. */
export const MIN_ACTIVE_CONNECTION_ID_LIMIT = 2;
/** RFC 9000 §10.3: a stateless reset is at least 21 bytes long (5 + 16-byte token). */
export const MIN_STATELESS_RESET_LENGTH = 21;

export function connectionIdEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time token comparison: RFC 9000 §10.3.1 requires not leaking the token through timing. */
export function resetTokenEquals(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

export const connectionIdHex = (cid: Uint8Array): string => Buffer.from(cid.buffer, cid.byteOffset, cid.byteLength).toString('hex');
