// MQTT over QUIC multi-stream (EMQX EIP-0023): the first stream is the control stream, further client
// bidirectional streams are data streams with subscriptions and QoS state of their own. Raw MQTT packets
// on QUIC streams, as an EIP-0023 client (emqtt, NanoMQ) sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import type { Packet } from 'mqtt-packet';
import { MqttQuicErrorCode } from '../../src/broker/listeners/quic-listener.js';
import { connectQuic } from '../../src/quic/endpoint/client.js';
import type { QuicConnectionHandle } from '../../src/quic/endpoint/connection-handle.js';
import type { QuicStream } from '../../src/quic/endpoint/quic-stream.js';
import { QuicStreamResetError } from '../../src/quic/endpoint/errors.js';
import { certPath } from '../helpers/certs.js';
import { ensureQuicGoPeer } from '../helpers/interop.js';
import { connectRecording, endClient } from './helpers.js';
import { encode, packetReader, quicBroker, quicClient, rawMqttConnection, rawQuicSession, readCa, within } from './quic-helpers.js';

/** A data stream of `conn` with a packet reader, errors kept quiet. */
async function dataStream(conn: QuicConnectionHandle): Promise<{ stream: QuicStream; reader: ReturnType<typeof packetReader> }> {
  const stream = await conn.openStream();
  stream.on('error', () => undefined);
  return { stream, reader: packetReader(stream) };
}

const subscribe = (messageId: number, topic: string, qos: 0 | 1 | 2 = 1, nl = false): Packet => ({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos, nl }] }) as Packet;
const publish = (topic: string, payload: string, qos: 0 | 1 = 0, messageId?: number): Packet =>
  ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false, ...(messageId !== undefined ? { messageId } : {}) }) as Packet;

/** Nothing arrives on `reader` within `ms`. */
async function silent(reader: ReturnType<typeof packetReader>, ms = 300): Promise<void> {
  const got = await Promise.race([reader.next().then((p) => p.cmd), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);
  assert.equal(got, undefined, `expected nothing, got ${got}`);
}

test('a data stream opened before CONNACK starts once CONNECT completes; its subscription is delivered on it, not on the control stream', async (t) => {
  const b = await quicBroker(t);
  const conn = await connectQuic({ host: '127.0.0.1', port: b.quicPort, alpn: ['mqtt'], ca: [await readCa()] });
  t.after(() => conn.close());
  const control = await conn.openStream();
  control.on('error', () => undefined);
  const controlReader = packetReader(control);
  const data = await dataStream(conn);
  // EIP-0023: no need to wait for CONNACK before using a data stream.
  data.stream.write(encode(subscribe(1, 'ms/data')));
  control.write(encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'multi-1', keepalive: 30 } as Packet));
  assert.equal((await controlReader.next()).cmd, 'connack');
  const suback = await data.reader.next();
  assert.equal(suback.cmd, 'suback');
  assert.deepEqual((suback as { granted: number[] }).granted, [1]);

  const { client: publisher } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  t.after(() => endClient(publisher));
  publisher.publish('ms/data', 'to the data stream', { qos: 1 });
  const delivered = await data.reader.next();
  assert.equal(delivered.cmd, 'publish');
  assert.equal((delivered as { payload: Buffer }).payload.toString(), 'to the data stream');
  data.stream.write(encode({ cmd: 'puback', messageId: (delivered as { messageId: number }).messageId } as Packet));
  await silent(controlReader);
  // One MQTT connection, whatever its streams.
  assert.match(await b.broker.metrics.metrics(), /quicmq_connections\{listener="quic:default"\} 1\n/);
});

