import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamManager, type StreamControlFrame } from '../../../src/quic/streams/stream-manager.js';
import { LocalStreamError, StreamError, TransportErrorCode } from '../../../src/quic/streams/transport-error.js';
import { drainEvents, limits, makePair, pump, readAvailable } from './pair.js';
import { Prng } from './prng.js';

const code = (c: number) => (e: unknown) => e instanceof StreamError && e.code === c;
const local = (c: string) => (e: unknown) => e instanceof LocalStreamError && e.code === c;
const data = (n: number, seed = 1): Uint8Array => new Prng(seed).bytes(n);

function server(overrides = {}, peer = limits()): StreamManager {
  const m = new StreamManager({ role: 'server', local: limits(overrides) });
  m.setPeerLimits(peer);
  return m;
}

function controlFrames(m: StreamManager, now = 0, rtt = 10): StreamControlFrame[] {
  const out: StreamControlFrame[] = [];
  for (let f = m.pollControlFrame(now, rtt); f !== undefined && out.length < 1000; f = m.pollControlFrame(now, rtt)) out.push(f);
  return out;
}

// ------------------------------------------------------------------ opening local streams

test('local streams get consecutive IDs of the right type', () => {
  const { client, server: srv } = makePair();
  assert.deepEqual(
    [client.manager.openStream('bidi'), client.manager.openStream('bidi'), client.manager.openStream('uni')],
    [0, 4, 2],
  );
  assert.deepEqual([srv.manager.openStream('bidi'), srv.manager.openStream('uni')], [1, 3]);
  assert.equal(client.manager.sendState(0), 'ready');
  assert.equal(client.manager.recvState(0), 'recv');
  assert.equal(client.manager.recvState(2), undefined); // send-only
});

test('opening beyond the peer MAX_STREAMS fails and sends STREAMS_BLOCKED once per limit (RFC 9000 §4.6)', () => {
  const m = new StreamManager({ role: 'client', local: limits() });
  assert.equal(m.openStream('bidi'), undefined); // no peer limits yet
  m.setPeerLimits(limits({ maxStreamsBidi: 2 }));
  assert.equal(m.openableStreams('bidi'), 2);
  m.openStream('bidi');
  m.openStream('bidi');
  assert.equal(m.openStream('bidi'), undefined);
  assert.equal(m.openStream('bidi'), undefined);
  const frames = controlFrames(m).filter((f) => f.type === 'streams_blocked');
  assert.deepEqual(frames, [{ type: 'streams_blocked', direction: 'bidi', limit: 2 }]);
  drainEvents({ manager: m, events: [], controlSent: [] });
  m.onMaxStreams('bidi', 2); // not an increase: ignored
  assert.equal(m.openStream('bidi'), undefined);
  m.onMaxStreams('bidi', 3);
  assert.equal(m.pollEvent()?.type, 'streams-available');
  assert.equal(m.openStream('bidi'), 8);
  assert.equal(m.openStream('bidi'), undefined);
  assert.deepEqual(controlFrames(m), [{ type: 'streams_blocked', direction: 'bidi', limit: 3 }]);
});

test('a lost STREAMS_BLOCKED is resent only while still blocked at that limit', () => {
  const m = new StreamManager({ role: 'client', local: limits() });
  m.setPeerLimits(limits({ maxStreamsUni: 0 }));
  m.openStream('uni');
  const [f] = controlFrames(m);
  m.onControlFrameLost(f!);
  assert.deepEqual(controlFrames(m), [f]);
  m.onMaxStreams('uni', 1);
  m.onControlFrameLost(f!);
  assert.deepEqual(controlFrames(m), []);
});

test('MAX_STREAMS and STREAMS_BLOCKED above 2^60 are FRAME_ENCODING_ERROR (RFC 9000 §19.11, §19.14)', () => {
  const m = server();
  assert.throws(() => m.onMaxStreams('bidi', 2 ** 60 + 2 ** 10), code(TransportErrorCode.FRAME_ENCODING_ERROR));
  assert.throws(() => m.onStreamsBlocked('uni', 2 ** 61), code(TransportErrorCode.FRAME_ENCODING_ERROR));
  m.onMaxStreams('uni', 2 ** 60);
  m.onStreamsBlocked('uni', 5);
});

