// QUIC frame codec (RFC 9000 §19, DATAGRAM from RFC 9221 §4): decode the frames of a decrypted packet
// payload, encode frames into a BufferWriter. Types are in frame-types.ts, packet-type rules and recovery
// classification in frame-rules.ts, sizes in frame-size.ts; the first two are re-exported here.
//
// Decoding never throws anything but QuicError, with the code RFC 9000 requires. Data-carrying frames
// (STREAM, CRYPTO, DATAGRAM, NEW_TOKEN) return views into the payload: zero copy, valid as long as the
// caller keeps the payload buffer unchanged.
//
// Values are `number` (see varint.ts). A peer value above 2^53-1 is handled per field: limits and
// counters saturate to Number.MAX_SAFE_INTEGER (no connection can reach them); stream IDs, offsets, final
// sizes, acknowledged packet numbers and sequence numbers beyond it can only be a violation of a limit
// this endpoint sent, and fail with that limit's error code.
import { BufferReader, BufferWriter } from './buffer.js';
import { QuicError, TransportErrorCode } from './errors.js';
import { checkFrameAllowed } from './frame-rules.js';
import {
  FrameType,
  frameTypeOf,
  MAX_STREAM_COUNT,
  PATH_DATA_LENGTH,
  STATELESS_RESET_TOKEN_LENGTH,
  STREAM_FIN_BIT,
  STREAM_LEN_BIT,
  STREAM_OFF_BIT,
  type AckFrame,
  type AckRange,
  type Frame,
  type NewConnectionIdFrame,
  type StreamFrame,
} from './frame-types.js';
import { MAX_CONNECTION_ID_LENGTH, type FramePacketType } from './header.js';
import { VARINT_MAX, VARINT_MAX_SAFE } from './varint.js';

export * from './frame-types.js';
export * from './frame-rules.js';

const MAX_SAFE_BIG = BigInt(VARINT_MAX_SAFE);

export interface FrameDecodeOptions {
  /** Reject frames not allowed in this packet type (RFC 9000 §12.4 Table 3). */
  packetType?: FramePacketType;
  /** The decoding endpoint's role: a server rejects NEW_TOKEN (§19.7) and HANDSHAKE_DONE (§19.20). */
  receiver?: 'client' | 'server';
  /**
   * The max_datagram_frame_size this endpoint advertised (RFC 9221 §3), 0 when it did not. When given,
   * a DATAGRAM frame without support or larger than this is a PROTOCOL_VIOLATION. Undefined skips the check.
   */
  maxDatagramFrameSize?: number;
}

/**
 * Decodes every frame of a decrypted packet payload. RFC 9000 §12.4: a packet with no frames is a
 * PROTOCOL_VIOLATION. Each iteration consumes at least one byte, so this is bounded by the payload size.
 */
export function decodeFrames(payload: Uint8Array, options: FrameDecodeOptions = {}): Frame[] {
  const r = new BufferReader(payload, TransportErrorCode.FRAME_ENCODING_ERROR);
  if (r.atEnd) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'packet payload contains no frames');
  const frames: Frame[] = [];
  while (!r.atEnd) frames.push(decodeFrame(r, options));
  return frames;
}

/** Decodes one frame at the reader's cursor. */
export function decodeFrame(r: BufferReader, options: FrameDecodeOptions = {}): Frame {
  const typeLength = r.peekVarintLength();
  const type = r.varint();
  if (!isKnownFrameType(type)) {
    // RFC 9000 §12.4: unknown frame type -> FRAME_ENCODING_ERROR. A type beyond 2^53-1 is reported
    // saturated: CONNECTION_CLOSE only echoes it for diagnostics.
    throw frameError(TransportErrorCode.FRAME_ENCODING_ERROR, `unknown frame type 0x${type.toString(16)}`, saturating(type));
  }
  if (typeLength !== 1) {
    // RFC 9000 §12.4: frame types MUST use the shortest encoding; longer MAY be a PROTOCOL_VIOLATION.
    throw frameError(TransportErrorCode.PROTOCOL_VIOLATION, `frame type 0x${type.toString(16)} not minimally encoded`, type);
  }
  if (options.packetType !== undefined) checkFrameAllowed(type, options.packetType);
  try {
    return decodeFrameBody(r, type, options);
  } catch (e) {
    if (e instanceof QuicError && e.frameType === undefined && !e.isApplication) {
      throw new QuicError(e.code, e.reason, { frameType: type });
    }
    throw e;
  }
}

