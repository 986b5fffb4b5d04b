// Errors recovery reports. Codes are RFC 9000 §20.1 transport error codes (the same numbers
// src/quic/wire uses), so the connection closes with `code` directly.

/** RFC 9000 §20.1: the subset recovery can raise. */
export const RecoveryErrorCode = {
  INTERNAL_ERROR: 0x01,
  FRAME_ENCODING_ERROR: 0x07,
  PROTOCOL_VIOLATION: 0x0a,
} as const;

export type RecoveryErrorCodeValue = (typeof RecoveryErrorCode)[keyof typeof RecoveryErrorCode];

/**
 * A peer-caused protocol error (returned, never thrown, from ACK processing) or a local misuse of the
 * API (thrown, code INTERNAL_ERROR: a bug in the caller, not something a peer can trigger).
 */
export class RecoveryError extends Error {
  override readonly name = 'RecoveryError';
  constructor(
    readonly code: RecoveryErrorCodeValue,
    message: string,
  ) {
    super(message);
  }
}