// ------------------------------------------------------------------ accepting peer streams

test('a peer stream implicitly opens lower-numbered streams of its type, in order (RFC 9000 §3.2)', () => {
  const m = server();
  m.onStreamFrame(8, 0, data(3), false);
  const events = drainEvents({ manager: m, events: [], controlSent: [] });
  assert.deepEqual(
    events.filter((e) => e.type === 'opened').map((e) => (e as { streamId: number }).streamId),
    [0, 4, 8],
  );
  assert.equal(m.streamCount, 3);
  m.onStreamFrame(4, 0, data(1), false); // already open: no new "opened"
  assert.ok(!drainEvents({ manager: m, events: [], controlSent: [] }).some((e) => e.type === 'opened'));
  m.onStreamFrame(2, 0, data(1), false); // other type counts separately
  assert.equal(m.streamCount, 4);
});

test('MAX_STREAM_DATA and STOP_SENDING open a peer bidi stream too', () => {
  const m = server();
  m.onMaxStreamData(4, 10_000_000);
  assert.ok(m.has(0) && m.has(4));
  m.onStopSending(8, 7);
  assert.ok(m.has(8));
});

test('STREAM_LIMIT_ERROR for a peer stream beyond our limit (RFC 9000 §4.6)', () => {
  const m = server({ maxStreamsBidi: 2, maxStreamsUni: 1 });
  m.onStreamFrame(4, 0, data(1), false); // index 1: fine
  assert.throws(() => m.onStreamFrame(8, 0, data(1), false), code(TransportErrorCode.STREAM_LIMIT_ERROR));
  assert.throws(() => m.onStreamFrame(6, 0, data(1), false), code(TransportErrorCode.STREAM_LIMIT_ERROR));
  assert.throws(() => m.onResetStream(12, 0, 0), code(TransportErrorCode.STREAM_LIMIT_ERROR));
  assert.throws(() => m.onMaxStreamData(2 ** 52, 1), code(TransportErrorCode.STREAM_LIMIT_ERROR));
  m.onStreamFrame(2, 0, data(1), false);
  assert.equal(m.streamCount, 3);
});

test('STREAM_STATE_ERROR for frames in the wrong direction or for unopened local streams', () => {
  const m = server();
  // STREAM on a locally-initiated send-only stream (§19.8), even once opened.
  const uni = m.openStream('uni')!;
  assert.equal(uni, 3);
  assert.throws(() => m.onStreamFrame(3, 0, data(1), false), code(TransportErrorCode.STREAM_STATE_ERROR));
  // RESET_STREAM for a send-only stream (§19.4); STREAM_DATA_BLOCKED too (§19.13).
  assert.throws(() => m.onResetStream(3, 0, 0), code(TransportErrorCode.STREAM_STATE_ERROR));
  assert.throws(() => m.onStreamDataBlocked(3, 0), code(TransportErrorCode.STREAM_STATE_ERROR));
  // MAX_STREAM_DATA and STOP_SENDING for a receive-only stream (§19.10, §19.5).
  assert.throws(() => m.onMaxStreamData(2, 100), code(TransportErrorCode.STREAM_STATE_ERROR));
  assert.throws(() => m.onStopSending(2, 0), code(TransportErrorCode.STREAM_STATE_ERROR));
  // Locally-initiated streams we never opened (§19.8, §19.10, §19.5).
  assert.throws(() => m.onStreamFrame(1, 0, data(1), false), code(TransportErrorCode.STREAM_STATE_ERROR));
  assert.throws(() => m.onMaxStreamData(5, 100), code(TransportErrorCode.STREAM_STATE_ERROR));
  assert.throws(() => m.onStopSending(7, 0), code(TransportErrorCode.STREAM_STATE_ERROR));
  assert.equal(m.streamCount, 1);
});

