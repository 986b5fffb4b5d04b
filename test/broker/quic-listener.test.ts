// MQTT over QUIC end to end (EMQX-compatible): a Broker with a listeners.quic listener on 127.0.0.1:0,
// our client library over quic://, raw MQTT on one QUIC stream, the stream/connection lifecycle as the
// MQTT session sees it (will), extra streams, and NAT rebinding through a UDP relay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { createQuicListener, MqttQuicErrorCode, QuicListener } from '../../src/broker/listeners/quic-listener.js';
import { connectQuic } from '../../src/quic/endpoint/client.js';
import { QuicStreamResetError } from '../../src/quic/endpoint/errors.js';
import { certPath } from '../helpers/certs.js';
import { ensureQuicGoPeer } from '../helpers/interop.js';
import { UdpRelay } from '../helpers/udp-relay.js';
import { startBroker, connectRecording, nextMessage, endClient, type TestBroker } from './helpers.js';
import { encode, quicBroker, quicClient, quicConfig, rawQuicSession, readCa, WAIT_MS, within } from './quic-helpers.js';


test('quic:// with our client library: publish and subscribe at QoS 0, 1 and 2 across QUIC and TCP', async (t) => {
  const b = await quicBroker(t);
  const sub = await quicClient(b.quicPort, { clientId: 'quic-sub', protocolVersion: 5 });
  t.after(() => sub.end({ force: true }));
  const { client: tcpSub, messages: tcpMessages } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  t.after(() => endClient(tcpSub));
  await new Promise<void>((resolve, reject) => tcpSub.subscribe('q/#', { qos: 2 }, (err) => (err ? reject(err) : resolve())));
  await sub.subscribe('q/#', { qos: 2 });
  const pub = await quicClient(b.quicPort, { clientId: 'quic-pub' });
  t.after(() => pub.end({ force: true }));
  const received = sub.messages();
  for (const qos of [0, 1, 2] as const) {
    await pub.publish(`q/${qos}`, `payload at qos ${qos}`, { qos });
    const m = (await within(received.next(), `QoS ${qos} message`)).value;
    assert.equal(m?.topic, `q/${qos}`);
    assert.equal(m?.payload.toString(), `payload at qos ${qos}`);
    assert.equal(m?.qos, qos);
  }
  // The same messages reached a TCP subscriber: QUIC channels are ordinary broker channels.
  for (let i = 0; i < 50 && tcpMessages.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(tcpMessages.map((m) => m.topic), ['q/0', 'q/1', 'q/2']);
  // A 200 kB payload crosses many QUIC packets and flow-control windows intact.
  const big = Buffer.alloc(200_000, 0x61);
  await pub.publish('q/big', big, { qos: 1 });
  const m = (await within(received.next(), 'big message')).value;
  assert.ok(m?.payload.equals(big));
});

test('retry = true and max_connections: Retry-validated clients get in, one too many is refused', async (t) => {
  const b = await quicBroker(t, { retry: true, max_connections: 1 });
  const client = await quicClient(b.quicPort, { clientId: 'validated' });
  t.after(() => client.end({ force: true }));
  await client.subscribe('r/1', { qos: 1 });
  const messages = client.messages();
  await client.publish('r/1', 'after retry', { qos: 1 });
  assert.equal((await within(messages.next(), 'message')).value?.payload.toString(), 'after retry');
  await assert.rejects(quicClient(b.quicPort, { clientId: 'second' }), (e: unknown) => e instanceof Error && /CONNECTION_REFUSED/.test(e.message));
});

test('client library end() over QUIC is a normal disconnect: the will is not published', async (t) => {
  const b = await quicBroker(t);
  const watcher = await willWatcher(b, 'wills/lib');
  t.after(() => endClient(watcher));
  const client = await quicClient(b.quicPort, { clientId: 'lib-will', will: { topic: 'wills/lib', payload: 'gone', qos: 1 } });
  await client.publish('x', 'y', { qos: 1 });
  await client.end();
  const late = await nextMessage(watcher, 500, 'wills/lib').then(
    () => 'will',
    () => 'none',
  );
  assert.equal(late, 'none');
});

test('quic-go raw client: a raw MQTT CONNECT on one QUIC stream gets a CONNACK from the broker', async (t) => {
  const b = await quicBroker(t);
  const peer = spawn(ensureQuicGoPeer(), ['--mode', 'raw', '--addr', `127.0.0.1:${b.quicPort}`, '--ca', certPath('ca.pem'), '--alpn', 'mqtt'], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (peer.exitCode === null) peer.kill('SIGKILL');
  });
  let stderr = '';
  peer.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const connack = within(once(parser, 'packet') as Promise<[Packet]>, `CONNACK (quic-go stderr: ${stderr})`, 15_000);
  peer.stdout!.on('data', (d: Buffer) => parser.parse(d));
  peer.stdin!.write(encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'quic-go-raw', keepalive: 30 }, 4));
  const [packet] = await connack;
  assert.equal(packet.cmd, 'connack');
  assert.equal((packet as mqttPacket.IConnackPacket).returnCode, 0);
  peer.stdin!.end(encode({ cmd: 'disconnect' }, 4));
  const [code] = (await within(once(peer, 'exit'), 'quic-go exit', 15_000)) as [number | null];
  assert.equal(code, 0, stderr);
});

