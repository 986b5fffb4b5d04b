// MqttClient over WebSocket (ws:// and wss://) against aedes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/client.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { certPath } from '../helpers/certs.js';
import { freePort } from '../helpers/mosquitto.js';
import { startAedesWs, type AedesWsBroker } from './aedes-ws-broker.js';
import { WAIT_MS, uniqueTopic, within } from './support.js';

let plain: AedesWsBroker;
let secure: AedesWsBroker;

before(async () => {
  [plain, secure] = await Promise.all([startAedesWs(false), startAedesWs(true)]);
});
after(async () => {
  await Promise.all([plain.close(), secure.close()]);
});

async function roundTrip(options: ConnectOptions): Promise<void> {
  const client = await within(connect(options), WAIT_MS, 'connect');
  try {
    const topic = uniqueTopic('ws');
    const messages = client.messages();
    assert.deepEqual(await client.subscribe(topic, { qos: 1 }), [{ filter: topic, reasonCode: 1, qos: 1 }]);
    await client.publish(topic, Buffer.from([0, 1, 2, 255]), { qos: 1 });
    const m = (await within(messages.next(), WAIT_MS, 'message')).value;
    assert.deepEqual(m?.payload, Buffer.from([0, 1, 2, 255]), 'binary payload intact over binary frames');
  } finally {
    await client.end();
  }
}

test('ws:// offers the "mqtt" sub-protocol and uses the URL path (MQTT 5.0 §6)', async () => {
  await roundTrip({ url: `ws://127.0.0.1:${plain.port}/mqtt` });
  assert.equal(plain.offeredProtocols.at(-1), 'mqtt');
  assert.equal(plain.paths.at(-1), '/mqtt');
  await roundTrip({ url: `ws://127.0.0.1:${plain.port}` });
  assert.equal(plain.paths.at(-1), '/');
});

test('wss:// verifies the server certificate with the given CA', async () => {
  await roundTrip({ url: `wss://localhost:${secure.port}/mqtt`, tls: { caFile: certPath('ca.pem') } });
});

test('wss:// without the CA fails verification with a readable error; insecure skips it', async () => {
  await assert.rejects(within(connect(`wss://localhost:${secure.port}/mqtt`), WAIT_MS, 'connect'), (e: unknown) => {
    assert.ok(e instanceof MqttClientError, String(e));
    assert.equal(e.code, 'ERR_TLS_VERIFICATION', e.message);
    return true;
  });
  await roundTrip({ url: `wss://localhost:${secure.port}/mqtt`, tls: { insecure: true } });
});

test('ws:// to a closed port: connection refused', async () => {
  const port = await freePort();
  await assert.rejects(within(connect(`ws://127.0.0.1:${port}/mqtt`), WAIT_MS, 'connect'), (e: unknown) => {
    assert.ok(e instanceof MqttClientError, String(e));
    assert.equal(e.code, 'ERR_CONNECTION_REFUSED', e.message);
    return true;
  });
});

test('ws:// to a server that is not a WebSocket endpoint: a transport error naming the HTTP status', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    await assert.rejects(within(connect(`ws://127.0.0.1:${port}/mqtt`), WAIT_MS, 'connect'), (e: unknown) => {
      assert.ok(e instanceof MqttClientError, String(e));
      assert.equal(e.code, 'ERR_TRANSPORT', e.message);
      assert.match(e.message, /404/);
      return true;
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