test('an invalid stream ID is FRAME_ENCODING_ERROR', () => {
  assert.throws(() => server().onStreamFrame(-4, 0, data(1), false), code(TransportErrorCode.FRAME_ENCODING_ERROR));
});

// ------------------------------------------------------------------ flow control

test('FLOW_CONTROL_ERROR when a peer exceeds the stream limit', () => {
  const m = server({ maxStreamDataBidiRemote: 100 });
  m.onStreamFrame(0, 0, data(100), false);
  assert.throws(() => m.onStreamFrame(0, 100, data(1), false), code(TransportErrorCode.FLOW_CONTROL_ERROR));
  assert.throws(() => m.onResetStream(0, 0, 101), code(TransportErrorCode.FLOW_CONTROL_ERROR));
});

test('FLOW_CONTROL_ERROR when a peer exceeds the connection limit across streams', () => {
  const m = server({ maxData: 150, maxStreamDataBidiRemote: 100 });
  m.onStreamFrame(0, 0, data(100), false);
  m.onStreamFrame(4, 0, data(50), false);
  assert.throws(() => m.onStreamFrame(8, 0, data(1), false), code(TransportErrorCode.FLOW_CONTROL_ERROR));
  // A retransmission of counted data does not count again.
  m.onStreamFrame(0, 0, data(100), false);
});

test('a RESET_STREAM final size counts against the connection limit (RFC 9000 §4.5)', () => {
  const m = server({ maxData: 150, maxStreamDataBidiRemote: 100 });
  m.onStreamFrame(0, 0, data(10), false);
  m.onResetStream(0, 1, 100);
  assert.throws(() => m.onStreamFrame(4, 0, data(51), false), code(TransportErrorCode.FLOW_CONTROL_ERROR));
});

test('reading releases credit: MAX_STREAM_DATA and MAX_DATA once half the window is consumed', () => {
  const m = server({ maxData: 1000, maxStreamDataBidiRemote: 100 });
  m.onStreamFrame(0, 0, data(100), false);
  m.read(0, 49);
  assert.deepEqual(controlFrames(m), []);
  m.read(0, 1);
  assert.deepEqual(controlFrames(m), [{ type: 'max_stream_data', streamId: 0, maximum: 150 }]);
  m.onStreamFrame(0, 100, data(50), false);
  m.onStreamFrame(4, 0, data(100), false);
  m.onStreamFrame(8, 0, data(100), false);
  m.onStreamFrame(12, 0, data(100), false);
  m.onStreamFrame(16, 0, data(100), false);
  for (const id of [0, 4, 8, 12, 16]) while (m.read(id) !== undefined); // a read returns one received chunk
  const frames = controlFrames(m);
  assert.deepEqual(frames[0], { type: 'max_data', maximum: 1550 });
});

test('window auto-tuning grows a fast reader\'s stream window, and the connection window with it', () => {
  const m = server({ maxData: 1000, maxStreamDataBidiRemote: 100 });
  let offset = 0;
  let now = 0;
  const limitsSeen: number[] = [];
  for (let round = 0; round < 4; round++) {
    const frame = controlFrames(m, now, 10).find((f) => f.type === 'max_stream_data');
    const limit = frame?.type === 'max_stream_data' ? frame.maximum : 100;
    limitsSeen.push(limit);
    m.onStreamFrame(0, offset, data(limit - offset), false);
    offset = limit;
    m.read(0);
    now += 5; // well within 2 RTTs
  }
  const final = controlFrames(m, now, 10).find((f) => f.type === 'max_stream_data');
  // Windows: 100, 100 (first update has no history), then 200, 400, 800.
  assert.deepEqual(limitsSeen, [100, 200, 400, 800]);
  assert.deepEqual(final, { type: 'max_stream_data', streamId: 0, maximum: 1600 });
  assert.ok(m.connectionReceive.window >= 1.5 * 800);
});