async function willWatcher(b: TestBroker, topic: string) {
  const { client } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  await new Promise<void>((resolve, reject) => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  return client;
}


test('resetting the MQTT stream is a transport loss: the will is published and the connection closes', async (t) => {
  const b = await quicBroker(t);
  const watcher = await willWatcher(b, 'wills/reset');
  t.after(() => endClient(watcher));
  const { conn, stream } = await rawQuicSession(b.quicPort, 'resetter', 'wills/reset');
  const will = nextMessage(watcher, WAIT_MS, 'wills/reset');
  stream.destroy(Object.assign(new Error('abort'), { applicationErrorCode: 9 }));
  assert.equal((await will).payload.toString(), 'resetter is gone');
  const info = await within(conn.closed, 'connection close');
  assert.equal(info.remote, true);
  assert.equal(info.code, MqttQuicErrorCode.STREAM_ABORTED);
});

test('closing the QUIC connection is a transport loss: the will is published', async (t) => {
  const b = await quicBroker(t);
  const watcher = await willWatcher(b, 'wills/close');
  t.after(() => endClient(watcher));
  const { conn } = await rawQuicSession(b.quicPort, 'closer', 'wills/close');
  const will = nextMessage(watcher, WAIT_MS, 'wills/close');
  conn.close(0x77, 'network gone');
  assert.equal((await will).payload.toString(), 'closer is gone');
});

test('a QUIC idle timeout is a transport loss: the will is published', async (t) => {
  const b = await quicBroker(t, { idle_timeout: 1000 });
  const watcher = await willWatcher(b, 'wills/idle');
  t.after(() => endClient(watcher));
  const { conn } = await rawQuicSession(b.quicPort, 'sleeper', 'wills/idle');
  // Neither side sends anything: RFC 9000 §10.1, the connection times out after the smaller max_idle_timeout.
  const will = await nextMessage(watcher, WAIT_MS, 'wills/idle');
  assert.equal(will.payload.toString(), 'sleeper is gone');
  const info = await within(conn.closed, 'client idle close');
  assert.equal(info.cause, 'idle');
});

test('DISCONNECT then FIN: no will, the broker ends its side and the connection closes cleanly', async (t) => {
  const b = await quicBroker(t);
  const watcher = await willWatcher(b, 'wills/clean');
  t.after(() => endClient(watcher));
  const { conn, stream } = await rawQuicSession(b.quicPort, 'polite', 'wills/clean');
  const ended = once(stream, 'end');
  stream.end(encode({ cmd: 'disconnect', reasonCode: 0 }));
  await within(ended, 'the broker FIN');
  // The broker's FIN ended the MQTT stream: as in EMQX the client closes the connection.
  conn.close(0, 'done');
  const info = await within(conn.closed, 'connection close');
  assert.equal(info.code, 0);
  const late = await nextMessage(watcher, 300, 'wills/clean').then(
    () => 'will',
    () => 'none',
  );
  assert.equal(late, 'none');
});

test('single-stream mode (max_data_streams = 0): a second stream is refused with EXTRA_STREAM_REFUSED; the MQTT stream keeps working', async (t) => {
  const b = await quicBroker(t, { max_data_streams: 0 });
  const { conn, stream, reader } = await rawQuicSession(b.quicPort, 'two-streams', 'wills/x');
  t.after(() => conn.close());
  const extra = await conn.openStream();
  const errored = once(extra, 'error') as Promise<[QuicStreamResetError]>;
  extra.write('not mqtt');
  const [err] = await within(errored, 'extra stream refusal');
  assert.ok(err instanceof QuicStreamResetError);
  assert.equal(err.applicationErrorCode, MqttQuicErrorCode.EXTRA_STREAM_REFUSED);
  stream.write(encode({ cmd: 'pingreq' }));
  assert.equal((await reader.next()).cmd, 'pingresp');
});

test('a connection that never opens a stream is closed with NO_STREAM', async (t) => {
  const b = await quicBroker(t, {}, { quicListenerFactory: (n, c, d) => new QuicListener(n, c, d, { firstStreamTimeoutMs: 200 }) });
  const conn = await connectQuic({ host: '127.0.0.1', port: b.quicPort, alpn: ['mqtt'], ca: [await readCa()] });
  const info = await within(conn.closed, 'connection close');
  assert.equal(info.remote, true);
  assert.equal(info.code, MqttQuicErrorCode.NO_STREAM);
});

test('broker stop disconnects QUIC clients (DISCONNECT 0x8B, then the connection closes)', async () => {
  const b = await startBroker({ listeners: { quic: { default: quicConfig() } } }, { quicListenerFactory: createQuicListener });
  const { conn, reader } = await rawQuicSession(b.port('quic:default'), 'stopped', 'wills/stop');
  await b.stop();
  const p = await reader.next();
  assert.equal(p.cmd, 'disconnect');
  assert.equal((p as mqttPacket.IDisconnectPacket).reasonCode, 0x8b);
  await within(conn.closed, 'connection close');
});

test('an unreadable certificate fails broker start with the key path in the message', async () => {
  await assert.rejects(
    startBroker({ listeners: { quic: { default: quicConfig({ certfile: '/nonexistent/cert.pem' }) } } }, { quicListenerFactory: createQuicListener }),
    /certfile \/nonexistent\/cert.pem/,
  );
});

test('NAT rebinding during an MQTT session: the session survives the client address change', async (t) => {
  const b = await quicBroker(t);
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: b.quicPort });
  t.after(() => relay.close());
  const client = await quicClient(relay.port, { clientId: 'rebinder', protocolVersion: 5, keepalive: 30 });
  t.after(() => client.end({ force: true }));
  await client.subscribe('nat/#', { qos: 1 });
  const messages = client.messages();
  await client.publish('nat/before', 'one', { qos: 1 });
  assert.equal((await within(messages.next(), 'message before rebinding')).value?.payload.toString(), 'one');
  const before = relay.upstreamPorts();
  await relay.rebind();
  assert.notDeepEqual(relay.upstreamPorts(), before);
  // The next packets reach the server from a new port: RFC 9000 §9.3 path validation, then the same session.
  await client.publish('nat/after', 'two', { qos: 1 });
  assert.equal((await within(messages.next(), 'message after rebinding', 10_000)).value?.payload.toString(), 'two');
  assert.equal(client.connected, true);
});

