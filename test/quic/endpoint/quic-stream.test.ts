// QuicStream and QuicConnectionHandle against a scripted connection: backpressure both ways, FIN, resets,
// STOP_SENDING, connection close, peer streams held until the application has the handle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { QuicStream, type QuicStreamOwner } from '../../../src/quic/endpoint/quic-stream.js';
import { QuicConnectionHandle } from '../../../src/quic/endpoint/connection-handle.js';
import { EndpointConnection } from '../../../src/quic/endpoint/endpoint-core.js';
import { QuicConnectionClosedError, QuicStreamResetError } from '../../../src/quic/endpoint/errors.js';
import { StubConnection } from './stub-connection.js';

/** A connection stub with per-stream send capacity and receive queues. */
class StreamStub extends StubConnection {
  capacity = Number.POSITIVE_INFINITY;
  readonly written: Buffer[] = [];
  readonly incoming = new Map<number, Buffer[]>();
  readonly calls: string[] = [];
  openLimit = 100;
  private nextId = 0;

  override openStream(bidirectional: boolean): number | undefined {
    if (this.openLimit <= 0) return undefined;
    this.openLimit--;
    const id = this.nextId * 4 + (bidirectional ? 0 : 2);
    this.nextId++;
    return id;
  }
  override streamWrite(_id: number, data: Uint8Array): number {
    const n = Math.min(this.capacity, data.length);
    this.capacity -= n;
    this.written.push(Buffer.from(data.subarray(0, n)));
    return n;
  }
  override streamRead(id: number, maxBytes?: number): Uint8Array | undefined {
    const q = this.incoming.get(id);
    const c = q?.shift();
    if (c === undefined) return undefined;
    if (maxBytes !== undefined && c.length > maxBytes) {
      q!.unshift(c.subarray(maxBytes));
      return c.subarray(0, maxBytes);
    }
    return c;
  }
  override streamFinish(id: number): void {
    this.calls.push(`finish ${id}`);
  }
  override streamReset(id: number, code: number): void {
    this.calls.push(`reset ${id} ${code}`);
  }
  override streamStopSending(id: number, code: number): void {
    this.calls.push(`stop ${id} ${code}`);
  }
}

