// QoS 0 MQTT over QUIC DATAGRAM frames (RFC 9221): with the listener's qos0_datagrams and a client that
// accepts datagrams, QoS 0 PUBLISHes travel one per DATAGRAM both ways; everything else stays on the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from 'mqtt-packet';
import type { MqttClient } from '../../src/client/index.js';
import type { QuicConnectionHandle } from '../../src/quic/endpoint/connection-handle.js';
import { connectRecording, endClient } from './helpers.js';
import { encode, quicBroker, quicClient, rawMqttConnection, within } from './quic-helpers.js';

/** The client's QUIC connection, counting the DATAGRAM frames it receives and sends. */
function datagramTap(client: MqttClient): { received: number; sent: number } {
  const conn = (client as unknown as { engine: { stream: { quicConnection: QuicConnectionHandle } } }).engine.stream.quicConnection;
  const tap = { received: 0, sent: 0 };
  conn.on('datagram', () => tap.received++);
  const send = conn.sendDatagram.bind(conn);
  conn.sendDatagram = (data: Uint8Array) => {
    const ok = send(data);
    if (ok) tap.sent++;
    return ok;
  };
  return tap;
}

async function collect(client: MqttClient, n: number): Promise<string[]> {
  const out: string[] = [];
  const it = client.messages();
  while (out.length < n) {
    const m = await within(it.next(), `message ${out.length + 1} of ${n}`);
    out.push(m.value!.payload.toString());
  }
  await it.return?.();
  return out;
}

