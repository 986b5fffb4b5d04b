import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { QuicError, TransportErrorCode as E } from '../../../src/quic/wire/errors.js';
import { decodeFrames, encodeFrame, encodeFrames, type FrameDecodeOptions } from '../../../src/quic/wire/frames.js';
import { frameTypeOf, type Frame } from '../../../src/quic/wire/frame-types.js';
import { frameEncodedLength } from '../../../src/quic/wire/frame-size.js';
import { hex } from '../../helpers/vectors.js';
import { LAST_STREAM_FRAME, SAMPLE_FRAMES } from './sample-frames.js';

/** Asserts decoding `hexPayload` fails with transport error `code` (and frame type, when given). */
function rejects(hexPayload: string, code: number, options: FrameDecodeOptions = {}, frameType?: number): void {
  assert.throws(
    () => decodeFrames(hex(hexPayload), options),
    (e: unknown) => {
      assert.ok(e instanceof QuicError, `QuicError expected, got ${String(e)}`);
      assert.equal(e.code, code, `${hexPayload}: ${e.message}`);
      if (frameType !== undefined) assert.equal(e.frameType, frameType);
      return true;
    },
  );
}

test('every frame type round-trips alone, and its size helper matches the encoding', () => {
  for (const frame of [...SAMPLE_FRAMES, LAST_STREAM_FRAME]) {
    const bytes = encodeFrames([frame]);
    assert.equal(frameEncodedLength(frame), bytes.length, frame.kind);
    const decoded = decodeFrames(bytes);
    assert.equal(decoded.length, 1, frame.kind);
    assert.deepEqual(decoded[0], frame, frame.kind);
    if (frame.kind !== 'padding') assert.equal(bytes[0], frameTypeOf(frame));
  }
});

test('a packet with every frame type decodes in order; data are views into the payload', () => {
  const frames = [...SAMPLE_FRAMES.filter((f) => !(f.kind === 'datagram' && f.hasLength === false)), LAST_STREAM_FRAME];
  const payload = encodeFrames(frames);
  const decoded = decodeFrames(payload);
  assert.deepEqual(decoded, frames);
  const stream = decoded.at(-1);
  assert.ok(stream?.kind === 'stream');
  assert.equal(stream.data.buffer, payload.buffer, 'zero-copy view');
});

test('STREAM type bits: OFF, LEN and FIN (RFC 9000 §19.8)', () => {
  assert.equal(frameTypeOf({ kind: 'stream', streamId: 0, offset: 0, data: new Uint8Array(0), fin: false, hasLength: false }), 0x08);
  assert.equal(frameTypeOf({ kind: 'stream', streamId: 0, offset: 1, data: new Uint8Array(0), fin: true }), 0x0f);
  // 0x08 with no offset and no length: data runs to the end, offset 0.
  assert.deepEqual(decodeFrames(hex('0804aabb')), [{ kind: 'stream', streamId: 4, offset: 0, data: hex('aabb'), fin: false, hasLength: false }]);
});

test('unknown and non-minimally encoded frame types', () => {
  rejects('1f', E.FRAME_ENCODING_ERROR, {}, 0x1f);
  rejects('2f', E.FRAME_ENCODING_ERROR, {}, 0x2f);
  rejects('4021', E.FRAME_ENCODING_ERROR);
  rejects('4001', E.PROTOCOL_VIOLATION, {}, 0x01);
  rejects('', E.PROTOCOL_VIOLATION);
});

const MAX62 = 'ffffffffffffffff'; // 2^62-1
const TWO60 = 'd000000000000000'; // 2^60
const TWO60_PLUS1 = 'd000000000000001';