test('connection credit exhausted: DATA_BLOCKED once, streams resume on MAX_DATA', () => {
  const { client } = makePair(limits(), limits({ maxData: 100 }));
  const c = client.manager;
  const a = c.openStream('bidi')!;
  const b = c.openStream('bidi')!;
  c.write(a, data(80));
  c.write(b, data(80));
  const frames: number[] = [];
  for (let f = c.pollStreamFrame(1200); f !== undefined; f = c.pollStreamFrame(1200)) frames.push(f.data.byteLength);
  assert.equal(frames.reduce((x, y) => x + y, 0), 100);
  assert.deepEqual(controlFrames(c), [{ type: 'data_blocked', limit: 100 }]);
  assert.deepEqual(controlFrames(c), []);
  c.onMaxData(1000);
  let more = 0;
  for (let f = c.pollStreamFrame(1200); f !== undefined; f = c.pollStreamFrame(1200)) more += f.data.byteLength;
  assert.equal(more, 60);
});

test('stream credit exhausted: STREAM_DATA_BLOCKED once, resumes on MAX_STREAM_DATA', () => {
  const { client } = makePair(limits(), limits({ maxStreamDataBidiRemote: 50 }));
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(80));
  assert.equal(c.pollStreamFrame(1200)!.data.byteLength, 50);
  assert.equal(c.pollStreamFrame(1200), undefined);
  assert.deepEqual(controlFrames(c), [{ type: 'stream_data_blocked', streamId: id, limit: 50 }]);
  c.onMaxStreamData(id, 40); // lower: ignored
  assert.equal(c.pollStreamFrame(1200), undefined);
  c.onMaxStreamData(id, 100);
  const f = c.pollStreamFrame(1200)!;
  assert.deepEqual([f.offset, f.data.byteLength], [50, 30]);
});

test('STREAM_DATA_BLOCKED alone moves a stream from Ready to Send (RFC 9000 §3.1)', () => {
  const { client } = makePair(limits(), limits({ maxStreamDataBidiRemote: 0 }));
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(10));
  assert.equal(c.pollStreamFrame(1200), undefined);
  assert.deepEqual(controlFrames(c), [{ type: 'stream_data_blocked', streamId: id, limit: 0 }]);
  assert.equal(c.sendState(id), 'send');
});

// ------------------------------------------------------------------ sending

test('stream frames fit the room given, header included', () => {
  const { client } = makePair();
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(5000));
  const f = c.pollStreamFrame(1200)!;
  assert.ok(f.data.byteLength + 1 + 1 + 2 <= 1200);
  assert.equal(c.pollStreamFrame(3), undefined); // not even a header fits
});

test('streams share the packet round-robin, urgency first', () => {
  const { client } = makePair();
  const c = client.manager;
  const ids = [c.openStream('bidi')!, c.openStream('bidi')!, c.openStream('bidi')!];
  for (const id of ids) c.write(id, data(300));
  const order = [1, 2, 3, 4, 5, 6].map(() => c.pollStreamFrame(110)!.streamId);
  assert.deepEqual(order, [0, 4, 8, 0, 4, 8]);
  c.setUrgency(8, 0);
  assert.equal(c.pollStreamFrame(110)!.streamId, 8);
});

test('backpressure: write returns false and a writable event follows the acknowledgment', () => {
  const m = new StreamManager({ role: 'client', local: limits(), sendHighWaterMark: 100 });
  m.setPeerLimits(limits());
  const id = m.openStream('bidi')!;
  assert.equal(m.write(id, data(150)), false);
  assert.ok(!m.isWritable(id));
  const f = m.pollStreamFrame(1200)!;
  m.onStreamFrameAcked({ streamId: id, offset: f.offset, length: f.data.byteLength, fin: f.fin });
  const events = drainEvents({ manager: m, events: [], controlSent: [] }).filter((e) => e.type === 'writable');
  assert.deepEqual(events, [{ type: 'writable', streamId: id }]);
  assert.ok(m.isWritable(id));
});

