import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cryptoErrorCode,
  InvalidPacketError,
  isCryptoErrorCode,
  QuicError,
  QuicWireError,
  TransportErrorCode,
  transportErrorName,
} from '../../../src/quic/wire/errors.js';

test('transport error code table (RFC 9000 §20.1)', () => {
  const expected: [string, number][] = [
    ['NO_ERROR', 0], ['INTERNAL_ERROR', 1], ['CONNECTION_REFUSED', 2], ['FLOW_CONTROL_ERROR', 3], ['STREAM_LIMIT_ERROR', 4],
    ['STREAM_STATE_ERROR', 5], ['FINAL_SIZE_ERROR', 6], ['FRAME_ENCODING_ERROR', 7], ['TRANSPORT_PARAMETER_ERROR', 8],
    ['CONNECTION_ID_LIMIT_ERROR', 9], ['PROTOCOL_VIOLATION', 10], ['INVALID_TOKEN', 11], ['APPLICATION_ERROR', 12],
    ['CRYPTO_BUFFER_EXCEEDED', 13], ['KEY_UPDATE_ERROR', 14], ['AEAD_LIMIT_REACHED', 15], ['NO_VIABLE_PATH', 16],
  ];
  assert.deepEqual(Object.entries(TransportErrorCode), expected);
  for (const [name, code] of expected) assert.equal(transportErrorName(code), name);
  assert.equal(transportErrorName(0x11), 'UNKNOWN(0x11)');
});

test('CRYPTO_ERROR range 0x0100-0x01ff carries the TLS alert (RFC 9001 §4.8)', () => {
  assert.equal(cryptoErrorCode(40), 0x128);
  assert.equal(transportErrorName(0x128), 'CRYPTO_ERROR(0x128)');
  assert.ok(isCryptoErrorCode(0x100) && isCryptoErrorCode(0x1ff));
  assert.ok(!isCryptoErrorCode(0xff) && !isCryptoErrorCode(0x200));
  assert.throws(() => cryptoErrorCode(256), QuicError);
});

test('QuicError carries code, reason, frame type and a readable message', () => {
  const e = new QuicError(TransportErrorCode.FRAME_ENCODING_ERROR, 'bad ACK', { frameType: 0x02 });
  assert.equal(e.code, 7);
  assert.equal(e.reason, 'bad ACK');
  assert.equal(e.frameType, 2);
  assert.equal(e.isApplication, false);
  assert.equal(e.message, 'FRAME_ENCODING_ERROR: bad ACK (frame type 0x2)');
  assert.ok(e instanceof Error);
  const app = new QuicError(0x42, 'bye', { isApplication: true });
  assert.equal(app.message, 'application error 0x42: bye');
  assert.equal(app.frameType, undefined);
  assert.ok(new QuicWireError(7, 'x') instanceof QuicError);
  const drop = new InvalidPacketError('short');
  assert.ok(drop instanceof QuicError);
  assert.equal(drop.code, TransportErrorCode.PROTOCOL_VIOLATION);
  assert.equal(drop.name, 'InvalidPacketError');
});