test('ACK validation (RFC 9000 §19.3.1, §13.1)', () => {
  rejects('02050006', E.FRAME_ENCODING_ERROR, {}, 0x02); // First ACK Range 6 > Largest Acknowledged 5
  rejects('020a0001020700', E.FRAME_ENCODING_ERROR, {}, 0x02); // Gap underflows below 0
  rejects('020a0001020007', E.FRAME_ENCODING_ERROR); // ACK Range Length underflows below 0
  rejects('020a00406402', E.FRAME_ENCODING_ERROR); // Range Count 100 with no ranges present
  rejects('03050000000102', E.FRAME_ENCODING_ERROR, {}, 0x03); // ECN counts truncated
  rejects(`02${MAX62}000000`, E.PROTOCOL_VIOLATION); // acknowledges a packet number never sent
  assert.deepEqual(decodeFrames(hex('020a0001020006')), [
    { kind: 'ack', ranges: [{ smallest: 8, largest: 10 }, { smallest: 0, largest: 6 }], ackDelay: 0 },
  ]);
});

test('STREAM and CRYPTO end offsets (RFC 9000 §19.8, §19.6, §4.5)', () => {
  rejects(`0e00${MAX62}01aa`, E.FRAME_ENCODING_ERROR, {}, 0x0e); // offset 2^62-1 + 1 byte
  rejects(`0c00${MAX62}aa`, E.FRAME_ENCODING_ERROR); // no LEN: data to the end
  rejects(`0e00${MAX62}00`, E.FLOW_CONTROL_ERROR); // exactly 2^62-1: valid encoding, beyond any limit
  rejects(`0e00${TWO60}05aabbccddee`, E.FLOW_CONTROL_ERROR);
  rejects('0e00dfffffffffffffff02aabb', E.FLOW_CONTROL_ERROR); // 2^61-1+2: beyond 2^53 limits
  rejects(`06${MAX62}01aa`, E.FRAME_ENCODING_ERROR, {}, 0x06);
  rejects(`06${TWO60}01aa`, E.CRYPTO_BUFFER_EXCEEDED);
  rejects('0a0005aabb', E.FRAME_ENCODING_ERROR); // Length beyond the packet
  rejects(`08${MAX62}`, E.STREAM_LIMIT_ERROR); // stream ID beyond any stream limit
});

test('stream limits and counts (RFC 9000 §19.11, §19.14, §19.4)', () => {
  assert.deepEqual(decodeFrames(hex(`12${TWO60}`)), [{ kind: 'max_streams', bidirectional: true, maximum: Number.MAX_SAFE_INTEGER }]);
  rejects(`12${TWO60_PLUS1}`, E.FRAME_ENCODING_ERROR, {}, 0x12);
  rejects(`13${MAX62}`, E.FRAME_ENCODING_ERROR, {}, 0x13);
  rejects(`16${TWO60_PLUS1}`, E.FRAME_ENCODING_ERROR, {}, 0x16);
  rejects(`17${TWO60_PLUS1}`, E.FRAME_ENCODING_ERROR, {}, 0x17);
  rejects(`040000${MAX62}`, E.FLOW_CONTROL_ERROR, {}, 0x04); // RESET_STREAM final size beyond any limit
  // Limits above 2^53-1 saturate: they mean "unlimited" in practice.
  assert.deepEqual(decodeFrames(hex(`10${MAX62}`)), [{ kind: 'max_data', maximum: Number.MAX_SAFE_INTEGER }]);
  assert.deepEqual(decodeFrames(hex(`1d${MAX62}00`)), [
    { kind: 'connection_close', isApplication: true, errorCode: Number.MAX_SAFE_INTEGER, frameType: 0, reason: '' },
  ]);
});

test('NEW_CONNECTION_ID and RETIRE_CONNECTION_ID validation (RFC 9000 §19.15, §19.16)', () => {
  const token = '00'.repeat(16);
  rejects(`18010000${token}`, E.FRAME_ENCODING_ERROR, {}, 0x18); // length 0
  rejects(`180100${'15'}${'ab'.repeat(21)}${token}`, E.FRAME_ENCODING_ERROR); // length 21
  rejects(`18010201ab${token}`, E.FRAME_ENCODING_ERROR); // Retire Prior To 2 > Sequence Number 1
  rejects(`18${'c000000000000005'}${MAX62}01ab${token}`, E.FRAME_ENCODING_ERROR); // exact comparison above 2^53
  rejects(`18${MAX62}0001ab${token}`, E.PROTOCOL_VIOLATION); // sequence number never reachable
  rejects(`18010001ab${'00'.repeat(15)}`, E.FRAME_ENCODING_ERROR); // token truncated
  rejects(`19${MAX62}`, E.PROTOCOL_VIOLATION, {}, 0x19);
});