test('lost stream data is retransmitted before new data', () => {
  const { client } = makePair();
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(300));
  const first = c.pollStreamFrame(110)!;
  c.onStreamFrameLost({ streamId: id, offset: first.offset, length: first.data.byteLength, fin: false });
  const again = c.pollStreamFrame(1200)!;
  assert.deepEqual([again.offset, again.data.byteLength], [0, first.data.byteLength]);
});

test('application misuse raises LocalStreamError', () => {
  const { client } = makePair();
  const c = client.manager;
  assert.throws(() => c.write(400, data(1)), local('ERR_STREAM_UNKNOWN'));
  const uni = c.openStream('uni')!;
  assert.throws(() => c.read(uni), local('ERR_STREAM_NOT_READABLE'));
  assert.throws(() => c.stopSending(uni, 0), local('ERR_STREAM_NOT_READABLE'));
  client.manager.onStreamFrame(3, 0, data(1), false);
  assert.throws(() => c.write(3, data(1)), local('ERR_STREAM_NOT_WRITABLE'));
  assert.throws(() => c.finish(3), local('ERR_STREAM_NOT_WRITABLE'));
  assert.throws(() => c.resetStream(3, 0), local('ERR_STREAM_NOT_WRITABLE'));
  const bidi = c.openStream('bidi')!;
  c.resetStream(bidi, 1);
  assert.throws(() => c.write(bidi, data(1)), local('ERR_STREAM_NOT_WRITABLE'));
  c.finish(uni);
  assert.throws(() => c.write(uni, data(1)), local('ERR_STREAM_WRITE_AFTER_END'));
});

// ------------------------------------------------------------------ end to end

test('a request/response exchange closes and forgets both streams', () => {
  const { client, server: srv } = makePair();
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(5000, 1));
  c.finish(id);
  pump(client, srv);
  const got = new Map<number, Uint8Array[]>();
  const events = readAvailable(srv, got);
  assert.deepEqual(events[0], { type: 'opened', streamId: id });
  assert.deepEqual(Buffer.concat(got.get(id)!), Buffer.from(data(5000, 1)));
  assert.ok(drainEvents(srv).some((e) => e.type === 'finished'));
  srv.manager.write(id, data(10, 2));
  srv.manager.finish(id);
  pump(client, srv);
  const back = new Map<number, Uint8Array[]>();
  readAvailable(client, back);
  assert.deepEqual(Buffer.concat(back.get(id)!), Buffer.from(data(10, 2)));
  pump(client, srv);
  assert.equal(c.streamCount, 0);
  assert.equal(srv.manager.streamCount, 0);
  assert.ok(drainEvents(client).some((e) => e.type === 'closed' && e.streamId === id));
  assert.ok(!c.wantsToSend && !srv.manager.wantsToSend);
});

test('closed peer streams return credit: MAX_STREAMS keeps the window constant (RFC 9000 §4.6)', () => {
  const { client, server: srv } = makePair(limits(), limits({ maxStreamsBidi: 2 }));
  const c = client.manager;
  for (let round = 0; round < 3; round++) {
    const a = c.openStream('bidi')!;
    const b = c.openStream('bidi')!;
    assert.equal(c.openStream('bidi'), undefined);
    for (const id of [a, b]) c.finish(id);
    pump(client, srv);
    for (const id of [a, b]) srv.manager.finish(id);
    readAvailable(srv, new Map());
    pump(client, srv);
    readAvailable(client, new Map());
    pump(client, srv);
    assert.equal(srv.manager.streamCount, 0);
  }
  const maxStreams = srv.controlSent.filter((f) => f.type === 'max_streams').map((f) => (f as { maximum: number }).maximum);
  assert.deepEqual(maxStreams.slice(-1), [8]);
  assert.equal(c.openableStreams('bidi'), 2);
});

