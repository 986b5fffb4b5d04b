import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendStream } from '../../../src/quic/streams/send-stream.js';

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(7);

test('state follows sending, FIN and acknowledgment (RFC 9000 §3.1)', () => {
  const s = new SendStream({ initialLimit: 100 });
  s.write(bytes(10));
  assert.equal(s.state, 'ready');
  const a = s.nextChunk(4, 1000)!;
  assert.equal(s.state, 'send');
  assert.equal(a.newBytes, 4);
  s.finish();
  const b = s.nextChunk(100, 1000)!;
  assert.ok(b.chunk.fin);
  assert.equal(s.state, 'data-sent');
  s.onLost(0, 4, false);
  const again = s.nextChunk(100, 0)!; // retransmission needs no connection credit
  assert.equal(again.newBytes, 0);
  assert.equal(s.state, 'data-sent');
  s.onAcked(0, 4, false);
  assert.equal(s.state, 'data-sent');
  s.onAcked(4, 6, true);
  assert.equal(s.state, 'data-recvd');
  assert.ok(s.isClosed);
  assert.equal(s.resetStream(1), false); // too late
});

test('new data is limited by stream and connection credit', () => {
  const s = new SendStream({ initialLimit: 10 });
  s.write(bytes(30));
  assert.equal(s.nextChunk(100, 6)!.newBytes, 6);
  assert.equal(s.nextChunk(100, 100)!.newBytes, 4);
  assert.equal(s.nextChunk(100, 100), undefined);
  assert.ok(s.isBlockedByStreamLimit);
  assert.equal(s.takeBlocked(), 10);
  assert.equal(s.takeBlocked(), undefined);
  assert.ok(s.onMaxStreamData(30));
  assert.ok(!s.onMaxStreamData(20));
  assert.ok(s.canSend(100));
  assert.ok(!s.canSend(0));
});

test('reset: final size is the data sent, data is discarded and no longer retransmitted', () => {
  const s = new SendStream({ initialLimit: 100 });
  s.write(bytes(50));
  s.nextChunk(20, 100);
  assert.ok(s.resetStream(3));
  assert.deepEqual(s.takeReset(), { errorCode: 3, finalSize: 20 });
  assert.equal(s.takeReset(), undefined);
  s.onLost(0, 20, false);
  assert.equal(s.nextChunk(100, 100), undefined);
  assert.equal(s.buffer.retainedChunks, 0);
  s.onResetLost();
  assert.ok(s.hasResetFrame);
  s.onResetAcked();
  assert.equal(s.state, 'reset-recvd');
  s.onResetLost(); // after ack: not resent
  assert.ok(s.isClosed);
});

test('STOP_SENDING resets with the peer\'s code, only while a reset is possible', () => {
  const s = new SendStream({ initialLimit: 100 });
  assert.ok(s.onStopSending(9));
  assert.equal(s.resetValues?.errorCode, 9);
  assert.equal(s.onStopSending(10), false);
});
