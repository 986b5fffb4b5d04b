// Dispatch of the frames of an authenticated packet (RFC 9000 §19) to the part of the connection that
// owns them. Decoding already enforced which frames each packet type may carry (§12.4) and which the
// receiving role may get (NEW_TOKEN and HANDSHAKE_DONE only at a client, §19.7, §19.20).
import type { ConnectionIdManager } from '../cid/connection-id-manager.js';
import type { StreamManager } from '../streams/stream-manager.js';
import { isAckEliciting } from '../wire/frame-rules.js';
import type { AckFrame, Frame } from '../wire/frame-types.js';
import type { ConnectionCloseInfo } from './api.js';
import type { PacketSpace } from './packet-space.js';
import type { NetworkPath } from './paths.js';

/** What the frames of a packet act on. */
export interface FrameTarget {
  readonly streams: StreamManager;
  readonly cids: ConnectionIdManager;
  ack(space: PacketSpace, frame: AckFrame, now: number): void;
  /** In-order CRYPTO bytes of a space for TLS. */
  crypto(space: PacketSpace, offset: number, data: Uint8Array): void;
  newToken(token: Uint8Array): void;
  pathResponse(data: Uint8Array, now: number): void;
  connectionClose(info: ConnectionCloseInfo, now: number): void;
  handshakeDone(now: number): void;
  datagram(data: Uint8Array): void;
}

/** Frames that do not make a packet "non-probing" (RFC 9000 §9.1). */
const PROBING_FRAMES = new Set<Frame['kind']>(['path_challenge', 'path_response', 'new_connection_id', 'padding']);

export interface PacketClass {
  /** RFC 9002 §2: contains a frame other than ACK, PADDING, CONNECTION_CLOSE. */
  ackEliciting: boolean;
  /** RFC 9000 §9.1: contains a frame other than the probing ones; only these move the peer's address. */
  nonProbing: boolean;
}

export function classifyFrames(frames: readonly Frame[]): PacketClass {
  let ackEliciting = false;
  let nonProbing = false;
  for (const f of frames) {
    if (isAckEliciting(f.kind)) ackEliciting = true;
    if (!PROBING_FRAMES.has(f.kind)) nonProbing = true;
  }
  return { ackEliciting, nonProbing };
}

/**
 * Applies one frame. `path` is where the packet arrived (PATH_CHALLENGE is answered there, §8.2.2);
 * `arrivedOnCid` is the sequence number of the connection ID it was sent to (RETIRE_CONNECTION_ID must
 * not retire that one, §19.16). Violations throw QuicError/StreamError, which close the connection.
 */
export function handleFrame(t: FrameTarget, space: PacketSpace, f: Frame, path: NetworkPath, now: number, arrivedOnCid: number | undefined): void {
  const streams = t.streams;
  switch (f.kind) {
    case 'padding':
    case 'ping':
      return;
    case 'ack':
      t.ack(space, f, now);
      return;
    case 'crypto':
      t.crypto(space, f.offset, f.data);
      return;
    case 'stream':
      streams.onStreamFrame(f.streamId, f.offset, f.data, f.fin);
      return;
    case 'reset_stream':
      streams.onResetStream(f.streamId, f.errorCode, f.finalSize);
      return;
    case 'stop_sending':
      streams.onStopSending(f.streamId, f.errorCode);
      return;
    case 'max_data':
      streams.onMaxData(f.maximum);
      return;
    case 'max_stream_data':
      streams.onMaxStreamData(f.streamId, f.maximum);
      return;
    case 'max_streams':
      streams.onMaxStreams(f.bidirectional ? 'bidi' : 'uni', f.maximum);
      return;
    case 'data_blocked':
      streams.onDataBlocked(f.limit);
      return;
    case 'stream_data_blocked':
      streams.onStreamDataBlocked(f.streamId, f.limit);
      return;
    case 'streams_blocked':
      streams.onStreamsBlocked(f.bidirectional ? 'bidi' : 'uni', f.limit);
      return;
    case 'new_token':
      t.newToken(Uint8Array.from(f.token));
      return;
    case 'new_connection_id':
      // Copies: the frame views the packet buffer, the manager keeps the values.
      t.cids.onNewConnectionId(f.sequenceNumber, f.retirePriorTo, Uint8Array.from(f.connectionId), Uint8Array.from(f.statelessResetToken));
      return;
    case 'retire_connection_id':
      t.cids.onRetireConnectionId(f.sequenceNumber, arrivedOnCid);
      return;
    case 'path_challenge':
      path.queueResponse(f.data);
      return;
    case 'path_response':
      t.pathResponse(f.data, now);
      return;
    case 'connection_close': {
      const info: ConnectionCloseInfo = { code: f.errorCode, application: f.isApplication, reason: f.reason, remote: true, cause: 'close' };
      if (!f.isApplication && f.frameType !== 0) info.frameType = f.frameType;
      t.connectionClose(info, now);
      return;
    }
    case 'handshake_done':
      t.handshakeDone(now);
      return;
    case 'datagram':
      t.datagram(Uint8Array.from(f.data));
      return;
  }
}