test('late frames for a closed and forgotten stream are ignored', () => {
  const m = server();
  m.onStreamFrame(0, 0, data(10), true);
  m.read(0);
  m.finish(0);
  const f = m.pollStreamFrame(1200)!;
  m.onStreamFrameAcked({ streamId: 0, offset: f.offset, length: 0, fin: true });
  assert.equal(m.streamCount, 0);
  m.onStreamFrame(0, 0, data(10), true);
  m.onResetStream(0, 3, 10);
  m.onStopSending(0, 3);
  m.onMaxStreamData(0, 1000);
  m.onStreamDataBlocked(0, 10);
  assert.equal(m.streamCount, 0);
  assert.deepEqual(controlFrames(m).filter((x) => x.type !== 'max_streams'), []);
  m.onStreamFrameLost({ streamId: 0, offset: 0, length: 10, fin: true });
  m.onControlFrameLost({ type: 'max_stream_data', streamId: 0, maximum: 5 });
  assert.equal(m.pollStreamFrame(1200), undefined);
});

test('1000 concurrent streams open, echo and close with memory bounded', () => {
  const n = 1000;
  const { client, server: srv } = makePair(limits({ maxStreamsBidi: n }), limits({ maxStreamsBidi: n, maxData: 1 << 24 }));
  const c = client.manager;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = c.openStream('bidi')!;
    ids.push(id);
    c.write(id, data(64, i + 1));
    c.finish(id);
  }
  assert.equal(c.streamCount, n);
  pump(client, srv);
  const got = new Map<number, Uint8Array[]>();
  readAvailable(srv, got);
  assert.equal(got.size, n);
  for (const id of ids) {
    srv.manager.write(id, Buffer.concat(got.get(id)!));
    srv.manager.finish(id);
  }
  pump(client, srv);
  const echoed = new Map<number, Uint8Array[]>();
  readAvailable(client, echoed);
  pump(client, srv);
  for (const [i, id] of ids.entries()) assert.deepEqual(Buffer.concat(echoed.get(id)!), Buffer.from(data(64, i + 1)));
  assert.equal(c.streamCount, 0);
  assert.equal(srv.manager.streamCount, 0);
  drainEvents(client);
  drainEvents(srv);
  // Nothing per-stream is left behind once everything closed.
  for (const m of [c, srv.manager]) {
    const inner = m as unknown as { controlDirty: Set<number>; connectionBlocked: Set<number>; events: unknown[] };
    assert.equal(inner.controlDirty.size, 0);
    assert.equal(inner.connectionBlocked.size, 0);
    assert.equal(inner.events.length, 0);
    assert.equal(m.wantsToSend, false);
  }
  assert.equal(c.openableStreams('bidi'), n); // MAX_STREAMS replenished to a constant window
});

test('data survives deterministic loss of stream and control frames', () => {
  const { client, server: srv } = makePair(limits(), limits({ maxStreamDataBidiRemote: 2000, maxData: 6000 }));
  const c = client.manager;
  const payloads = new Map<number, Uint8Array>();
  for (let i = 0; i < 5; i++) {
    const id = c.openStream('bidi')!;
    payloads.set(id, data(7000, 100 + i));
    c.write(id, payloads.get(id)!);
    c.finish(id);
  }
  const rng = new Prng(99);
  const got = new Map<number, Uint8Array[]>();
  let lost = 0;
  const lose = (): boolean => {
    const drop = rng.next() < 0.2;
    if (drop) lost++;
    return drop;
  };
  const received = (): number => [...got.values()].reduce((n, v) => n + v.reduce((m, c) => m + c.byteLength, 0), 0);
  for (let round = 0; round < 200 && received() < 5 * 7000; round++) {
    pump(client, srv, { lose, now: round * 100, maxFrameBytes: 500 });
    readAvailable(srv, got);
  }
  assert.ok(lost > 10, `only ${lost} frames lost`);
  for (const [id, payload] of payloads) assert.deepEqual(Buffer.concat(got.get(id)!), Buffer.from(payload), `stream ${id}`);
});

// ------------------------------------------------------------------ reset and stop sending

