import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuicError, TransportErrorCode as E } from '../../../src/quic/wire/errors.js';
import { decodeFrames, encodeFrames } from '../../../src/quic/wire/frames.js';
import { frameTypeOf, type Frame } from '../../../src/quic/wire/frame-types.js';
import {
  checkFrameAllowed,
  countsInFlight,
  isAckEliciting,
  isAckElicitingPacket,
  isFrameAllowedIn,
  isInFlightPacket,
} from '../../../src/quic/wire/frame-rules.js';
import type { FramePacketType } from '../../../src/quic/wire/header.js';
import { LAST_STREAM_FRAME, SAMPLE_FRAMES } from './sample-frames.js';

const isProtocolViolation = (frameType?: number) => (e: unknown) =>
  e instanceof QuicError && e.code === E.PROTOCOL_VIOLATION && (frameType === undefined || e.frameType === frameType);

// RFC 9000 §12.4 Table 3, column "Pkts" (I = Initial, 0 = 0-RTT, H = Handshake, 1 = 1-RTT); RFC 9221 §4 for DATAGRAM.
const TABLE3: Record<string, string> = {
  padding: 'I0H1', ping: 'I0H1', ack: 'IH1', reset_stream: '01', stop_sending: '01', crypto: 'IH1', new_token: '1',
  stream: '01', max_data: '01', max_stream_data: '01', max_streams: '01', data_blocked: '01', stream_data_blocked: '01',
  streams_blocked: '01', new_connection_id: '01', retire_connection_id: '01', path_challenge: '01', path_response: '1',
  connection_close_transport: 'I0H1', connection_close_application: '01', handshake_done: '1', datagram: '01',
};
const LETTER: Record<FramePacketType, string> = { initial: 'I', '0rtt': '0', handshake: 'H', '1rtt': '1' };

function tableKey(f: Frame): string {
  if (f.kind === 'connection_close') return f.isApplication ? 'connection_close_application' : 'connection_close_transport';
  return f.kind;
}

test('frame types by packet type follow RFC 9000 Table 3; violations are PROTOCOL_VIOLATION', () => {
  for (const frame of [...SAMPLE_FRAMES, LAST_STREAM_FRAME]) {
    const bytes = encodeFrames([frame]);
    for (const packetType of ['initial', '0rtt', 'handshake', '1rtt'] as const) {
      const allowed = TABLE3[tableKey(frame)]!.includes(LETTER[packetType]);
      assert.equal(isFrameAllowedIn(frameTypeOf(frame), packetType), allowed, `${tableKey(frame)} in ${packetType}`);
      if (allowed) {
        assert.equal(decodeFrames(bytes, { packetType }).length, 1);
      } else {
        assert.throws(() => decodeFrames(bytes, { packetType }), isProtocolViolation(frame.kind === 'padding' ? undefined : bytes[0]), `${tableKey(frame)} in ${packetType}`);
      }
    }
  }
  assert.throws(() => checkFrameAllowed(0x08, 'initial'), (e: unknown) => e instanceof QuicError && e.code === E.PROTOCOL_VIOLATION && e.frameType === 0x08);
});

test('ack-eliciting and in-flight classification (RFC 9002 §2)', () => {
  for (const f of SAMPLE_FRAMES) {
    const eliciting = !['ack', 'padding', 'connection_close'].includes(f.kind);
    assert.equal(isAckEliciting(f.kind), eliciting, f.kind);
    assert.equal(countsInFlight(f.kind), eliciting || f.kind === 'padding', f.kind);
  }
  const ack = SAMPLE_FRAMES[2]!;
  const padding = SAMPLE_FRAMES[0]!;
  assert.equal(isAckElicitingPacket([ack]), false);
  assert.equal(isInFlightPacket([ack]), false);
  assert.equal(isAckElicitingPacket([ack, padding]), false);
  assert.equal(isInFlightPacket([ack, padding]), true);
  assert.equal(isAckElicitingPacket([ack, { kind: 'ping' }]), true);
});
