// Transport errors raised by the stream and connection-ID building blocks. The connection state machine
// catches a StreamError and closes the connection with CONNECTION_CLOSE (type 0x1c) carrying `code`
// and `reason` (RFC 9000 §10.2, §19.19). Local misuse of the API (writing after finish, for example)
// is a LocalStreamError instead: it is a bug in the caller, never something a peer can provoke.

/** RFC 9000 §20.1 transport error codes used by this folder. */
export const TransportErrorCode = {
  NO_ERROR: 0x00,
  INTERNAL_ERROR: 0x01,
  FLOW_CONTROL_ERROR: 0x03,
  STREAM_LIMIT_ERROR: 0x04,
  STREAM_STATE_ERROR: 0x05,
  FINAL_SIZE_ERROR: 0x06,
  FRAME_ENCODING_ERROR: 0x07,
  CONNECTION_ID_LIMIT_ERROR: 0x09,
  PROTOCOL_VIOLATION: 0x0a,
} as const;

export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

const codeNames = new Map<number, string>(Object.entries(TransportErrorCode).map(([k, v]) => [v, k]));

/** A connection error the peer caused: close the connection with `code` and `reason`. */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: TransportErrorCode,
    readonly reason: string,
  ) {
    super(`${codeNames.get(code) ?? `0x${code.toString(16)}`}: ${reason}`);
  }
}

export type LocalStreamErrorCode =
  | 'ERR_STREAM_WRITE_AFTER_END'
  | 'ERR_STREAM_NOT_WRITABLE'
  | 'ERR_STREAM_NOT_READABLE'
  | 'ERR_STREAM_UNKNOWN'
  | 'ERR_STREAM_ILLEGAL_TRANSITION'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_CID_EXHAUSTED';

/** The local application or connection used an API wrongly; never caused by peer input. */
export class LocalStreamError extends Error {
  override readonly name = 'LocalStreamError';
  constructor(
    readonly code: LocalStreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Largest value a QUIC variable-length integer can carry (RFC 9000 §16). */
export const MAX_VARINT = 2 ** 62 - 1;