/** One sample of the broker's Prometheus text, e.g. value(text, 'quicmq_quic_handshakes_total', { outcome: 'completed' }). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = { listener: 'quic:default', ...labels };
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(m[2]!.split(',').map((kv) => kv.split('=')).map(([k, v]) => [k, v!.replace(/"/g, '')]));
    if (Object.entries(want).every(([k, v]) => have[k] === v) && Object.keys(have).length === Object.keys(want).length) return Number(m[3]);
  }
  return undefined;
}

test('QUIC transport metrics: handshakes, Retry and refusals, datagrams, packets, migration and closes per listener', async (t) => {
  const b = await quicBroker(t, { retry: true, max_connections: 1 });
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: b.quicPort });
  t.after(() => relay.close());
  const scrape = (): Promise<string> => b.broker.metrics.metrics();
  const client = await quicClient(relay.port, { clientId: 'measured', keepalive: 30 });
  t.after(() => client.end({ force: true }));
  await assert.rejects(quicClient(b.quicPort, { clientId: 'refused' }), /CONNECTION_REFUSED/);
  await client.subscribe('m/#', { qos: 1 });
  const messages = client.messages();
  await relay.rebind();
  await client.publish('m/1', 'x', { qos: 1 });
  await within(messages.next(), 'the message after rebinding', 10_000);

  const open = await scrape();
  assert.equal(sample(open, 'quicmq_quic_handshakes_total', { outcome: 'completed' }), 1);
  assert.equal(sample(open, 'quicmq_quic_handshakes_total', { outcome: 'failed' }), 0);
  assert.equal(sample(open, 'quicmq_quic_connections'), 1);
  assert.equal(sample(open, 'quicmq_quic_handshakes_in_progress'), 0);
  // The one client let in was sent a Retry; the one over max_connections was refused at its first Initial.
  assert.equal(sample(open, 'quicmq_quic_stateless_packets_total', { type: 'retry' }), 1);
  assert.equal(sample(open, 'quicmq_quic_stateless_packets_total', { type: 'connection_refused' }), 1);
  assert.equal(sample(open, 'quicmq_quic_path_migrations_total'), 1);
  assert.equal(sample(open, 'quicmq_quic_handshake_duration_seconds_count'), 1);
  const received = sample(open, 'quicmq_quic_datagrams_received_total')!;
  const sent = sample(open, 'quicmq_quic_datagrams_sent_total')!;
  const packetsSent = sample(open, 'quicmq_quic_packets_sent_total')!;
  // The first client's Initials (before and after its Retry) and the refused one's: at least 3 datagrams in.
  assert.ok(received >= 3 && sent >= 3, `received ${received}, sent ${sent}`);
  assert.ok(packetsSent >= 3 && packetsSent <= sent * 3, `packets ${packetsSent} in ${sent} datagrams`);
  assert.equal(sample(open, 'quicmq_quic_send_errors_total'), 0);
  assert.equal(sample(open, 'quicmq_quic_connections_closed_total', { reason: 'normal' }), 0);

  await client.end();
  let closed: string | undefined;
  for (let i = 0; i < 100; i++) {
    closed = await scrape();
    if (sample(closed, 'quicmq_quic_connections') === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(sample(closed!, 'quicmq_quic_connections'), 0);
  assert.equal(sample(closed!, 'quicmq_quic_connections_closed_total', { reason: 'normal' }), 1);
  // The connection's packets stay counted after it is gone.
  assert.ok(sample(closed!, 'quicmq_quic_packets_sent_total')! >= packetsSent);
  assert.equal(sample(closed!, 'quicmq_quic_path_migrations_total'), 1);
});

test('QUIC handshake duration is observed also for connections announced before their handshake (enable_0rtt)', async (t) => {
  const b = await quicBroker(t, { enable_0rtt: true });
  const client = await quicClient(b.quicPort, { clientId: 'early-announced' });
  t.after(() => client.end({ force: true }));
  const text = await b.broker.metrics.metrics();
  assert.equal(sample(text, 'quicmq_quic_handshake_duration_seconds_count'), 1);
  assert.equal(sample(text, 'quicmq_quic_handshakes_total', { outcome: 'completed' }), 1);
});