test('QoS 0 goes in datagrams both ways when both ends take them; QoS 1 and oversized messages stay on the stream', async (t) => {
  const b = await quicBroker(t, { qos0_datagrams: true });
  const client = await quicClient(b.quicPort, { clientId: 'dg-1', protocolVersion: 5, transportOptions: { datagrams: true } });
  t.after(() => client.end({ force: true }));
  const tap = datagramTap(client);
  await client.subscribe('dg/#', { qos: 1 });
  const { client: tcp, messages: tcpMessages } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  t.after(() => endClient(tcp));
  await new Promise<void>((resolve, reject) => tcp.subscribe('up/#', { qos: 0 }, (e) => (e ? reject(e) : resolve())));

  const received = collect(client, 7);
  for (let i = 0; i < 5; i++) tcp.publish('dg/q0', `q0 ${i}`, { qos: 0 });
  tcp.publish('dg/q1', 'q1', { qos: 1 });
  tcp.publish('dg/big', Buffer.alloc(100_000, 0x62), { qos: 0 });
  const got = await received;
  assert.deepEqual(got.slice(0, 7).filter((p) => p.startsWith('q')).sort(), ['q0 0', 'q0 1', 'q0 2', 'q0 3', 'q0 4', 'q1']);
  assert.ok(got.some((p) => p.length === 100_000), 'the oversized QoS 0 message arrived on the stream');
  assert.equal(tap.received, 5, 'the five small QoS 0 messages came as datagrams, nothing else did');

  await client.publish('up/q0', 'by datagram', { qos: 0, datagram: true });
  await client.publish('up/q0', 'by stream', { qos: 0 });
  assert.equal(tap.sent, 1);
  await assert.rejects(client.publish('up/q1', 'x', { qos: 1, datagram: true }), /Only QoS 0/);
  for (let i = 0; i < 100 && tcpMessages.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(tcpMessages.map((m) => m.payload.toString()).sort(), ['by datagram', 'by stream']);
  const text = await b.broker.metrics.metrics();
  assert.match(text, /^quicmq_mqtt_datagram_messages_total\{direction="out"\} 5$/m);
  assert.match(text, /^quicmq_mqtt_datagram_messages_total\{direction="in"\} 1$/m);
});

test('no datagrams unless both sides ask: a client without them, or a listener without qos0_datagrams', async (t) => {
  for (const [listener, clientSide] of [[true, false], [false, true]] as const) {
    const b = await quicBroker(t, { qos0_datagrams: listener });
    const client = await quicClient(b.quicPort, { clientId: `dg-${listener}`, transportOptions: { datagrams: clientSide } });
    t.after(() => client.end({ force: true }));
    const tap = datagramTap(client);
    await client.subscribe('dg/x', { qos: 0 });
    const received = collect(client, 3);
    const { client: tcp } = await connectRecording(b.tcpUrl());
    t.after(() => endClient(tcp));
    for (let i = 0; i < 3; i++) tcp.publish('dg/x', `m${i}`, { qos: 0 });
    assert.deepEqual(await received, ['m0', 'm1', 'm2'], 'on the stream, in order');
    await client.publish('dg/y', 'z', { qos: 0, datagram: true });
    assert.equal(tap.received, 0);
    assert.equal(tap.sent, 0, 'a datagram publish falls back to the stream');
  }
});

test('a datagram that is not a complete QoS 0 PUBLISH is dropped; the connection goes on', async (t) => {
  const b = await quicBroker(t, { qos0_datagrams: true });
  const { conn, stream, reader } = await rawMqttConnection(b.quicPort, 'dg-raw', { protocolVersion: 4, datagrams: true });
  t.after(() => conn.close());
  const { client: tcp, messages } = await connectRecording(b.tcpUrl());
  t.after(() => endClient(tcp));
  await new Promise<void>((resolve, reject) => tcp.subscribe('raw/#', { qos: 0 }, (e) => (e ? reject(e) : resolve())));
  const publish = (topic: string, qos: 0 | 1): Buffer => encode({ cmd: 'publish', topic, payload: Buffer.from(topic), qos, retain: false, dup: false, ...(qos ? { messageId: 1 } : {}) } as Packet, 4);
  for (const bad of [Buffer.from('garbage'), publish('raw/q1', 1), publish('raw/cut', 0).subarray(0, 8), encode({ cmd: 'pingreq' } as Packet, 4)]) {
    assert.ok(conn.sendDatagram(bad));
  }
  assert.ok(conn.sendDatagram(publish('raw/ok', 0)));
  for (let i = 0; i < 100 && messages.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(messages.map((m) => m.topic), ['raw/ok']);
  const text = await b.broker.metrics.metrics();
  assert.match(text, /^quicmq_mqtt_datagram_messages_total\{direction="dropped"\} 4$/m);
  assert.match(text, /^quicmq_mqtt_datagram_messages_total\{direction="in"\} 1$/m);
  stream.write(encode({ cmd: 'pingreq' } as Packet, 4));
  assert.equal((await reader.next()).cmd, 'pingresp');
});

test('while full subscriber queues hold a publisher, its datagram messages are dropped, not queued', async (t) => {
  const b = await quicBroker(t, { qos0_datagrams: true });
  const { conn } = await rawMqttConnection(b.quicPort, 'dg-held', { protocolVersion: 4, datagrams: true });
  t.after(() => conn.close());
  const { client: tcp, messages } = await connectRecording(b.tcpUrl());
  t.after(() => endClient(tcp));
  await new Promise<void>((resolve, reject) => tcp.subscribe('held/#', { qos: 0 }, (e) => (e ? reject(e) : resolve())));
  // The broker's channel of this connection, held as a full subscriber queue would hold it.
  const channels = (b.broker as unknown as { channels: Set<{ clientId: string; source: { hold(h: unknown): void; release(h: unknown): void } }> }).channels;
  const channel = [...channels].find((c) => c.clientId === 'dg-held')!;
  const holder = { dropSource: () => undefined };
  channel.source.hold(holder);
  const publish = (topic: string): Buffer => encode({ cmd: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false } as Packet, 4);
  assert.ok(conn.sendDatagram(publish('held/while-held')));
  await new Promise((r) => setTimeout(r, 200));
  channel.source.release(holder);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(conn.sendDatagram(publish('held/after')));
  for (let i = 0; i < 100 && messages.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(messages.map((m) => m.topic), ['held/after']);
  assert.match(await b.broker.metrics.metrics(), /^quicmq_mqtt_datagram_messages_total\{direction="dropped"\} 1$/m);
});

test('client: a malformed or partial datagram is dropped and the next one is still read', async (t) => {
  const b = await quicBroker(t);
  const client = await quicClient(b.quicPort, { clientId: 'dg-client-parse', transportOptions: { datagrams: true } });
  t.after(() => client.end({ force: true }));
  const receive = (client as unknown as { receiveDatagram(d: Uint8Array): void }).receiveDatagram.bind(client);
  const publish = (topic: string): Buffer => encode({ cmd: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: false, dup: false } as Packet, 4);
  const it = client.messages();
  const bad = publish('x/bad');
  bad[3] = 0xff; // a topic length past the end of the packet
  receive(bad);
  receive(publish('x/cut').subarray(0, 6));
  receive(Buffer.concat([publish('x/one'), publish('x/two')]));
  receive(publish('x/ok'));
  const m = await within(it.next(), 'the well-formed datagram');
  assert.equal(m.value?.topic, 'x/ok');
});
