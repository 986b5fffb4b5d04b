// Errors the endpoint layer raises to the application. Protocol errors of a connection arrive as its
// 'closed' event (ConnectionCloseInfo); these are the local ones: bad options, use after close, a
// connection or stream that ended before the application got what it asked for.
import { transportErrorName } from '../wire/errors.js';
import type { ConnectionCloseInfo } from '../connection/api.js';

export type QuicEndpointErrorCode =
  /** An option is out of range or inconsistent. */
  | 'ERR_QUIC_ENDPOINT_OPTIONS'
  /** The endpoint (or server/client) was closed. */
  | 'ERR_QUIC_ENDPOINT_CLOSED'
  /** The UDP socket failed (bind error, send error). */
  | 'ERR_QUIC_SOCKET'
  /** The connection closed (details in `close`). */
  | 'ERR_QUIC_CONNECTION_CLOSED'
  /** The peer reset the stream (RESET_STREAM, RFC 9000 §19.4) or asked us to stop (STOP_SENDING, §19.5). */
  | 'ERR_QUIC_STREAM_RESET'
  | 'ERR_QUIC_STREAM_STOP_SENDING'
  /** The server rejected 0-RTT: what the stream sent as early data was discarded (RFC 9001 §4.6.2); send it again on a new stream. */
  | 'ERR_QUIC_EARLY_DATA_REJECTED'
  /** The peer did not allow another stream before the connection closed (MAX_STREAMS, RFC 9000 §4.6). */
  | 'ERR_QUIC_STREAM_LIMIT'
  /** The host name did not resolve. */
  | 'ERR_QUIC_LOOKUP';

export class QuicEndpointError extends Error {
  readonly code: QuicEndpointErrorCode;
  constructor(code: QuicEndpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuicEndpointError';
    this.code = code;
  }
}

/** A connection ended; `close` says how (RFC 9000 §10). */
export class QuicConnectionClosedError extends QuicEndpointError {
  readonly close: ConnectionCloseInfo;
  constructor(close: ConnectionCloseInfo) {
    super('ERR_QUIC_CONNECTION_CLOSED', describeClose(close));
    this.name = 'QuicConnectionClosedError';
    this.close = close;
  }
}

/** The peer ended its side of a stream with an application error code. */
export class QuicStreamResetError extends QuicEndpointError {
  readonly streamId: number;
  readonly applicationErrorCode: number;
  constructor(kind: 'reset' | 'stop-sending' | 'early-data-rejected', streamId: number, applicationErrorCode: number) {
    super(
      kind === 'reset' ? 'ERR_QUIC_STREAM_RESET' : kind === 'stop-sending' ? 'ERR_QUIC_STREAM_STOP_SENDING' : 'ERR_QUIC_EARLY_DATA_REJECTED',
      kind === 'early-data-rejected'
        ? `stream ${streamId}: the server rejected 0-RTT, so the data sent on it as early data was discarded (RFC 9001 §4.6.2); send it again on a new stream`
        : `stream ${streamId}: peer sent ${kind === 'reset' ? 'RESET_STREAM' : 'STOP_SENDING'} with application error 0x${applicationErrorCode.toString(16)}`,
    );
    this.name = 'QuicStreamResetError';
    this.streamId = streamId;
    this.applicationErrorCode = applicationErrorCode;
  }
}

/** "closed by peer: idle timeout", "closed locally: PROTOCOL_VIOLATION: bad frame", ... */
export function describeClose(info: ConnectionCloseInfo): string {
  const who = info.remote ? 'closed by peer' : 'closed locally';
  if (info.cause === 'idle') return `${who}: idle timeout`;
  if (info.cause === 'stateless-reset') return `${who}: stateless reset`;
  if (info.cause === 'handshake-timeout') return `${who}: handshake timeout`;
  const code = info.application ? `application error 0x${info.code.toString(16)}` : transportErrorName(info.code);
  return info.reason === '' ? `${who}: ${code}` : `${who}: ${code}: ${info.reason}`;
}