test('PUBLISH on a data stream is acknowledged on it and routed like any other; subscriptions on several streams each get a copy', async (t) => {
  const b = await quicBroker(t);
  const { conn, stream: control, reader: controlReader } = await rawQuicSession(b.quicPort, 'multi-2', 'wills/multi-2');
  t.after(() => conn.close());
  control.write(encode(subscribe(1, 'ms/both')));
  assert.equal((await controlReader.next()).cmd, 'suback');
  const a = await dataStream(conn);
  const c = await dataStream(conn);
  a.stream.write(encode(subscribe(1, 'ms/both')));
  assert.equal((await a.reader.next()).cmd, 'suback');
  // QoS 1 from stream c: PUBACK on c, a copy to the control stream's and stream a's subscriptions.
  c.stream.write(encode(publish('ms/both', 'from c', 1, 7)));
  const ack = await c.reader.next();
  assert.equal(ack.cmd, 'puback');
  assert.equal((ack as { messageId: number }).messageId, 7);
  for (const reader of [controlReader, a.reader]) {
    const p = await reader.next();
    assert.equal(p.cmd, 'publish');
    assert.equal((p as { payload: Buffer }).payload.toString(), 'from c');
  }
  await silent(c.reader);
});

test('a data stream ending takes its subscriptions with it; the connection and the other streams go on', async (t) => {
  const b = await quicBroker(t);
  const { conn, stream: control, reader: controlReader } = await rawQuicSession(b.quicPort, 'multi-3', 'wills/multi-3');
  t.after(() => conn.close());
  const subscriptions = async (): Promise<number> => Number(/^quicmq_subscriptions (\d+)$/m.exec(await b.broker.metrics.metrics())?.[1]);
  const a = await dataStream(conn);
  a.stream.write(encode(subscribe(1, 'ms/gone', 0)));
  assert.equal((await a.reader.next()).cmd, 'suback');
  const other = await dataStream(conn);
  other.stream.write(encode(subscribe(1, 'ms/stays', 0)));
  assert.equal((await other.reader.next()).cmd, 'suback');
  assert.equal(await subscriptions(), 2);
  const ended = once(a.stream, 'end');
  a.stream.resume();
  a.stream.end();
  await within(ended, 'the broker ending the data stream');
  for (let i = 0; i < 50 && (await subscriptions()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await subscriptions(), 1, "the ended stream's subscription is gone");
  const text = await b.broker.metrics.metrics();
  assert.match(text, /^quicmq_mqtt_data_streams\{listener="quic:default"\} 1$/m, 'one data stream still open');
  assert.match(text, /^quicmq_mqtt_data_streams_total\{listener="quic:default"\} 2$/m);
  assert.match(text, /^quicmq_sessions 1$/m, 'data streams are not client sessions');
  const { client: publisher } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  t.after(() => endClient(publisher));
  publisher.publish('ms/stays', 'still here', { qos: 0 });
  const p = await other.reader.next();
  assert.equal((p as { payload: Buffer }).payload.toString(), 'still here');
  control.write(encode({ cmd: 'pingreq' } as Packet));
  assert.equal((await controlReader.next()).cmd, 'pingresp');
  assert.equal(conn.isClosed, false);
});

test('a packet a data stream may not carry (PINGREQ) ends that stream only', async (t) => {
  const b = await quicBroker(t);
  const { conn, stream: control, reader: controlReader } = await rawQuicSession(b.quicPort, 'multi-4', 'wills/multi-4');
  t.after(() => conn.close());
  const a = await dataStream(conn);
  const ended = once(a.stream, 'end');
  a.stream.write(encode({ cmd: 'pingreq' } as Packet));
  await within(ended, 'the data stream ended');
  control.write(encode({ cmd: 'pingreq' } as Packet));
  assert.equal((await controlReader.next()).cmd, 'pingresp');
});

test('the control stream ending ends the data streams and the connection', async (t) => {
  const b = await quicBroker(t);
  const { conn, stream: control } = await rawQuicSession(b.quicPort, 'multi-5', 'wills/multi-5');
  const a = await dataStream(conn);
  a.stream.write(encode(subscribe(1, 'ms/x')));
  assert.equal((await a.reader.next()).cmd, 'suback');
  const ended = once(a.stream, 'end');
  control.end(encode({ cmd: 'disconnect' } as Packet));
  await within(ended, 'the data stream ending with the control stream');
  await within(conn.closed, 'the connection closing');
});

test('No Local on a data stream subscription skips the same client publishing on its control stream', async (t) => {
  const b = await quicBroker(t);
  const { conn, stream: control, reader: controlReader } = await rawQuicSession(b.quicPort, 'multi-6', 'wills/multi-6');
  t.after(() => conn.close());
  const a = await dataStream(conn);
  a.stream.write(encode(subscribe(1, 'ms/nl', 0, true)));
  assert.equal((await a.reader.next()).cmd, 'suback');
  control.write(encode(publish('ms/nl', 'mine', 1, 3)));
  assert.equal((await controlReader.next()).cmd, 'puback');
  await silent(a.reader);
});

test('max_data_streams bounds the data streams open at once; a stream that ends makes room for the next', async (t) => {
  const b = await quicBroker(t, { max_data_streams: 1 });
  const { conn } = await rawQuicSession(b.quicPort, 'multi-7', 'wills/multi-7');
  t.after(() => conn.close());
  const first = await dataStream(conn);
  let secondOpen = false;
  const second = conn.openStream().then((s) => {
    secondOpen = true;
    return s;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(secondOpen, false, 'the peer limit (MAX_STREAMS) holds the second data stream back');
  const ended = once(first.stream, 'end');
  first.stream.resume();
  first.stream.end();
  await within(ended, 'the first data stream ending');
  const s = await within(second, 'the second data stream opening');
  s.on('error', () => undefined);
  const reader = packetReader(s);
  s.write(encode(subscribe(2, 'ms/next')));
  assert.equal((await reader.next()).cmd, 'suback');
});

test('unidirectional streams are refused with EXTRA_STREAM_REFUSED in multi-stream mode too', async (t) => {
  const b = await quicBroker(t);
  const { conn } = await rawQuicSession(b.quicPort, 'multi-8', 'wills/multi-8');
  t.after(() => conn.close());
  const uni = await conn.openStream({ bidirectional: false });
  const errored = once(uni, 'error') as Promise<[QuicStreamResetError]>;
  uni.write('not mqtt');
  const [err] = await within(errored, 'refusal');
  assert.ok(err instanceof QuicStreamResetError);
  assert.equal(err.applicationErrorCode, MqttQuicErrorCode.EXTRA_STREAM_REFUSED);
});

test('client library: openDataStream() subscribes and publishes on a data stream at QoS 0, 1 and 2', async (t) => {
  const b = await quicBroker(t);
  const client = await quicClient(b.quicPort, { clientId: 'lib-multi', protocolVersion: 5 });
  t.after(() => client.end({ force: true }));
  const ds = await client.openDataStream();
  const grants = await ds.subscribe('lib/ds', { qos: 2 });
  assert.deepEqual(grants.map((g) => g.qos), [2]);
  const onStream = ds.messages();
  const onControl: string[] = [];
  client.on('message', (m) => onControl.push(m.topic));
  const { client: tcp, messages: tcpMessages } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  t.after(() => endClient(tcp));
  await new Promise<void>((resolve, reject) => tcp.subscribe('lib/up', { qos: 2 }, (e) => (e ? reject(e) : resolve())));
  for (const qos of [0, 1, 2] as const) {
    tcp.publish('lib/ds', `down ${qos}`, { qos });
    const m = await within(onStream.next(), `QoS ${qos} message on the data stream`);
    assert.equal(m.value?.payload.toString(), `down ${qos}`);
    assert.equal(m.value?.qos, qos);
    await within(ds.publish('lib/up', `up ${qos}`, { qos }), `QoS ${qos} publish on the data stream`);
  }
  for (let i = 0; i < 100 && tcpMessages.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(tcpMessages.map((m) => m.payload.toString()).sort(), ['up 0', 'up 1', 'up 2']);
  assert.deepEqual(onControl, [], 'the data stream subscription delivers on the data stream only');
  assert.deepEqual(await ds.unsubscribe('lib/ds'), [0]);
});

test('client library: a closed data stream refuses further use; the client goes on; over tcp:// there are no data streams', async (t) => {
  const b = await quicBroker(t);
  const client = await quicClient(b.quicPort, { clientId: 'lib-multi-2' });
  t.after(() => client.end({ force: true }));
  await assert.rejects(client.openDataStream({ priority: 9 }), (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_OPTION');
  const ds = await client.openDataStream({ priority: 0 });
  await ds.subscribe('lib/prio');
  const closed = once(ds, 'close');
  await within(ds.close(), 'data stream close');
  assert.deepEqual(await closed, [undefined]);
  await assert.rejects(ds.publish('x', 'y'), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_CONNECTION_CLOSED');
  await client.publish('still/alive', 'yes', { qos: 1 });
  const { connect } = await import('../../src/client/index.js');
  const overTcp = await connect({ url: b.tcpUrl() });
  t.after(() => overTcp.end({ force: true }));
  await assert.rejects(overTcp.openDataStream(), (e: unknown) => (e as { code?: string }).code === 'ERR_INVALID_OPTION');
});

test('client library: a data stream closes when the client ends', async (t) => {
  const b = await quicBroker(t);
  const client = await quicClient(b.quicPort, { clientId: 'lib-multi-3' });
  const ds = await client.openDataStream();
  await ds.subscribe('lib/end');
  const closed = once(ds, 'close');
  await client.end();
  await within(closed, 'data stream close after end()');
  assert.equal(ds.closed, true);
});

test('garbage on data streams and in datagrams never takes the broker or the connection down', async (t) => {
  const b = await quicBroker(t, { qos0_datagrams: true });
  const { conn, stream: control, reader: controlReader } = await rawMqttConnection(b.quicPort, 'fuzzed', { datagrams: true });
  t.after(() => conn.close());
  // Seeded bytes: the same inputs every run.
  let seed = 12345;
  const byte = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, byte));
  for (let i = 0; i < 8; i++) {
    const { stream } = await dataStream(conn);
    stream.write(bytes(1 + (i * 97) % 600));
    stream.end();
  }
  for (let i = 0; i < 200; i++) {
    const d = bytes(1 + (i * 31) % 300);
    // Half of them look like a PUBLISH header, to reach the decoder.
    if (i % 2 === 0) d[0] = 0x30;
    conn.sendDatagram(d);
  }
  await new Promise((r) => setTimeout(r, 300));
  control.write(encode({ cmd: 'pingreq' } as Packet));
  assert.equal((await controlReader.next()).cmd, 'pingresp');
  assert.equal(conn.isClosed, false);
  const { client } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  await endClient(client);
});

test('interop: a quic-go client uses data streams (EIP-0023) and RFC 9221 datagrams with the broker', async (t) => {
  const b = await quicBroker(t, { qos0_datagrams: true });
  for (const datagrams of [false, true]) {
    const args = ['--mode', 'mqtt-multi', '--addr', `127.0.0.1:${b.quicPort}`, '--ca', certPath('ca.pem'), '--alpn', 'mqtt', ...(datagrams ? ['--datagrams'] : [])];
    const peer = spawn(ensureQuicGoPeer(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => {
      if (peer.exitCode === null) peer.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    peer.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    peer.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await within(once(peer, 'exit'), 'quic-go peer exit', 20_000)) as [number | null];
    assert.equal(code, 0, `quic-go peer (datagrams ${datagrams}): exit ${code}, ${stdout} ${stderr}`);
    const summary = JSON.parse(stdout.trim()) as Record<string, unknown>;
    assert.equal(summary['ok'], true);
    assert.equal(summary['delivered_on_data_stream'], true);
    if (datagrams) {
      assert.equal(summary['datagram_delivery'], true);
      assert.equal(summary['datagram_publish'], true);
    }
  }
});