function isKnownFrameType(type: number): boolean {
  return type <= FrameType.HANDSHAKE_DONE || type === FrameType.DATAGRAM || type === FrameType.DATAGRAM_WITH_LENGTH;
}

function frameError(code: number, reason: string, frameType: number): QuicError {
  return new QuicError(code, reason, { frameType });
}

function decodeFrameBody(r: BufferReader, type: number, options: FrameDecodeOptions): Frame {
  if (type >= 0x08 && type <= 0x0f) return decodeStream(r, type);
  switch (type) {
    case FrameType.PADDING: {
      // RFC 9000 §19.1: a run of zero bytes; read it as one frame so a padded packet is one entry.
      let length = 1;
      const bytes = r.bytes;
      let p = r.offset;
      while (r.remaining > 0 && bytes[p] === 0) {
        p++;
        length++;
        r.skip(1);
      }
      return { kind: 'padding', length };
    }
    case FrameType.PING:
      return { kind: 'ping' };
    case FrameType.ACK:
    case FrameType.ACK_ECN:
      return decodeAck(r, type === FrameType.ACK_ECN);
    case FrameType.RESET_STREAM: {
      const streamId = readStreamId(r);
      const errorCode = saturating(r.varint());
      const finalSize = r.varint();
      // RFC 9000 §4.5: a final size beyond the flow control limit is a FLOW_CONTROL_ERROR; no limit
      // this endpoint grants exceeds 2^53-1.
      if (finalSize > VARINT_MAX_SAFE) throw new QuicError(TransportErrorCode.FLOW_CONTROL_ERROR, 'final size beyond any flow control limit');
      return { kind: 'reset_stream', streamId, errorCode, finalSize };
    }
    case FrameType.STOP_SENDING:
      return { kind: 'stop_sending', streamId: readStreamId(r), errorCode: saturating(r.varint()) };
    case FrameType.CRYPTO: {
      const offsetAt = r.offset;
      const offset = r.varint();
      const data = r.varintBytes();
      // RFC 9000 §19.6: offset + length > 2^62-1 -> FRAME_ENCODING_ERROR or CRYPTO_BUFFER_EXCEEDED.
      checkDataEnd(r, offsetAt, offset, data.length, TransportErrorCode.CRYPTO_BUFFER_EXCEEDED);
      return { kind: 'crypto', offset, data };
    }
    case FrameType.NEW_TOKEN: {
      // RFC 9000 §19.7: a server receiving NEW_TOKEN -> PROTOCOL_VIOLATION.
      if (options.receiver === 'server') throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'NEW_TOKEN received by a server');
      const token = r.varintBytes();
      // RFC 9000 §19.7: an empty token -> FRAME_ENCODING_ERROR.
      if (token.length === 0) r.fail('NEW_TOKEN with an empty token');
      return { kind: 'new_token', token };
    }
    case FrameType.MAX_DATA:
      return { kind: 'max_data', maximum: saturating(r.varint()) };
    case FrameType.MAX_STREAM_DATA:
      return { kind: 'max_stream_data', streamId: readStreamId(r), maximum: saturating(r.varint()) };
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
      return { kind: 'max_streams', bidirectional: type === FrameType.MAX_STREAMS_BIDI, maximum: readStreamCount(r, 'MAX_STREAMS') };
    case FrameType.DATA_BLOCKED:
      return { kind: 'data_blocked', limit: saturating(r.varint()) };
    case FrameType.STREAM_DATA_BLOCKED:
      return { kind: 'stream_data_blocked', streamId: readStreamId(r), limit: saturating(r.varint()) };
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
      return {
        kind: 'streams_blocked',
        bidirectional: type === FrameType.STREAMS_BLOCKED_BIDI,
        limit: readStreamCount(r, 'STREAMS_BLOCKED'),
      };
    case FrameType.NEW_CONNECTION_ID:
      return decodeNewConnectionId(r);
    case FrameType.RETIRE_CONNECTION_ID: {
      const sequenceNumber = r.varint();
      // RFC 9000 §19.16: retiring a sequence number never sent -> PROTOCOL_VIOLATION; sequence numbers grow
      // by one per issued ID (§5.1.1), so none this endpoint sent exceeds 2^53-1.
      if (sequenceNumber > VARINT_MAX_SAFE) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'retired sequence number never issued');
      return { kind: 'retire_connection_id', sequenceNumber };
    }
    case FrameType.PATH_CHALLENGE:
      return { kind: 'path_challenge', data: r.bytesView(PATH_DATA_LENGTH) };
    case FrameType.PATH_RESPONSE:
      return { kind: 'path_response', data: r.bytesView(PATH_DATA_LENGTH) };
    case FrameType.CONNECTION_CLOSE:
    case FrameType.CONNECTION_CLOSE_APPLICATION: {
      const isApplication = type === FrameType.CONNECTION_CLOSE_APPLICATION;
      const errorCode = saturating(r.varint());
      const frameType = isApplication ? 0 : saturating(r.varint());
      const reason = utf8.decode(r.varintBytes());
      return { kind: 'connection_close', isApplication, errorCode, frameType, reason };
    }
    case FrameType.HANDSHAKE_DONE:
      // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE -> PROTOCOL_VIOLATION.
      if (options.receiver === 'server') throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'HANDSHAKE_DONE received by a server');
      return { kind: 'handshake_done' };
    case FrameType.DATAGRAM:
    case FrameType.DATAGRAM_WITH_LENGTH: {
      const hasLength = type === FrameType.DATAGRAM_WITH_LENGTH;
      const start = r.offset - 1;
      const data = hasLength ? r.varintBytes() : r.rest();
      const max = options.maxDatagramFrameSize;
      // RFC 9221 §3: DATAGRAM without advertised support, or larger than advertised -> PROTOCOL_VIOLATION.
      if (max !== undefined && (max === 0 || r.offset - start > max)) {
        throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, max === 0 ? 'DATAGRAM frames not negotiated' : `DATAGRAM frame larger than ${max} bytes`);
      }
      return { kind: 'datagram', data, hasLength };
    }
    default:
      // Unreachable: isKnownFrameType filtered the type.
      throw frameError(TransportErrorCode.FRAME_ENCODING_ERROR, `unknown frame type 0x${type.toString(16)}`, type);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function saturating(v: number): number {
  return v > VARINT_MAX_SAFE ? VARINT_MAX_SAFE : v;
}

