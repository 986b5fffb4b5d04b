// Where each frame type may appear (RFC 9000 §12.4 Table 3, RFC 9221 §4) and how frames count for loss
// recovery (RFC 9002 §2).
import { QuicError, TransportErrorCode } from './errors.js';
import { FrameType, type Frame, type FrameKind } from './frame-types.js';
import type { FramePacketType } from './header.js';

/** One bit per packet type that carries frames. */
const IN_INITIAL = 1;
const IN_0RTT = 2;
const IN_HANDSHAKE = 4;
const IN_1RTT = 8;
const PACKET_TYPE_BIT: Record<FramePacketType, number> = { initial: IN_INITIAL, '0rtt': IN_0RTT, handshake: IN_HANDSHAKE, '1rtt': IN_1RTT };

/** RFC 9000 §12.4 Table 3 "Pkts" column, by frame type; RFC 9221 §4 for DATAGRAM (0-RTT and 1-RTT). */
function allowedPacketTypes(frameType: number): number {
  if (frameType >= 0x08 && frameType <= 0x0f) return IN_0RTT | IN_1RTT; // STREAM
  switch (frameType) {
    case FrameType.PADDING:
    case FrameType.PING:
    case FrameType.CONNECTION_CLOSE:
      return IN_INITIAL | IN_0RTT | IN_HANDSHAKE | IN_1RTT;
    case FrameType.ACK:
    case FrameType.ACK_ECN:
    case FrameType.CRYPTO:
      return IN_INITIAL | IN_HANDSHAKE | IN_1RTT;
    case FrameType.NEW_TOKEN:
    case FrameType.PATH_RESPONSE:
    case FrameType.HANDSHAKE_DONE:
      return IN_1RTT;
    case FrameType.RESET_STREAM:
    case FrameType.STOP_SENDING:
    case FrameType.MAX_DATA:
    case FrameType.MAX_STREAM_DATA:
    case FrameType.MAX_STREAMS_BIDI:
    case FrameType.MAX_STREAMS_UNI:
    case FrameType.DATA_BLOCKED:
    case FrameType.STREAM_DATA_BLOCKED:
    case FrameType.STREAMS_BLOCKED_BIDI:
    case FrameType.STREAMS_BLOCKED_UNI:
    case FrameType.NEW_CONNECTION_ID:
    case FrameType.RETIRE_CONNECTION_ID:
    case FrameType.PATH_CHALLENGE:
    case FrameType.CONNECTION_CLOSE_APPLICATION:
    case FrameType.DATAGRAM:
    case FrameType.DATAGRAM_WITH_LENGTH:
      return IN_0RTT | IN_1RTT;
    default:
      return 0;
  }
}

/** Whether frame type `frameType` may appear in a packet of `packetType` (RFC 9000 §12.4 Table 3). */
export function isFrameAllowedIn(frameType: number, packetType: FramePacketType): boolean {
  return (allowedPacketTypes(frameType) & PACKET_TYPE_BIT[packetType]) !== 0;
}

/**
 * RFC 9000 §12.4: "An endpoint MUST treat receipt of a frame in a packet type that is not permitted as a
 * connection error of type PROTOCOL_VIOLATION."
 */
export function checkFrameAllowed(frameType: number, packetType: FramePacketType): void {
  if (!isFrameAllowedIn(frameType, packetType)) {
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, `frame type 0x${frameType.toString(16)} not allowed in a ${packetType} packet`, {
      frameType,
    });
  }
}

/** RFC 9002 §2: every frame except ACK, PADDING and CONNECTION_CLOSE is ack-eliciting (DATAGRAM too, RFC 9221 §5.2). */
export function isAckEliciting(kind: FrameKind): boolean {
  return kind !== 'ack' && kind !== 'padding' && kind !== 'connection_close';
}

/** RFC 9002 §2: a packet is in flight when it is ack-eliciting or contains PADDING. */
export function countsInFlight(kind: FrameKind): boolean {
  return isAckEliciting(kind) || kind === 'padding';
}

export function isAckElicitingPacket(frames: readonly Frame[]): boolean {
  return frames.some((f) => isAckEliciting(f.kind));
}

export function isInFlightPacket(frames: readonly Frame[]): boolean {
  return frames.some((f) => countsInFlight(f.kind));
}
