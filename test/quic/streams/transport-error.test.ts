import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalStreamError, StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { QuicError, TransportErrorCode as WireTransportErrorCode } from '../../../src/quic/wire/errors.js';

// RFC 9000 §20.1 code points.
test('transport error codes match RFC 9000 §20.1', () => {
  assert.deepEqual(
    [
      TransportErrorCode.FLOW_CONTROL_ERROR,
      TransportErrorCode.STREAM_LIMIT_ERROR,
      TransportErrorCode.STREAM_STATE_ERROR,
      TransportErrorCode.FINAL_SIZE_ERROR,
      TransportErrorCode.FRAME_ENCODING_ERROR,
      TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
      TransportErrorCode.PROTOCOL_VIOLATION,
    ],
    [0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0a],
  );
});

test('StreamError carries code, reason and a readable message', () => {
  const e = new StreamError(TransportErrorCode.FINAL_SIZE_ERROR, 'final size changed from 3 to 4');
  assert.equal(e.code, 0x06);
  assert.equal(e.reason, 'final size changed from 3 to 4');
  assert.equal(e.message, 'FINAL_SIZE_ERROR: final size changed from 3 to 4');
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'StreamError');
});

test('LocalStreamError carries a string code', () => {
  const e = new LocalStreamError('ERR_STREAM_UNKNOWN', 'no open stream 4');
  assert.equal(e.code, 'ERR_STREAM_UNKNOWN');
  assert.equal(e.message, 'no open stream 4');
});

test('StreamError is the wire QuicError for a transport close, over the one RFC 9000 §20.1 table', () => {
  assert.equal(TransportErrorCode, WireTransportErrorCode);
  const e = new StreamError(TransportErrorCode.STREAM_STATE_ERROR, 'data on a send-only stream');
  assert.ok(e instanceof QuicError);
  assert.equal(e.isApplication, false);
  assert.equal(e.frameType, undefined);
});
