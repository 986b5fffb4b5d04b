// Filling one packet with frames of each kind, in the order the connection asks for them. Every writer
// takes what fits: a frame pulled from a source (stream layer, connection IDs, CRYPTO buffer) that then
// does not fit is handed back as lost, so it is sent again later (RFC 9000 §13.3).
import type { ConnectionIdManager } from '../cid/connection-id-manager.js';
import type { AckTracker } from '../recovery/ack-tracker.js';
import { MAX_STREAM_CONTROL_FRAME_SIZE } from '../streams/frame-size.js';
import type { StreamManager } from '../streams/stream-manager.js';
import { maxCryptoDataInFrame } from '../wire/frame-size.js';
import type { Frame } from '../wire/frame-types.js';
import { cidFrameToWire, streamControlToWire } from './control-frames.js';
import type { PacketInProgress } from './packet-builder.js';
import type { PacketSpace } from './packet-space.js';
import type { NetworkPath } from './paths.js';

/** ACK ranges reported at most (RFC 9000 §13.2.4 lets a receiver limit them). */
export const MAX_ACK_RANGES_SENT = 32;
/** Upper bounds on frames of one kind per packet, so a misbehaving source cannot spin the builder. */
const MAX_CRYPTO_FRAMES_PER_PACKET = 64;
const MAX_CID_FRAMES_PER_PACKET = 32;
const MAX_CONTROL_FRAMES_PER_PACKET = 1024;
const MAX_STREAM_FRAMES_PER_PACKET = 4096;
/** Room below which no useful STREAM frame fits (type, stream ID, offset, length, a byte). */
const MIN_STREAM_FRAME_ROOM = 8;

/**
 * An ACK frame for `acks` (RFC 9000 §19.3). The delay is encoded with `ackDelayExponent`; Initial and
 * Handshake ACKs report no delay (RFC 9000 §13.2.1: they are sent immediately). Fewer ranges are sent
 * when all of them do not fit.
 */
export function writeAck(pkt: PacketInProgress, acks: AckTracker, now: number, ackDelayExponent: number, reportDelay: boolean): void {
  for (let ranges = MAX_ACK_RANGES_SENT; ranges >= 1; ranges = Math.floor(ranges / 2)) {
    const ack = acks.buildAck(now, ackDelayExponent, ranges);
    if (ack === undefined) return;
    const frame: Frame = {
      kind: 'ack',
      ackDelay: reportDelay ? ack.ackDelayEncoded : 0,
      ranges: ack.ranges.map(([smallest, largest]) => ({ smallest, largest })),
      ...(ack.ecn !== undefined ? { ecn: ack.ecn } : {}),
    };
    if (pkt.tryWrite(frame, { kind: 'ack', largest: ack.largest })) return;
  }
}

/** PATH_RESPONSE (on the path the challenge came from, RFC 9000 §8.2.2) and our PATH_CHALLENGE. */
export function writePathFrames(pkt: PacketInProgress, path: NetworkPath): void {
  while (path.responsesPending.length > 0) {
    const data = path.responsesPending[0]!;
    if (!pkt.tryWrite({ kind: 'path_response', data }, { kind: 'path-response' })) break;
    path.responsesPending.shift();
  }
  if (path.challengePending && path.challenge !== undefined) {
    if (pkt.tryWrite({ kind: 'path_challenge', data: path.challenge }, { kind: 'path-challenge' })) path.challengePending = false;
  }
}

/** CRYPTO frames (RFC 9000 §19.6): retransmissions first, then new handshake bytes. */
export function writeCrypto(pkt: PacketInProgress, space: PacketSpace): void {
  for (let round = 0; round < MAX_CRYPTO_FRAMES_PER_PACKET && space.hasCryptoToSend; round++) {
    // The largest offset bounds the frame header for any chunk the buffer may return.
    const max = maxCryptoDataInFrame(pkt.room, space.cryptoSend.writeOffset);
    if (max <= 0) return;
    const chunk = space.cryptoSend.nextChunk(max);
    if (chunk === undefined) return;
    if (!pkt.tryWrite({ kind: 'crypto', offset: chunk.offset, data: chunk.data }, { kind: 'crypto', offset: chunk.offset, length: chunk.data.length })) {
      space.cryptoSend.onLost(chunk.offset, chunk.data.length);
      return;
    }
  }
}

/** NEW_CONNECTION_ID / RETIRE_CONNECTION_ID (RFC 9000 §19.15, §19.16). */
export function writeConnectionIdFrames(pkt: PacketInProgress, cids: ConnectionIdManager, issueNew: boolean): void {
  for (let round = 0; round < MAX_CID_FRAMES_PER_PACKET; round++) {
    const f = cids.pollFrame(issueNew);
    if (f === undefined) return;
    if (!pkt.tryWrite(cidFrameToWire(f), { kind: 'cid', frame: f })) {
      cids.onFrameLost(f);
      return;
    }
  }
}

/** MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS, *_BLOCKED, RESET_STREAM, STOP_SENDING (RFC 9000 §19.4-19.14). */
export function writeStreamControl(pkt: PacketInProgress, streams: StreamManager, now: number, smoothedRtt: number): void {
  // The stream layer hands out a frame only with room for the largest one (its contract).
  for (let round = 0; round < MAX_CONTROL_FRAMES_PER_PACKET && pkt.room >= MAX_STREAM_CONTROL_FRAME_SIZE; round++) {
    const f = streams.pollControlFrame(now, smoothedRtt);
    if (f === undefined) return;
    if (!pkt.tryWrite(streamControlToWire(f), { kind: 'stream-control', frame: f })) {
      streams.onControlFrameLost(f);
      return;
    }
  }
}

/** Queued DATAGRAM frames (RFC 9221 §4), oldest first; never retransmitted. */
export function writeDatagrams(pkt: PacketInProgress, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    if (!pkt.tryWrite({ kind: 'datagram', data: queue[0]! }, { kind: 'datagram' })) return;
    queue.shift();
  }
}

/** STREAM frames (RFC 9000 §19.8): many small writes share one packet while a frame still fits. */
export function writeStreams(pkt: PacketInProgress, streams: StreamManager): void {
  for (let round = 0; round < MAX_STREAM_FRAMES_PER_PACKET && pkt.room >= MIN_STREAM_FRAME_ROOM; round++) {
    const f = streams.pollStreamFrame(pkt.room);
    if (f === undefined) return;
    const sent = { streamId: f.streamId, offset: f.offset, length: f.data.length, fin: f.fin };
    if (!pkt.tryWrite({ kind: 'stream', streamId: f.streamId, offset: f.offset, data: f.data, fin: f.fin }, { kind: 'stream', frame: sent })) {
      streams.onStreamFrameLost(sent);
      return;
    }
  }
}
