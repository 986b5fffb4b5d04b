// The client library's quic:// transport (src/client/transports/quic.ts): registration, option mapping,
// buffering before the stream exists, failures as stream errors, and the QUIC extras in transportOptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import mqttPacket from 'mqtt-packet';
import { findTransport, connect as mqttConnect } from '../../src/client/index.js';
import { MqttQuicStream, quicConnectOptions, quicTransport } from '../../src/client/transports/quic.js';
import type { TransportConnectOptions } from '../../src/client/transports.js';
import { QuicServer } from '../../src/quic/endpoint/server.js';
import type { QuicConnectionHandle } from '../../src/quic/endpoint/connection-handle.js';
import { createQuicListener } from '../../src/broker/listeners/quic-listener.js';
import { certPath } from '../helpers/certs.js';
import { startBroker } from './helpers.js';
import { UdpRelay } from '../helpers/udp-relay.js';

const pem = (name: string): string => readFileSync(certPath(name), 'utf8');

function transportOptions(extra: Partial<TransportConnectOptions> = {}, tls: Partial<TransportConnectOptions['tls']> = {}): TransportConnectOptions {
  return {
    scheme: 'quic',
    host: '127.0.0.1',
    port: 14567,
    path: '',
    protocolVersion: 5,
    tls: { ca: undefined, cert: undefined, key: undefined, servername: undefined, rejectUnauthorized: true, minVersion: undefined, maxVersion: undefined, alpnProtocols: undefined, ...tls },
    transportOptions: {},
    ...extra,
  };
}

test('quic:// is registered: default port 14567, secure', () => {
  const t = findTransport('QUIC');
  assert.ok(t);
  assert.equal(t.defaultPort, 14567);
  assert.equal(t.secure, true);
  assert.equal(t.connect, quicTransport);
});

test('option mapping: ALPN "mqtt" unless given, TLS settings, QUIC extras from transportOptions', () => {
  const base = quicConnectOptions(transportOptions());
  assert.deepEqual(base, { host: '127.0.0.1', port: 14567, alpn: ['mqtt'] });
  const ticket = { version: 1 };
  const token = Uint8Array.of(1, 2);
  const full = quicConnectOptions(
    transportOptions(
      { transportOptions: { sessionTicket: ticket, enableEarlyData: true, token, idleTimeoutMs: 5000, keepAliveIntervalMs: -1, handshakeTimeoutMs: 'x' } },
      { ca: [Buffer.from('CA')], servername: 'broker.example', rejectUnauthorized: false, alpnProtocols: ['mqtt-x'], cert: Buffer.from('C'), key: Buffer.from('K') },
    ),
  );
  assert.deepEqual(full.alpn, ['mqtt-x']);
  assert.equal(full.serverName, 'broker.example');
  assert.equal(full.insecure, true);
  assert.equal(full.key, 'K');
  assert.equal(full.sessionTicket, ticket);
  assert.equal(full.enableEarlyData, true);
  assert.equal(full.token, token);
  assert.equal(full.idleTimeoutMs, 5000);
  assert.equal(full.keepAliveIntervalMs, undefined, 'invalid numbers are ignored');
  assert.equal(full.handshakeTimeoutMs, undefined);
  assert.equal(full.limits, undefined, 'the spin bit stays at its default');
  assert.deepEqual(quicConnectOptions(transportOptions({ transportOptions: { spinBit: false } })).limits, { spinBit: false });
});