/**
 * A stream ID. IDs above 2^53-1 can only exceed the stream limit this endpoint advertised (the
 * connection keeps limits below 2^51 streams), so they fail with STREAM_LIMIT_ERROR (RFC 9000 §4.6).
 */
function readStreamId(r: BufferReader): number {
  const id = r.varint();
  if (id > VARINT_MAX_SAFE) throw new QuicError(TransportErrorCode.STREAM_LIMIT_ERROR, 'stream ID beyond any stream limit');
  return id;
}

/**
 * RFC 9000 §19.11 / §19.14: a stream count above 2^60 -> FRAME_ENCODING_ERROR (checked exactly); valid
 * counts above 2^53-1 saturate (no connection opens that many streams).
 */
function readStreamCount(r: BufferReader, what: string): number {
  const at = r.offset;
  const v = r.varint();
  if (v <= VARINT_MAX_SAFE) return v;
  r.seek(at);
  if (r.varintBigInt() > BigInt(MAX_STREAM_COUNT)) r.fail(`${what} above 2^60`);
  return VARINT_MAX_SAFE;
}

/**
 * RFC 9000 §19.8 (STREAM) / §19.6 (CRYPTO): offset + length beyond 2^62-1 -> FRAME_ENCODING_ERROR.
 * Within 2^62-1 but beyond 2^53-1 the data exceeds any flow-control limit or crypto buffer this endpoint
 * grants, hence `beyondLimitCode` (FLOW_CONTROL_ERROR, §4.5; CRYPTO_BUFFER_EXCEEDED, §7.5).
 */
function checkDataEnd(r: BufferReader, offsetAt: number, offset: number, length: number, beyondLimitCode: number): void {
  if (offset + length <= VARINT_MAX_SAFE) return;
  const here = r.offset;
  r.seek(offsetAt);
  const exact = r.varintBigInt();
  r.seek(here);
  if (exact + BigInt(length) > VARINT_MAX) r.fail('offset + length exceeds 2^62-1');
  throw new QuicError(beyondLimitCode, 'data beyond any limit this endpoint grants');
}

function decodeStream(r: BufferReader, type: number): StreamFrame {
  const streamId = readStreamId(r);
  const offsetAt = r.offset;
  const offset = (type & STREAM_OFF_BIT) !== 0 ? r.varint() : 0;
  const hasLength = (type & STREAM_LEN_BIT) !== 0;
  const data = hasLength ? r.varintBytes() : r.rest();
  checkDataEnd(r, offsetAt, offset, data.length, TransportErrorCode.FLOW_CONTROL_ERROR);
  return { kind: 'stream', streamId, offset, data, fin: (type & STREAM_FIN_BIT) !== 0, hasLength };
}