test('RESET_STREAM: the peer learns the code, credit is released, the sender forgets the stream when acked', () => {
  const { client, server: srv } = makePair(limits(), limits({ maxData: 1000 }));
  const c = client.manager;
  const id = c.openStream('uni')!;
  c.write(id, data(600));
  pump(client, srv);
  assert.ok(c.resetStream(id, 77));
  assert.equal(c.sendState(id), 'reset-sent');
  assert.equal(c.resetStream(id, 78), false);
  pump(client, srv);
  const events = drainEvents(srv);
  assert.ok(events.some((e) => e.type === 'reset' && e.streamId === id && e.errorCode === 77));
  assert.equal(srv.manager.streamCount, 0); // receive-only stream: reset read, closed
  assert.equal(c.streamCount, 0); // reset acknowledged
  assert.equal(srv.manager.connectionReceive.consumed, 600); // unread bytes released
  const reset = client.controlSent.find((f) => f.type === 'reset_stream');
  assert.deepEqual(reset, { type: 'reset_stream', streamId: id, errorCode: 77, finalSize: 600 });
});

test('a lost RESET_STREAM is resent until acknowledged', () => {
  const { client } = makePair();
  const c = client.manager;
  const id = c.openStream('uni')!;
  c.resetStream(id, 5);
  const [f] = controlFrames(c);
  assert.equal(f!.type, 'reset_stream');
  c.onControlFrameLost(f!);
  assert.deepEqual(controlFrames(c), [f]);
  c.onControlFrameAcked(f!);
  assert.equal(c.streamCount, 0);
});

test('STOP_SENDING is answered with RESET_STREAM carrying the same code (RFC 9000 §3.5)', () => {
  const { client, server: srv } = makePair();
  const c = client.manager;
  const id = c.openStream('bidi')!;
  c.write(id, data(100));
  pump(client, srv);
  readAvailable(srv, new Map());
  assert.ok(srv.manager.stopSending(id, 42));
  assert.equal(srv.manager.stopSending(id, 42), false);
  pump(client, srv);
  assert.ok(drainEvents(client).some((e) => e.type === 'stop-sending' && e.errorCode === 42));
  assert.deepEqual(client.controlSent.find((f) => f.type === 'reset_stream'), {
    type: 'reset_stream',
    streamId: id,
    errorCode: 42,
    finalSize: 100,
  });
  assert.equal(srv.manager.recvState(id), 'reset-read');
  assert.equal(c.sendState(id), 'reset-recvd');
});

test('after STOP_SENDING arriving data is discarded but still counted', () => {
  const m = server({ maxData: 1000, maxStreamDataBidiRemote: 1000 });
  m.onStreamFrame(0, 0, data(10), false);
  m.stopSending(0, 1);
  m.onStreamFrame(0, 10, data(20), false);
  assert.equal(m.read(0), undefined);
  assert.equal(m.connectionReceive.received, 30);
  assert.equal(m.connectionReceive.consumed, 30);
  assert.deepEqual(controlFrames(m).map((f) => f.type), ['stop_sending']);
  m.onStreamFrame(0, 30, data(5), true); // all data arrived: nothing more to stop
  assert.equal(m.recvState(0), 'data-read');
  assert.ok(!drainEvents({ manager: m, events: [], controlSent: [] }).some((e) => e.type === 'finished'));
});

test('a lost STOP_SENDING is resent only while the peer may still be sending', () => {
  const m = server();
  m.onStreamFrame(0, 0, data(10), false);
  m.stopSending(0, 9);
  const [f] = controlFrames(m);
  m.onControlFrameLost(f!);
  assert.deepEqual(controlFrames(m), [f]);
  m.onResetStream(0, 9, 10);
  m.onControlFrameLost(f!);
  assert.deepEqual(controlFrames(m), []);
});

test('RESET_STREAM after all data arrived is ignored and the data delivered (RFC 9000 §3.2)', () => {
  const m = server();
  m.onStreamFrame(0, 0, data(10, 3), true);
  m.onResetStream(0, 4, 10);
  assert.equal(m.recvState(0), 'data-recvd');
  assert.deepEqual(m.read(0), data(10, 3));
  assert.throws(() => m.onResetStream(0, 4, 11), code(TransportErrorCode.FINAL_SIZE_ERROR));
});