test('writes made before the QUIC stream exists are delivered once it opens, then data flows both ways', async (t) => {
  const server = new QuicServer({ cert: pem('server-ecdsa-chain.pem'), key: pem('server-ecdsa-key.pem'), alpn: ['mqtt'] });
  const peers: QuicConnectionHandle[] = [];
  server.on('connection', (c) => {
    peers.push(c);
    c.on('stream', (s) => s.pipe(s));
  });
  const { port } = await server.listen(0, '127.0.0.1');
  t.after(() => server.close({ graceMs: 50 }));
  const stream = quicTransport(transportOptions({ port }, { ca: [Buffer.from(pem('ca.pem'))] }));
  assert.ok(stream instanceof MqttQuicStream);
  stream.write('early bytes');
  const [echo] = (await once(stream, 'data')) as [Buffer];
  assert.equal(echo.toString(), 'early bytes');
  assert.ok((stream as MqttQuicStream).quicConnection);
  const closed = peers[0]!.closed;
  stream.end();
  // Our FIN reaches the echo server, which ends too: the stream is over and the connection closes.
  const info = await closed;
  assert.equal(info.code, 0);
});

test('a server that does not answer: the stream errors (no throw), within the handshake timeout', async () => {
  const stream = quicTransport(transportOptions({ port: 9, transportOptions: { handshakeTimeoutMs: 300 } }, { ca: [Buffer.from(pem('ca.pem'))] }));
  const [err] = (await once(stream, 'error').catch((e: unknown) => [e])) as [Error];
  assert.ok(err instanceof Error);
  assert.match(err.message, /handshake timeout|closed/);
});

test('MQTT client over quic:// reports a bad certificate as a connect failure', async (t) => {
  const b = await startBroker(
    { listeners: { quic: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, keyfile: certPath('wronghost-key.pem'), certfile: certPath('wronghost-chain.pem'), idle_timeout: 15000, max_handshakes: 10, retry: false, enable_0rtt: false, disable_1rtt_encryption: false, congestion_control: 'cubic', spin_bit: true, max_data_streams: 16, qos0_datagrams: false } } } },
    { quicListenerFactory: createQuicListener },
  );
  t.after(() => b.stop());
  await assert.rejects(mqttConnect({ url: `quic://127.0.0.1:${b.port('quic:default')}`, tls: { caFile: certPath('ca.pem') }, connectTimeoutMs: 5000 }), (e: unknown) => e instanceof Error);
});

test('session tickets reach onSessionTicket, and a ticket given back in transportOptions connects again', async (t) => {
  const b = await startBroker(
    { listeners: { quic: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, keyfile: certPath('server-ecdsa-key.pem'), certfile: certPath('server-ecdsa-chain.pem'), idle_timeout: 15000, max_handshakes: 10, retry: false, enable_0rtt: false, disable_1rtt_encryption: false, congestion_control: 'cubic', spin_bit: true, max_data_streams: 16, qos0_datagrams: false } } } },
    { quicListenerFactory: createQuicListener },
  );
  t.after(() => b.stop());
  const url = `quic://127.0.0.1:${b.port('quic:default')}`;
  const tickets: unknown[] = [];
  const first = await mqttConnect({ url, tls: { caFile: certPath('ca.pem') }, transportOptions: { onSessionTicket: (ticket: unknown) => tickets.push(ticket) } });
  await first.publish('t', 'x', { qos: 1 });
  await first.end();
  assert.ok(tickets.length > 0, 'the server issued a ticket');
  const second = await mqttConnect({ url, tls: { caFile: certPath('ca.pem') }, transportOptions: { sessionTicket: tickets.at(-1) } });
  await second.publish('t', 'y', { qos: 1 });
  await second.end();
});

/** A broker with 0-RTT enabled, and a session ticket from one full MQTT connection to it. */
async function zeroRttBrokerAndTicket(t: { after: (fn: () => unknown) => void }): Promise<{ port: number; ticket: unknown }> {
  const b = await startBroker(
    { listeners: { quic: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, keyfile: certPath('server-ecdsa-key.pem'), certfile: certPath('server-ecdsa-chain.pem'), idle_timeout: 15000, max_handshakes: 10, retry: false, enable_0rtt: true, disable_1rtt_encryption: false, congestion_control: 'cubic', spin_bit: true, max_data_streams: 16, qos0_datagrams: false } } } },
    { quicListenerFactory: createQuicListener },
  );
  t.after(() => b.stop());
  const port = b.port('quic:default');
  const tickets: unknown[] = [];
  const first = await mqttConnect({ url: `quic://127.0.0.1:${port}`, tls: { caFile: certPath('ca.pem') }, transportOptions: { onSessionTicket: (x: unknown) => tickets.push(x) } });
  await first.publish('t', 'x', { qos: 1 });
  await first.end();
  assert.ok(tickets.length > 0, 'the broker issued a ticket');
  return { port, ticket: tickets.at(-1) };
}

