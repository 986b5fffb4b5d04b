// Transport errors raised by the stream and connection-ID building blocks. The connection state machine
// catches a StreamError and closes the connection with CONNECTION_CLOSE (type 0x1c) carrying `code`
// and `reason` (RFC 9000 §10.2, §19.19). Local misuse of the API (writing after finish, for example)
// is a LocalStreamError instead: it is a bug in the caller, never something a peer can provoke.

import { QuicError, TransportErrorCode } from '../wire/errors.js';

// RFC 9000 §20.1: one table of transport error codes for the whole library (src/quic/wire/errors.ts).
export { TransportErrorCode } from '../wire/errors.js';

/**
 * A connection error the peer caused: close the connection with `code` and `reason`. A QuicError (same
 * message, "FINAL_SIZE_ERROR: <reason>"), named for where it comes from.
 */
export class StreamError extends QuicError {
  constructor(code: TransportErrorCode, reason: string) {
    super(code, reason);
    this.name = 'StreamError';
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
