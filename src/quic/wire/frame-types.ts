// QUIC frame types (RFC 9000 §19, DATAGRAM from RFC 9221 §4) as a typed discriminated union, and the
// wire frame type of each value. Decoding and encoding live in frames.ts.

export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  /** 0x08-0x0f: the low three bits are OFF (0x04), LEN (0x02) and FIN (0x01), RFC 9000 §19.8. */
  STREAM: 0x08,
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APPLICATION: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  DATAGRAM: 0x30,
  DATAGRAM_WITH_LENGTH: 0x31,
} as const;

/** RFC 9000 §19.8: STREAM frame type bits. */
export const STREAM_OFF_BIT = 0x04;
export const STREAM_LEN_BIT = 0x02;
export const STREAM_FIN_BIT = 0x01;

/** RFC 9000 §4.6 / §19.11: a stream count cannot exceed 2^60. */
export const MAX_STREAM_COUNT = 2 ** 60;
/** RFC 9000 §10.3: stateless reset tokens are 16 bytes. */
export const STATELESS_RESET_TOKEN_LENGTH = 16;
/** RFC 9000 §19.17: PATH_CHALLENGE / PATH_RESPONSE carry 8 bytes. */
export const PATH_DATA_LENGTH = 8;

export interface PaddingFrame {
  kind: 'padding';
  /** Consecutive PADDING bytes, decoded as one frame (RFC 9000 §19.1). */
  length: number;
}
export interface PingFrame {
  kind: 'ping';
}
/** An inclusive range of acknowledged packet numbers. */
export interface AckRange {
  smallest: number;
  largest: number;
}
/** RFC 9000 §19.3.2. */
export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}
export interface AckFrame {
  kind: 'ack';
  /** Descending, disjoint and non-adjacent; ranges[0].largest is the Largest Acknowledged. */
  ranges: AckRange[];
  /** Ack Delay as encoded: microseconds divided by 2^ack_delay_exponent (RFC 9000 §19.3). */
  ackDelay: number;
  /** Present for ACK_ECN (type 0x03). */
  ecn?: EcnCounts;
}
export interface ResetStreamFrame {
  kind: 'reset_stream';
  streamId: number;
  errorCode: number;
  finalSize: number;
}
export interface StopSendingFrame {
  kind: 'stop_sending';
  streamId: number;
  errorCode: number;
}
export interface CryptoFrame {
  kind: 'crypto';
  offset: number;
  data: Uint8Array;
}
export interface NewTokenFrame {
  kind: 'new_token';
  token: Uint8Array;
}
export interface StreamFrame {
  kind: 'stream';
  streamId: number;
  offset: number;
  data: Uint8Array;
  fin: boolean;
  /**
   * Whether the Length field is present (RFC 9000 §19.8 LEN bit). Without it the data runs to the end
   * of the packet, so only the last frame of a packet may omit it. Encoding defaults to true.
   */
  hasLength?: boolean;
}
export interface MaxDataFrame {
  kind: 'max_data';
  maximum: number;
}
export interface MaxStreamDataFrame {
  kind: 'max_stream_data';
  streamId: number;
  maximum: number;
}
export interface MaxStreamsFrame {
  kind: 'max_streams';
  bidirectional: boolean;
  maximum: number;
}
export interface DataBlockedFrame {
  kind: 'data_blocked';
  limit: number;
}
export interface StreamDataBlockedFrame {
  kind: 'stream_data_blocked';
  streamId: number;
  limit: number;
}
export interface StreamsBlockedFrame {
  kind: 'streams_blocked';
  bidirectional: boolean;
  limit: number;
}
export interface NewConnectionIdFrame {
  kind: 'new_connection_id';
  sequenceNumber: number;
  retirePriorTo: number;
  connectionId: Uint8Array;
  statelessResetToken: Uint8Array;
}
export interface RetireConnectionIdFrame {
  kind: 'retire_connection_id';
  sequenceNumber: number;
}
export interface PathChallengeFrame {
  kind: 'path_challenge';
  data: Uint8Array;
}
export interface PathResponseFrame {
  kind: 'path_response';
  data: Uint8Array;
}
export interface ConnectionCloseFrame {
  kind: 'connection_close';
  /** Type 0x1d (application) when true, 0x1c (transport) otherwise. */
  isApplication: boolean;
  errorCode: number;
  /** Transport close only: the frame type that caused the error, 0 when unknown (RFC 9000 §19.19). */
  frameType: number;
  /** Reason Phrase, UTF-8 (RFC 9000 §19.19); invalid sequences decode to U+FFFD. */
  reason: string;
}
export interface HandshakeDoneFrame {
  kind: 'handshake_done';
}
export interface DatagramFrame {
  kind: 'datagram';
  data: Uint8Array;
  /** Type 0x31 (with Length) when true; 0x30 runs to the end of the packet. Encoding defaults to true. */
  hasLength?: boolean;
}

export type Frame =
  | PaddingFrame
  | PingFrame
  | AckFrame
  | ResetStreamFrame
  | StopSendingFrame
  | CryptoFrame
  | NewTokenFrame
  | StreamFrame
  | MaxDataFrame
  | MaxStreamDataFrame
  | MaxStreamsFrame
  | DataBlockedFrame
  | StreamDataBlockedFrame
  | StreamsBlockedFrame
  | NewConnectionIdFrame
  | RetireConnectionIdFrame
  | PathChallengeFrame
  | PathResponseFrame
  | ConnectionCloseFrame
  | HandshakeDoneFrame
  | DatagramFrame;

export type FrameKind = Frame['kind'];

/** The wire frame type of `frame` (for STREAM, including its OFF/LEN/FIN bits). */
export function frameTypeOf(frame: Frame): number {
  switch (frame.kind) {
    case 'padding':
      return FrameType.PADDING;
    case 'ping':
      return FrameType.PING;
    case 'ack':
      return frame.ecn === undefined ? FrameType.ACK : FrameType.ACK_ECN;
    case 'reset_stream':
      return FrameType.RESET_STREAM;
    case 'stop_sending':
      return FrameType.STOP_SENDING;
    case 'crypto':
      return FrameType.CRYPTO;
    case 'new_token':
      return FrameType.NEW_TOKEN;
    case 'stream':
      return (
        FrameType.STREAM |
        (frame.offset !== 0 ? STREAM_OFF_BIT : 0) |
        (frame.hasLength !== false ? STREAM_LEN_BIT : 0) |
        (frame.fin ? STREAM_FIN_BIT : 0)
      );
    case 'max_data':
      return FrameType.MAX_DATA;
    case 'max_stream_data':
      return FrameType.MAX_STREAM_DATA;
    case 'max_streams':
      return frame.bidirectional ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI;
    case 'data_blocked':
      return FrameType.DATA_BLOCKED;
    case 'stream_data_blocked':
      return FrameType.STREAM_DATA_BLOCKED;
    case 'streams_blocked':
      return frame.bidirectional ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI;
    case 'new_connection_id':
      return FrameType.NEW_CONNECTION_ID;
    case 'retire_connection_id':
      return FrameType.RETIRE_CONNECTION_ID;
    case 'path_challenge':
      return FrameType.PATH_CHALLENGE;
    case 'path_response':
      return FrameType.PATH_RESPONSE;
    case 'connection_close':
      return frame.isApplication ? FrameType.CONNECTION_CLOSE_APPLICATION : FrameType.CONNECTION_CLOSE;
    case 'handshake_done':
      return FrameType.HANDSHAKE_DONE;
    case 'datagram':
      return frame.hasLength !== false ? FrameType.DATAGRAM_WITH_LENGTH : FrameType.DATAGRAM;
  }
}