/** CONNECT written at once on a 0-RTT stream (with `ticket`): asserts an accepting CONNACK; returns the early-data outcome. */
async function earlyConnack(port: number, ticket: unknown, clientId: string): Promise<string | undefined> {
  const stream = quicTransport(transportOptions({ port, transportOptions: { sessionTicket: ticket, enableEarlyData: true } }, { ca: [Buffer.from(pem('ca.pem'))] })) as MqttQuicStream;
  const connack = once(stream, 'data') as Promise<[Buffer]>;
  stream.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 30 }));
  const [bytes] = await connack;
  assert.equal(bytes[0], 0x20, `${clientId}: CONNACK`);
  assert.equal(bytes[3], 0, `${clientId}: accepted`);
  const outcome = stream.quicConnection?.handshake?.earlyData;
  stream.destroy();
  return outcome;
}

test('0-RTT MQTT: with enable_0rtt and a stored ticket, CONNECT travels as early data and gets its CONNACK', async (t) => {
  const { port, ticket } = await zeroRttBrokerAndTicket(t);
  assert.equal(await earlyConnack(port, ticket, 'early-bird'), 'accepted');
});

test('0-RTT rejected (a ticket used twice): the CONNECT is sent again after the handshake and gets its CONNACK (RFC 9001 §4.6.2)', async (t) => {
  const { port, ticket } = await zeroRttBrokerAndTicket(t);
  // The broker accepts early data once per ticket (RFC 8446 §8.1): the second use is rejected.
  assert.equal(await earlyConnack(port, ticket, 'early-one'), 'accepted');
  assert.equal(await earlyConnack(port, ticket, 'early-two'), 'rejected');
});

test('disable_1rtt_encryption: a client that offers it too exchanges MQTT in unprotected 1-RTT packets; one that does not stays encrypted', async (t) => {
  const b = await startBroker(
    { listeners: { quic: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, keyfile: certPath('server-ecdsa-key.pem'), certfile: certPath('server-ecdsa-chain.pem'), idle_timeout: 15000, max_handshakes: 10, retry: false, enable_0rtt: false, disable_1rtt_encryption: true, congestion_control: 'cubic', spin_bit: true, max_data_streams: 16, qos0_datagrams: false } } } },
    { quicListenerFactory: createQuicListener },
  );
  t.after(() => b.stop());
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: b.port('quic:default') });
  t.after(() => relay.close());
  const marker = 'plaintext-check-7f3a9c';
  for (const offer of [true, false]) {
    let seen = 0;
    relay.observe = (d) => {
      if (d.includes(marker)) seen++;
    };
    const transportOptions = offer ? { disable1RttEncryption: true } : {};
    const client = await mqttConnect({ url: `quic://127.0.0.1:${relay.port}`, tls: { caFile: certPath('ca.pem'), servername: 'localhost' }, transportOptions });
    await client.subscribe(`t/${marker}`, { qos: 1 });
    const got = (async () => {
      for await (const m of client.messages()) return m;
      return undefined;
    })();
    await client.publish(`t/${marker}`, `${marker}-payload`, { qos: 1 });
    const m = await got;
    assert.equal(m?.payload.toString(), `${marker}-payload`);
    await client.end();
    if (offer) assert.ok(seen > 0, 'the topic and payload are visible on the wire');
    else assert.equal(seen, 0, 'without the client offering it, 1-RTT stays encrypted');
  }
});