function owner(conn: StreamStub): QuicStreamOwner & { wakes: number; forgotten: number[] } {
  const o = { connection: conn, wakes: 0, forgotten: [] as number[], wake: () => void o.wakes++, forget: (id: number) => void o.forgotten.push(id) };
  return o;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
/** 'close' without events.once's rejection on 'error'. */
const closed = (s: QuicStream): Promise<void> => new Promise((r) => s.once('close', () => r()));

test('writes wait for stream-writable when the connection accepts less (backpressure), in order', async () => {
  const conn = new StreamStub();
  conn.capacity = 10;
  const o = owner(conn);
  const s = new QuicStream(o, 0, { readable: true, writable: true });
  let done = false;
  s.write(Buffer.from('0123456789abcdefghijklmno'), () => (done = true));
  await tick();
  assert.equal(done, false, 'the write callback waits while the rest is not accepted');
  conn.capacity = 100;
  s.onWritable();
  await tick();
  assert.equal(done, true);
  assert.equal(Buffer.concat(conn.written).toString(), '0123456789abcdefghijklmno');
  assert.ok(o.wakes >= 2);
  s.end();
  await once(s, 'finish');
  assert.deepEqual(conn.calls, ['finish 0'], 'end() = FIN after all data');
});

test('writes buffered behind a refused one reach the connection as one streamWrite, in order', async () => {
  const conn = new StreamStub();
  conn.capacity = 0;
  const o = owner(conn);
  const s = new QuicStream(o, 0, { readable: true, writable: true });
  const callbacks: number[] = [];
  s.write(Buffer.from('first'), () => callbacks.push(0));
  for (let i = 1; i <= 5; i++) s.write(Buffer.from(`-${i}`), () => callbacks.push(i));
  await tick();
  assert.deepEqual(callbacks, [], 'nothing is accepted yet');
  const writesBefore = conn.written.length;
  conn.capacity = 1000;
  s.onWritable();
  await tick();
  assert.deepEqual(callbacks, [0, 1, 2, 3, 4, 5]);
  const after = conn.written.slice(writesBefore).filter((b) => b.length > 0);
  assert.deepEqual(after.map((b) => b.toString()), ['first', '-1-2-3-4-5'], 'the five buffered writes went over in one call');
  s.destroy();
  await closed(s);
});

test('a refusal in the middle of a batched write keeps the rest for the next stream-writable', async () => {
  const conn = new StreamStub();
  conn.capacity = 0;
  const o = owner(conn);
  const s = new QuicStream(o, 0, { readable: true, writable: true });
  let done = 0;
  s.write(Buffer.from('aa'), () => done++);
  s.write(Buffer.from('bb'), () => done++);
  s.write(Buffer.from('cc'), () => done++);
  await tick();
  conn.capacity = 3;
  s.onWritable();
  await tick();
  assert.equal(done, 1, 'the first write completed; the batch of two waits');
  conn.capacity = 100;
  s.onWritable();
  await tick();
  assert.equal(done, 3);
  assert.equal(Buffer.concat(conn.written).toString(), 'aabbcc');
  s.destroy();
  await closed(s);
});

test('reads pull only while Node wants data; FIN ends the readable after everything was read', async () => {
  const conn = new StreamStub();
  conn.incoming.set(0, [Buffer.alloc(10, 1), Buffer.alloc(10, 2), Buffer.alloc(10, 3)]);
  const s = new QuicStream(owner(conn), 0, { readable: true, writable: true, highWaterMark: 5 });
  s.resume();
  s.pause();
  await tick();
  // With a 5-byte highWaterMark Node stops asking after the first chunk: data stays in the connection.
  assert.ok((conn.incoming.get(0)?.length ?? 0) >= 1, 'unread data stays in the connection (flow control stops the peer)');
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.resume();
  await tick();
  s.onFinished();
  await once(s, 'end');
  assert.equal(Buffer.concat(chunks).length, 30);
});

test('destroy(err) with an application code resets our side and stops the peer; abort() does so without an error event', async () => {
  const conn = new StreamStub();
  const o = owner(conn);
  const s = new QuicStream(o, 4, { readable: true, writable: true });
  const err = Object.assign(new Error('x'), { applicationErrorCode: 5 });
  s.on('error', () => undefined);
  s.destroy(err);
  await closed(s);
  assert.deepEqual(conn.calls, ['reset 4 5', 'stop 4 5']);
  assert.deepEqual(o.forgotten, [4]);
  const s2 = new QuicStream(o, 8, { readable: true, writable: true });
  let errored = false;
  s2.on('error', () => (errored = true));
  s2.abort(3);
  await closed(s2);
  assert.equal(errored, false);
  assert.deepEqual(conn.calls.slice(2), ['reset 8 3', 'stop 8 3']);
});

test('a finished send side is not reset, an ended receive side is not stopped', async () => {
  const conn = new StreamStub();
  const s = new QuicStream(owner(conn), 0, { readable: true, writable: true });
  const gone = closed(s);
  s.end('bye');
  await once(s, 'finish');
  s.resume();
  s.onFinished();
  await gone;
  assert.deepEqual(conn.calls, ['finish 0']);
});

test('peer RESET_STREAM and STOP_SENDING error the stream with QuicStreamResetError', async () => {
  const conn = new StreamStub();
  const s = new QuicStream(owner(conn), 1, { readable: true, writable: true });
  s.onReset(42);
  const [err] = (await once(s, 'error')) as [QuicStreamResetError];
  assert.equal(err.code, 'ERR_QUIC_STREAM_RESET');
  assert.equal(err.applicationErrorCode, 42);
  // Our unfinished send side is reset with the peer's code (RFC 9000 §3.5 suggests echoing it); the reset
  // read side gets no STOP_SENDING.
  assert.deepEqual(conn.calls, ['reset 1 42']);
  const s2 = new QuicStream(owner(conn), 5, { readable: true, writable: true });
  s2.onStopSending(7);
  const [err2] = (await once(s2, 'error')) as [QuicStreamResetError];
  assert.equal(err2.code, 'ERR_QUIC_STREAM_STOP_SENDING');
});

test('connection close: unfinished streams are destroyed with the error and nothing more is sent on them', async () => {
  const conn = new StreamStub();
  const s = new QuicStream(owner(conn), 0, { readable: true, writable: true });
  const error = new QuicConnectionClosedError({ code: 1, application: false, reason: 'boom', remote: true });
  s.onConnectionClosed(error);
  const [err] = await once(s, 'error');
  assert.equal(err, error);
  assert.deepEqual(conn.calls, []);
  const pending = new QuicStream(owner(conn), 4, { readable: true, writable: true });
  conn.capacity = 0;
  const writeResult = new Promise<Error | null | undefined>((resolve) => pending.write('stuck', resolve));
  pending.on('error', () => undefined);
  pending.onConnectionClosed(error);
  assert.ok((await writeResult) instanceof Error, 'a write waiting for credit fails');
});

test('one-way streams: a local unidirectional stream is not readable, a peer one not writable', () => {
  const conn = new StreamStub();
  const localUni = new QuicStream(owner(conn), 2, { readable: false, writable: true });
  assert.equal(localUni.readable, false);
  const peerUni = new QuicStream(owner(conn), 3, { readable: true, writable: false });
  assert.equal(peerUni.writable, false);
});

function handle(conn: StreamStub, incoming = true, hold = false) {
  const entry = new EndpointConnection(1, conn, incoming, '1.2.3.4:5', '5.6.7.8:9');
  const driver = { woken: 0, wake: () => void driver.woken++ };
  return { h: new QuicConnectionHandle(driver, entry, { holdPeerStreams: hold }), driver };
}

const handshake = { type: 'handshake-complete', alpn: 'mqtt', resumed: false, earlyData: 'none' } as const;

test('handle: ready resolves on handshake; openStream waits for MAX_STREAMS credit (streams-available)', async () => {
  const conn = new StreamStub();
  conn.openLimit = 0;
  const { h } = handle(conn, false);
  const opening = h.openStream();
  h.dispatch(handshake);
  assert.deepEqual(await h.ready, { alpn: 'mqtt', resumed: false, earlyData: 'none' });
  await tick();
  let opened = undefined as QuicStream | undefined;
  void opening.then((s) => (opened = s));
  await tick();
  assert.equal(opened, undefined, 'no credit yet');
  conn.openLimit = 1;
  h.dispatch({ type: 'streams-available', bidirectional: true });
  await tick();
  assert.equal((opened as QuicStream | undefined)?.id, 0);
});

test('handle: peer streams are held until released, refused when nobody listens, and dispatched by ID', async () => {
  const conn = new StreamStub();
  const { h } = handle(conn, true, true);
  const seen: QuicStream[] = [];
  h.dispatch({ type: 'stream-opened', streamId: 0 });
  h.on('stream', (s) => seen.push(s));
  assert.equal(seen.length, 0);
  h.releaseStreams();
  assert.equal(seen.length, 1);
  conn.incoming.set(0, [Buffer.from('hi')]);
  const data = once(seen[0]!, 'data');
  h.dispatch({ type: 'stream-readable', streamId: 0 });
  assert.equal(String((await data)[0]), 'hi');
  h.removeAllListeners('stream');
  h.dispatch({ type: 'stream-opened', streamId: 4 });
  await tick();
  assert.ok(conn.calls.includes('stop 4 0'), 'an unwanted peer stream is refused with STOP_SENDING');
  assert.equal(h.isLocalStream(1), true, 'server side: odd IDs are ours');
  assert.equal(h.isLocalStream(0), false);
});

test('handle: close rejects ready and waiting openers, ends streams, emits close once', async () => {
  const conn = new StreamStub();
  conn.openLimit = 0;
  const { h, driver } = handle(conn, false);
  const opener = h.openStream();
  const closes: unknown[] = [];
  h.on('close', (i) => closes.push(i));
  h.close(9, 'bye');
  assert.deepEqual(conn.closes, [{ code: 9, reason: 'bye', application: true }]);
  assert.ok(driver.woken > 0);
  const info = { code: 9, application: true, reason: 'bye', remote: false } as const;
  h.dispatch({ type: 'closed', info });
  h.dispatch({ type: 'closed', info });
  await assert.rejects(h.ready, QuicConnectionClosedError);
  await assert.rejects(opener, QuicConnectionClosedError);
  assert.equal(closes.length, 1);
  assert.deepEqual(await h.closed, info);
  assert.equal(h.sendDatagram(new Uint8Array(1)), false);
});
