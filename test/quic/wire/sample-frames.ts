// One valid instance of every frame type (RFC 9000 §19, RFC 9221 §4), shared by the round-trip and
// fuzz tests.
import type { Frame } from '../../../src/quic/wire/frames.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

export const SAMPLE_FRAMES: readonly Frame[] = [
  { kind: 'padding', length: 3 },
  { kind: 'ping' },
  { kind: 'ack', ranges: [{ smallest: 90, largest: 100 }, { smallest: 50, largest: 80 }, { smallest: 0, largest: 48 }], ackDelay: 1234 },
  { kind: 'ack', ranges: [{ smallest: 2 ** 40, largest: 2 ** 40 + 5 }], ackDelay: 0, ecn: { ect0: 10, ect1: 0, ce: 2 } },
  { kind: 'reset_stream', streamId: 4, errorCode: 0x1234, finalSize: 70000 },
  { kind: 'stop_sending', streamId: 8, errorCode: 3 },
  { kind: 'crypto', offset: 1000, data: bytes(50, 1) },
  { kind: 'new_token', token: bytes(32, 2) },
  { kind: 'stream', streamId: 0, offset: 0, data: bytes(10, 3), fin: false, hasLength: true },
  { kind: 'stream', streamId: 5, offset: 100000, data: bytes(20, 4), fin: true, hasLength: true },
  { kind: 'stream', streamId: 2 ** 40, offset: 2 ** 50, data: new Uint8Array(0), fin: true, hasLength: true },
  { kind: 'max_data', maximum: 2 ** 52 },
  { kind: 'max_stream_data', streamId: 3, maximum: 65536 },
  { kind: 'max_streams', bidirectional: true, maximum: 100 },
  { kind: 'max_streams', bidirectional: false, maximum: 2 ** 50 },
  { kind: 'data_blocked', limit: 4096 },
  { kind: 'stream_data_blocked', streamId: 7, limit: 1024 },
  { kind: 'streams_blocked', bidirectional: true, limit: 10 },
  { kind: 'streams_blocked', bidirectional: false, limit: 0 },
  { kind: 'new_connection_id', sequenceNumber: 3, retirePriorTo: 1, connectionId: bytes(8, 5), statelessResetToken: bytes(16, 6) },
  { kind: 'retire_connection_id', sequenceNumber: 2 },
  { kind: 'path_challenge', data: bytes(8, 7) },
  { kind: 'path_response', data: bytes(8, 8) },
  { kind: 'connection_close', isApplication: false, errorCode: 0x0a, frameType: 0x08, reason: 'bad stream ✓' },
  { kind: 'connection_close', isApplication: true, errorCode: 0x42, frameType: 0, reason: '' },
  { kind: 'handshake_done' },
  { kind: 'datagram', data: bytes(40, 9), hasLength: true },
  // Frames without a Length run to the end of the packet: keep them last.
  { kind: 'datagram', data: bytes(5, 10), hasLength: false },
];

/** A frame that must be last in a packet (no Length field). */
export const LAST_STREAM_FRAME: Frame = { kind: 'stream', streamId: 1, offset: 9, data: bytes(12, 11), fin: false, hasLength: false };