function decodeAck(r: BufferReader, withEcn: boolean): AckFrame {
  const largest = r.varint();
  // RFC 9000 §13.1: acknowledging a packet never sent SHOULD be a PROTOCOL_VIOLATION; no endpoint sends
  // 2^53 packets.
  if (largest > VARINT_MAX_SAFE) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'acknowledged packet number never sent');
  const ackDelay = saturating(r.varint());
  const rangeCount = r.varint();
  const firstRange = r.varint();
  // Each further range takes at least 2 bytes (Gap, ACK Range Length): a larger count is truncated data,
  // and checking first keeps a hostile count from driving the loop.
  if (rangeCount > r.remaining / 2) r.fail(`ACK Range Count ${rangeCount} exceeds the frame`);
  // RFC 9000 §19.3.1: a negative smallest packet number -> FRAME_ENCODING_ERROR.
  if (firstRange > largest) r.fail('First ACK Range exceeds Largest Acknowledged');
  const ranges: AckRange[] = [{ smallest: largest - firstRange, largest }];
  let smallest = largest - firstRange;
  for (let i = 0; i < rangeCount; i++) {
    const gap = r.varint();
    const length = r.varint();
    // §19.3.1: largest = previous smallest - gap - 2; smallest = largest - length.
    const nextLargest = smallest - gap - 2;
    if (nextLargest < 0) r.fail('ACK Gap underflows below packet number 0');
    if (length > nextLargest) r.fail('ACK Range Length underflows below packet number 0');
    smallest = nextLargest - length;
    ranges.push({ smallest, largest: nextLargest });
  }
  if (!withEcn) return { kind: 'ack', ranges, ackDelay };
  const ecn = { ect0: saturating(r.varint()), ect1: saturating(r.varint()), ce: saturating(r.varint()) };
  return { kind: 'ack', ranges, ackDelay, ecn };
}

function decodeNewConnectionId(r: BufferReader): NewConnectionIdFrame {
  const seqAt = r.offset;
  const sequenceNumber = r.varint();
  const retireAt = r.offset;
  const retirePriorTo = r.varint();
  const cidLength = r.u8();
  // RFC 9000 §19.15: length outside 1..20 -> FRAME_ENCODING_ERROR.
  if (cidLength < 1 || cidLength > MAX_CONNECTION_ID_LENGTH) r.fail(`NEW_CONNECTION_ID length ${cidLength} outside 1..20`);
  const connectionId = r.bytesView(cidLength);
  const statelessResetToken = r.bytesView(STATELESS_RESET_TOKEN_LENGTH);
  if (sequenceNumber > VARINT_MAX_SAFE || retirePriorTo > VARINT_MAX_SAFE) {
    const end = r.offset;
    r.seek(seqAt);
    const seqExact = r.varintBigInt();
    r.seek(retireAt);
    const retireExact = r.varintBigInt();
    r.seek(end);
    if (retireExact > seqExact) r.fail('Retire Prior To greater than Sequence Number');
    // RFC 9000 §5.1.1: sequence numbers increase by 1 per issued ID, so 2^53 cannot be reached honestly.
    if (seqExact > MAX_SAFE_BIG) throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'connection ID sequence number out of range');
  }
  // RFC 9000 §19.15: Retire Prior To greater than Sequence Number -> FRAME_ENCODING_ERROR.
  if (retirePriorTo > sequenceNumber) r.fail('Retire Prior To greater than Sequence Number');
  return { kind: 'new_connection_id', sequenceNumber, retirePriorTo, connectionId, statelessResetToken };
}

// ---------------------------------------------------------------------------------------------------
// Encoding

const utf8Encoder = new TextEncoder();

