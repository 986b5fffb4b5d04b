// QUIC transport error codes (RFC 9000 §20.1) and the error types every wire/crypto function raises.
// One rule for the whole QUIC library: whatever a peer sends, decoding fails only with a QuicError
// (or a subclass) that carries the code the connection must close with, never a RangeError or TypeError.

/** RFC 9000 §20.1 Transport Error Codes. */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  CONNECTION_REFUSED: 0x02,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  TRANSPORT_PARAMETER_ERROR: 0x08,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
  INVALID_TOKEN: 0x0b,
  APPLICATION_ERROR: 0x0c,
  CRYPTO_BUFFER_EXCEEDED: 0x0d,
  KEY_UPDATE_ERROR: 0x0e,
  AEAD_LIMIT_REACHED: 0x0f,
  NO_VIABLE_PATH: 0x10,
} as const;

export type TransportErrorName = keyof typeof TransportErrorCode;
/** One of the RFC 9000 §20.1 code points above. */
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** RFC 9000 §20.1: CRYPTO_ERROR is the range 0x0100-0x01ff; the low byte is the TLS alert. */
export const CRYPTO_ERROR_BASE = 0x0100;
export const CRYPTO_ERROR_MAX = 0x01ff;

/** The transport error code that carries TLS alert `alert` (RFC 9001 §4.8). */
export function cryptoErrorCode(alert: number): number {
  if (!Number.isInteger(alert) || alert < 0 || alert > 0xff) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `TLS alert ${alert} is not a byte`);
  }
  return CRYPTO_ERROR_BASE + alert;
}

export function isCryptoErrorCode(code: number): boolean {
  return code >= CRYPTO_ERROR_BASE && code <= CRYPTO_ERROR_MAX;
}

const namesByCode = new Map<number, TransportErrorName>(
  (Object.entries(TransportErrorCode) as [TransportErrorName, number][]).map(([n, c]) => [c, n]),
);

/** A readable name: "FRAME_ENCODING_ERROR", "CRYPTO_ERROR(0x128)", or "UNKNOWN(0x...)" for unassigned codes. */
export function transportErrorName(code: number): string {
  const name = namesByCode.get(code);
  if (name !== undefined) return name;
  if (isCryptoErrorCode(code)) return `CRYPTO_ERROR(0x${code.toString(16)})`;
  return `UNKNOWN(0x${code.toString(16)})`;
}

export interface QuicErrorOptions {
  /** The frame type that triggered the error, sent in CONNECTION_CLOSE 0x1c (RFC 9000 §19.19). */
  frameType?: number;
  /** True for an application error code (CONNECTION_CLOSE 0x1d); the code is then not a transport code. */
  isApplication?: boolean;
}

/**
 * A connection error (RFC 9000 §11.1): the code and reason the endpoint closes the connection with.
 * Error codes are varints up to 2^62-1; this library keeps them as `number` (all transport codes are
 * small, and a peer's application code above 2^53-1 is saturated to Number.MAX_SAFE_INTEGER on decode).
 */
export class QuicError extends Error {
  readonly code: number;
  readonly frameType?: number;
  readonly reason: string;
  readonly isApplication: boolean;

  constructor(code: number, reason: string, options: QuicErrorOptions = {}) {
    const isApplication = options.isApplication ?? false;
    const label = isApplication ? `application error 0x${code.toString(16)}` : transportErrorName(code);
    const frame = options.frameType === undefined ? '' : ` (frame type 0x${options.frameType.toString(16)})`;
    super(`${label}: ${reason}${frame}`);
    this.name = 'QuicError';
    this.code = code;
    this.reason = reason;
    this.isApplication = isApplication;
    if (options.frameType !== undefined) this.frameType = options.frameType;
  }
}

/**
 * Malformed bytes: a read past the end of a buffer or an encoding the RFC forbids. The code is the one the
 * caller's context requires (FRAME_ENCODING_ERROR for frames, TRANSPORT_PARAMETER_ERROR for parameters).
 */
export class QuicWireError extends QuicError {
  constructor(code: number, reason: string, options: QuicErrorOptions = {}) {
    super(code, reason, options);
    this.name = 'QuicWireError';
  }
}

/**
 * A packet that must be dropped without closing the connection (e.g. RFC 9000 §12.2 "an endpoint ...
 * MUST discard" / §17.2 fixed bit 0). Its code is informational (PROTOCOL_VIOLATION): the endpoint drops
 * the packet, and the datagram's remaining packets when it cannot find their boundary.
 */
export class InvalidPacketError extends QuicError {
  constructor(reason: string) {
    super(TransportErrorCode.PROTOCOL_VIOLATION, reason);
    this.name = 'InvalidPacketError';
  }
}