test('FINAL_SIZE_ERROR through the manager for a changed final size', () => {
  const m = server();
  m.onStreamFrame(0, 0, data(10), true);
  assert.throws(() => m.onStreamFrame(0, 0, data(11), true), code(TransportErrorCode.FINAL_SIZE_ERROR));
  m.onStreamFrame(4, 0, data(10), false);
  m.onResetStream(4, 0, 12);
  assert.throws(() => m.onStreamFrame(4, 10, data(5), false), code(TransportErrorCode.FINAL_SIZE_ERROR));
});

test('a lost MAX_DATA / MAX_STREAM_DATA / MAX_STREAMS / DATA_BLOCKED is resent while current', () => {
  const m = server({ maxData: 100, maxStreamDataBidiRemote: 100, maxStreamsBidi: 1 });
  m.onStreamFrame(0, 0, data(100), true);
  m.read(0);
  m.finish(0);
  const sf = m.pollStreamFrame(1200)!;
  m.onStreamFrameAcked({ streamId: 0, offset: sf.offset, length: 0, fin: true });
  const frames = controlFrames(m);
  assert.deepEqual(frames.map((f) => f.type).sort(), ['max_data', 'max_streams']);
  for (const f of frames) m.onControlFrameLost(f);
  assert.deepEqual(controlFrames(m), frames);
  const c = new StreamManager({ role: 'client', local: limits() });
  c.setPeerLimits(limits({ maxData: 10 }));
  const id = c.openStream('bidi')!;
  c.write(id, data(20));
  c.pollStreamFrame(1200);
  const blocked = controlFrames(c);
  assert.deepEqual(blocked, [{ type: 'data_blocked', limit: 10 }]);
  c.onControlFrameLost(blocked[0]!);
  assert.deepEqual(controlFrames(c), blocked);
});

test('setPeerLimits after opening raises credit of existing streams (0-RTT then handshake)', () => {
  const c = new StreamManager({ role: 'client', local: limits() });
  c.setPeerLimits(limits({ maxStreamDataBidiRemote: 10, maxData: 10 }));
  const id = c.openStream('bidi')!;
  c.write(id, data(50));
  assert.equal(c.pollStreamFrame(1200)!.data.byteLength, 10);
  c.setPeerLimits(limits({ maxStreamDataBidiRemote: 50, maxData: 100 }));
  assert.equal(c.pollStreamFrame(1200)!.data.byteLength, 40);
  assert.throws(() => c.setPeerLimits(limits({ maxStreamsUni: 2 ** 61 })), LocalStreamError);
});

test('unidirectional peer streams are replenished with MAX_STREAMS too', () => {
  const { client, server: srv } = makePair(limits(), limits({ maxStreamsUni: 1 }));
  const c = client.manager;
  const id = c.openStream('uni')!;
  assert.equal(c.openStream('uni'), undefined);
  c.write(id, data(10));
  c.finish(id);
  pump(client, srv);
  readAvailable(srv, new Map());
  assert.equal(srv.manager.streamCount, 0);
  pump(client, srv);
  assert.deepEqual(srv.controlSent.filter((f) => f.type === 'max_streams'), [
    { type: 'max_streams', direction: 'uni', maximum: 2 },
  ]);
  assert.equal(c.openStream('uni'), 6);
});

test('a huge peer stream ID is a STREAM_LIMIT_ERROR, not a precision problem', () => {
  const m = server();
  assert.throws(() => m.onStreamFrame(2 ** 60, 0, data(1), false), code(TransportErrorCode.STREAM_LIMIT_ERROR));
  assert.equal(m.streamCount, 0);
});

test('closing local streams never sends MAX_STREAMS', () => {
  const { client, server: srv } = makePair();
  const c = client.manager;
  const id = c.openStream('uni')!;
  c.finish(id);
  pump(client, srv);
  readAvailable(srv, new Map());
  pump(client, srv);
  assert.equal(c.streamCount, 0);
  assert.ok(!client.controlSent.some((f) => f.type === 'max_streams'));
});