test('other malformed frames', () => {
  rejects('0700', E.FRAME_ENCODING_ERROR, {}, 0x07); // NEW_TOKEN with an empty token
  rejects('0705aabb', E.FRAME_ENCODING_ERROR); // token truncated
  rejects('1a0102030405', E.FRAME_ENCODING_ERROR, {}, 0x1a); // PATH_CHALLENGE needs 8 bytes
  rejects('1b01', E.FRAME_ENCODING_ERROR);
  rejects('1c0a0805616263', E.FRAME_ENCODING_ERROR, {}, 0x1c); // reason phrase longer than the frame
  rejects('3105aabb', E.FRAME_ENCODING_ERROR, {}, 0x31);
  // An invalid UTF-8 reason phrase is not an error: it is only diagnostic text.
  assert.deepEqual(decodeFrames(hex('1d0102ff41')), [{ kind: 'connection_close', isApplication: true, errorCode: 1, frameType: 0, reason: '\ufffdA' }]);
});

test('receiver role: a server rejects NEW_TOKEN and HANDSHAKE_DONE (RFC 9000 §19.7, §19.20)', () => {
  rejects('0701aa', E.PROTOCOL_VIOLATION, { receiver: 'server' }, 0x07);
  rejects('1e', E.PROTOCOL_VIOLATION, { receiver: 'server' }, 0x1e);
  assert.equal(decodeFrames(hex('1e'), { receiver: 'client' })[0]?.kind, 'handshake_done');
});

test('DATAGRAM negotiation and size (RFC 9221 §3)', () => {
  rejects('3103aabbcc', E.PROTOCOL_VIOLATION, { maxDatagramFrameSize: 0 }, 0x31);
  rejects('3103aabbcc', E.PROTOCOL_VIOLATION, { maxDatagramFrameSize: 4 });
  assert.equal(decodeFrames(hex('3103aabbcc'), { maxDatagramFrameSize: 5 }).length, 1);
  rejects('30aabbcc', E.PROTOCOL_VIOLATION, { maxDatagramFrameSize: 3 });
});

test('encoding refuses invalid frames with INTERNAL_ERROR', () => {
  const bad: Frame[] = [
    { kind: 'padding', length: 0 },
    { kind: 'ack', ranges: [], ackDelay: 0 },
    { kind: 'ack', ranges: [{ smallest: 5, largest: 10 }, { smallest: 1, largest: 4 }], ackDelay: 0 },
    { kind: 'ack', ranges: [{ smallest: 10, largest: 5 }], ackDelay: 0 },
    { kind: 'new_token', token: new Uint8Array(0) },
    { kind: 'max_streams', bidirectional: true, maximum: 2 ** 60 + 2 ** 40 },
    { kind: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 2, connectionId: new Uint8Array(4), statelessResetToken: new Uint8Array(16) },
    { kind: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 0, connectionId: new Uint8Array(21), statelessResetToken: new Uint8Array(16) },
    { kind: 'new_connection_id', sequenceNumber: 1, retirePriorTo: 0, connectionId: new Uint8Array(4), statelessResetToken: new Uint8Array(15) },
    { kind: 'path_challenge', data: new Uint8Array(7) },
    { kind: 'max_data', maximum: -1 },
  ];
  for (const f of bad) {
    assert.throws(() => encodeFrame(new BufferWriter(), f), (e: unknown) => e instanceof QuicError && e.code === E.INTERNAL_ERROR, JSON.stringify(f));
  }
});
