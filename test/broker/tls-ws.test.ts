// MQTT over TLS 1.2 / 1.3 (with and without mutual TLS), WebSocket and secure WebSocket, with MQTT.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { ConnectionOptions } from 'node:tls';
import { startBroker, connectClient, endClient, nextMessage, type TestBroker } from './helpers.js';
import { certFile, certPath } from '../helpers/certs.js';
import type { AuthRequest } from '../../src/broker/auth/types.js';
import type { SslOptions } from '../../src/broker/config/types.js';

const ssl = (o: Partial<SslOptions> = {}): SslOptions => ({
  keyfile: certPath('server-rsa-key.pem'),
  certfile: certPath('server-rsa.pem'),
  cacertfile: certPath('ca.pem'),
  verify: 'verify_none',
  fail_if_no_peer_cert: false,
  versions: ['tlsv1.2', 'tlsv1.3'],
  ...o,
});

const requests: AuthRequest[] = [];
let b: TestBroker;
before(async () => {
  b = await startBroker(
    {
      listeners: {
        ssl: {
          default: { enabled: true, bind: '127.0.0.1:0', max_connections: 100, ssl_options: ssl() },
          mtls: { enabled: true, bind: '127.0.0.1:0', max_connections: 100, ssl_options: ssl({ verify: 'verify_peer', fail_if_no_peer_cert: true }) },
          optional: { enabled: true, bind: '127.0.0.1:0', max_connections: 100, ssl_options: ssl({ verify: 'verify_peer', fail_if_no_peer_cert: false }) },
          tls13: { enabled: true, bind: '127.0.0.1:0', max_connections: 100, ssl_options: ssl({ versions: ['tlsv1.3'] }) },
        },
        wss: {
          default: { enabled: true, bind: '127.0.0.1:0', max_connections: 100, websocket: { mqtt_path: '/mqtt' }, ssl_options: ssl({ verify: 'verify_peer', fail_if_no_peer_cert: false }) },
        },
      },
    },
    { authenticator: { authenticate: (req) => (requests.push(req), { ok: true }) } },
  );
});
after(() => b.stop());

const ca = () => certFile('ca.pem');
/** MQTT.js hands TLS options through to tls.connect; its type only lists some of them. */
const tlsOpts = (o: IClientOptions & ConnectionOptions): IClientOptions => o;
const clientCert = () => ({ cert: certFile('client.pem'), key: certFile('client-key.pem') });

async function roundTrip(c: MqttClient, topic: string): Promise<void> {
  await c.subscribeAsync(topic, { qos: 1 });
  const got = nextMessage(c, 2000, topic);
  await c.publishAsync(topic, 'over-tls', { qos: 1 });
  assert.equal((await got).payload.toString(), 'over-tls');
}

test('TLS 1.2 and TLS 1.3 with MQTT.js (3.1.1 and 5.0)', async () => {
  for (const [v, proto] of [
    ['TLSv1.2', 4],
    ['TLSv1.3', 5],
  ] as const) {
    const c = await connectClient(`mqtts://localhost:${b.port('ssl:default')}`, tlsOpts({ protocolVersion: proto, ca: ca(), minVersion: v, maxVersion: v }));
    const socket = (c as unknown as { stream: import('node:tls').TLSSocket }).stream;
    assert.equal(socket.getProtocol(), v);
    await roundTrip(c, `tls/${v}`);
    await endClient(c);
  }
});

test('a TLS 1.3-only listener refuses TLS 1.2', async () => {
  await assert.rejects(connectClient(`mqtts://localhost:${b.port('ssl:tls13')}`, tlsOpts({ ca: ca(), maxVersion: 'TLSv1.2' })));
  const c = await connectClient(`mqtts://localhost:${b.port('ssl:tls13')}`, { ca: ca() });
  await endClient(c);
});

test('mutual TLS: a client certificate is required and its CN reaches the authenticator', async () => {
  const c = await connectClient(`mqtts://localhost:${b.port('ssl:mtls')}`, { protocolVersion: 5, clientId: 'mtls-client', ca: ca(), ...clientCert() });
  await roundTrip(c, 'mtls/t');
  await endClient(c);
  const req = requests.find((r) => r.clientId === 'mtls-client')!;
  assert.equal(req.certCommonName, 'client');
  assert.equal(req.listener, 'ssl:mtls');
  await assert.rejects(connectClient(`mqtts://localhost:${b.port('ssl:mtls')}`, { ca: ca() }));
});

test('verify_peer without fail_if_no_peer_cert: no certificate is fine, a certificate from another CA is refused', async () => {
  const anon = await connectClient(`mqtts://localhost:${b.port('ssl:optional')}`, { protocolVersion: 5, clientId: 'no-cert', ca: ca() });
  await endClient(anon);
  assert.equal(requests.find((r) => r.clientId === 'no-cert')!.certCommonName, undefined);
  await assert.rejects(
    connectClient(`mqtts://localhost:${b.port('ssl:optional')}`, { ca: ca(), cert: certFile('othercaserver.pem'), key: certFile('othercaserver-key.pem') }, 1500),
  );
});

test('the server certificate verifies for localhost against the test CA', async () => {
  await new Promise<void>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: b.port('ssl:default'), servername: 'localhost', ca: ca() }, () => {
      assert.equal(s.authorized, true);
      s.end();
      resolve();
    });
    s.on('error', reject);
  });
});

test('WebSocket: MQTT.js 3.1.1 and 5.0 on the mqtt path', async () => {
  const url = `ws://127.0.0.1:${b.port('ws:default')}/mqtt`;
  const c4 = await connectClient(url, { protocolVersion: 4 });
  const c5 = await connectClient(url, { protocolVersion: 5 });
  await c5.subscribeAsync('ws/t', { qos: 2 });
  const got = nextMessage(c5, 2000, 'ws/t');
  await c4.publishAsync('ws/t', 'via-ws', { qos: 2 });
  assert.equal((await got).payload.toString(), 'via-ws');
  await endClient(c4);
  await endClient(c5);
});

test('WebSocket: MQTT 3.1 uses the mqttv3.1 subprotocol', async () => {
  const c = await connectClient(`ws://127.0.0.1:${b.port('ws:default')}/mqtt`, { protocolVersion: 3, protocolId: 'MQIsdp' });
  await endClient(c);
});

test('WebSocket: wrong path, missing subprotocol and text frames are refused', async () => {
  const port = b.port('ws:default');
  const status = (path: string, protocols: string[]) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols);
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(String(res.statusCode));
        ws.terminate();
      });
      ws.on('error', (e) => resolve(`error:${e.message}`));
    });
  assert.notEqual(await status('/other', ['mqtt']), 'open');
  assert.notEqual(await status('/mqtt', ['chat']), 'open');
  assert.equal(await status('/mqtt', ['mqtt']), 'open');
  const code = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, ['mqtt']);
    ws.on('open', () => ws.send('not binary'));
    ws.on('close', (c) => resolve(c));
  });
  assert.equal(code, 1003);
});

test('secure WebSocket (wss) with a client certificate', async () => {
  const c = await connectClient(`wss://localhost:${b.port('wss:default')}/mqtt`, { protocolVersion: 5, clientId: 'wss-client', ca: ca(), ...clientCert() });
  await roundTrip(c, 'wss/t');
  await endClient(c);
  const req = requests.find((r) => r.clientId === 'wss-client')!;
  assert.equal(req.listener, 'wss:default');
  assert.equal(req.certCommonName, 'client');
});