/** Writes `frame` into `w`. Invalid frames (a local bug) raise INTERNAL_ERROR. */
export function encodeFrame(w: BufferWriter, frame: Frame): void {
  const type = frameTypeOf(frame);
  switch (frame.kind) {
    case 'padding':
      if (frame.length < 1) throw internal('PADDING length must be at least 1');
      w.zeros(frame.length);
      return;
    case 'ping':
    case 'handshake_done':
      w.u8(type);
      return;
    case 'ack':
      encodeAck(w, frame);
      return;
    case 'reset_stream':
      w.u8(type).varint(frame.streamId).varint(frame.errorCode).varint(frame.finalSize);
      return;
    case 'stop_sending':
      w.u8(type).varint(frame.streamId).varint(frame.errorCode);
      return;
    case 'crypto':
      w.u8(type).varint(frame.offset).varint(frame.data.length).bytes(frame.data);
      return;
    case 'new_token':
      if (frame.token.length === 0) throw internal('NEW_TOKEN needs a non-empty token');
      w.u8(type).varint(frame.token.length).bytes(frame.token);
      return;
    case 'stream':
      w.u8(type).varint(frame.streamId);
      if (frame.offset !== 0) w.varint(frame.offset);
      if (frame.hasLength !== false) w.varint(frame.data.length);
      w.bytes(frame.data);
      return;
    case 'max_data':
      w.u8(type).varint(frame.maximum);
      return;
    case 'max_stream_data':
      w.u8(type).varint(frame.streamId).varint(frame.maximum);
      return;
    case 'max_streams':
    case 'streams_blocked': {
      const v = frame.kind === 'max_streams' ? frame.maximum : frame.limit;
      if (v > MAX_STREAM_COUNT) throw internal('stream count above 2^60');
      w.u8(type).varint(v);
      return;
    }
    case 'data_blocked':
      w.u8(type).varint(frame.limit);
      return;
    case 'stream_data_blocked':
      w.u8(type).varint(frame.streamId).varint(frame.limit);
      return;
    case 'new_connection_id': {
      const len = frame.connectionId.length;
      if (len < 1 || len > MAX_CONNECTION_ID_LENGTH) throw internal('NEW_CONNECTION_ID length outside 1..20');
      if (frame.statelessResetToken.length !== STATELESS_RESET_TOKEN_LENGTH) throw internal('stateless reset token must be 16 bytes');
      if (frame.retirePriorTo > frame.sequenceNumber) throw internal('Retire Prior To greater than Sequence Number');
      w.u8(type).varint(frame.sequenceNumber).varint(frame.retirePriorTo).u8(len).bytes(frame.connectionId).bytes(frame.statelessResetToken);
      return;
    }
    case 'retire_connection_id':
      w.u8(type).varint(frame.sequenceNumber);
      return;
    case 'path_challenge':
    case 'path_response':
      if (frame.data.length !== PATH_DATA_LENGTH) throw internal('path data must be 8 bytes');
      w.u8(type).bytes(frame.data);
      return;
    case 'connection_close': {
      const reason = utf8Encoder.encode(frame.reason);
      w.u8(type).varint(frame.errorCode);
      if (!frame.isApplication) w.varint(frame.frameType);
      w.varint(reason.length).bytes(reason);
      return;
    }
    case 'datagram':
      w.u8(type);
      if (frame.hasLength !== false) w.varint(frame.data.length);
      w.bytes(frame.data);
      return;
  }
}

function internal(reason: string): QuicError {
  return new QuicError(TransportErrorCode.INTERNAL_ERROR, reason);
}

function encodeAck(w: BufferWriter, frame: AckFrame): void {
  const ranges = frame.ranges;
  const first = ranges[0];
  if (first === undefined) throw internal('ACK frame needs at least one range');
  w.u8(frameTypeOf(frame)).varint(first.largest).varint(frame.ackDelay).varint(ranges.length - 1);
  if (first.smallest > first.largest || first.smallest < 0) throw internal('invalid ACK range');
  w.varint(first.largest - first.smallest);
  let prevSmallest = first.smallest;
  for (let i = 1; i < ranges.length; i++) {
    const range = ranges[i]!;
    // RFC 9000 §19.3.1: ranges descend with at least one unacknowledged packet between them.
    if (range.largest > prevSmallest - 2 || range.smallest > range.largest || range.smallest < 0) {
      throw internal('ACK ranges must be descending, disjoint and non-adjacent');
    }
    w.varint(prevSmallest - range.largest - 2).varint(range.largest - range.smallest);
    prevSmallest = range.smallest;
  }
  if (frame.ecn !== undefined) w.varint(frame.ecn.ect0).varint(frame.ecn.ect1).varint(frame.ecn.ce);
}

/** Encodes frames into a new buffer (tests, small control packets). */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const w = new BufferWriter();
  for (const f of frames) encodeFrame(w, f);
  return w.view();
}
