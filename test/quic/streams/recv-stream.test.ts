import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecvStream } from '../../../src/quic/streams/recv-stream.js';
import { ReceiveFlowController } from '../../../src/quic/streams/flow-control.js';
import { StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';

const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(3);
const conn = (window = 1000) => new ReceiveFlowController({ initialWindow: window });
const code = (c: number) => (e: unknown) => e instanceof StreamError && e.code === c;

test('Recv -> Size Known -> Data Recvd -> Data Read (RFC 9000 §3.2)', () => {
  const c = conn();
  const r = new RecvStream(0, { initialWindow: 100 });
  r.onData(5, bytes(5), true, c);
  assert.equal(r.state, 'size-known');
  r.onData(0, bytes(5), false, c);
  assert.equal(r.state, 'data-recvd');
  r.read(4, c);
  assert.equal(r.state, 'data-recvd');
  // Reads return one received chunk at a time: the rest of the first, then the second.
  assert.equal(r.read(100, c)?.byteLength, 1);
  assert.equal(r.state, 'data-recvd');
  assert.equal(r.read(100, c)?.byteLength, 5);
  assert.equal(r.state, 'data-read');
  assert.ok(r.isClosed);
  assert.equal(c.consumed, 10);
  r.onData(0, bytes(10), true, c); // retransmission after the end: checked and ignored
  assert.throws(() => r.onData(0, bytes(11), true, c), code(TransportErrorCode.FINAL_SIZE_ERROR));
});

test('final size is checked before flow control', () => {
  const r = new RecvStream(0, { initialWindow: 10 });
  const c = conn();
  r.onData(0, bytes(5), true, c);
  assert.throws(() => r.onData(5, bytes(10), false, c), code(TransportErrorCode.FINAL_SIZE_ERROR));
});

test('stream-level FLOW_CONTROL_ERROR leaves the connection window untouched', () => {
  const r = new RecvStream(0, { initialWindow: 10 });
  const c = conn();
  assert.throws(() => r.onData(0, bytes(11), false, c), code(TransportErrorCode.FLOW_CONTROL_ERROR));
  assert.equal(c.received, 0);
});

test('connection-level FLOW_CONTROL_ERROR', () => {
  const r = new RecvStream(0, { initialWindow: 100 });
  const c = conn(10);
  assert.throws(() => r.onData(0, bytes(11), false, c), code(TransportErrorCode.FLOW_CONTROL_ERROR));
});

test('reset in Recv and in Size Known releases unread credit', () => {
  for (const fin of [false, true]) {
    const c = conn();
    const r = new RecvStream(0, { initialWindow: 100 });
    // With FIN, leave a gap so the stream stays in Size Known.
    r.onData(fin ? 5 : 0, bytes(fin ? 5 : 10), fin, c);
    assert.equal(r.state, fin ? 'size-known' : 'recv');
    assert.ok(r.onReset(6, 10, c));
    assert.equal(r.state, 'reset-recvd');
    assert.equal(r.resetCode, 6);
    assert.equal(c.consumed, 10);
    r.onResetDelivered();
    assert.equal(r.state, 'reset-read');
    assert.equal(r.onReset(6, 10, c), false); // repeated
    r.onData(0, bytes(10), false, c); // late data: ignored
    assert.equal(c.received, 10);
  }
});

test('reset with a final size beyond received data charges the difference', () => {
  const c = conn();
  const r = new RecvStream(0, { initialWindow: 100 });
  r.onData(0, bytes(10), false, c);
  r.onReset(1, 40, c);
  assert.equal(c.received, 40);
  assert.equal(c.consumed, 40);
  r.onData(20, bytes(20), false, c); // late data inside the final size: not charged twice
  assert.equal(c.received, 40);
});

test('no MAX_STREAM_DATA once the final size is known', () => {
  const c = conn();
  const r = new RecvStream(0, { initialWindow: 100 });
  r.onData(0, bytes(60), false, c);
  r.read(100, c);
  assert.ok(r.wantsWindowUpdate);
  r.onData(60, bytes(1), true, c);
  assert.ok(!r.wantsWindowUpdate);
  assert.equal(r.takeMaxStreamData(0, 10), undefined);
});

test('stop sending drops buffered data, discards gaps, and completes', () => {
  const c = conn();
  const r = new RecvStream(0, { initialWindow: 100 });
  r.onData(0, bytes(5), false, c);
  r.onData(10, bytes(5), false, c);
  assert.ok(r.stopSending(8, c));
  assert.equal(c.consumed, 15);
  assert.equal(r.takeStopSending(), 8);
  assert.equal(r.takeStopSending(), undefined);
  r.onData(5, bytes(5), false, c); // fills the gap late: ignored, not double counted
  assert.equal(c.received, 15);
  r.onData(15, bytes(5), true, c);
  assert.equal(r.state, 'data-read');
  assert.equal(r.read(10, c), undefined);
  assert.equal(r.stopSending(8, c), false);
});
