// The mosquitto test helper other suites rely on: free ports, readiness, auth/TLS config, clean stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect } from '../../src/client/client.js';
import { certPath } from '../helpers/certs.js';
import { mosquittoSupportsWebsockets, startMosquitto } from '../helpers/mosquitto.js';
import { WAIT_MS, within } from './support.js';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('starts with TCP + TLS + users on distinct free ports, is ready when it resolves, and stops cleanly', async () => {
  const broker = await startMosquitto({ tls: true, users: { u: 'p' } });
  try {
    assert.notEqual(broker.port, broker.tlsPort);
    assert.equal(await portOpen(broker.port), true, 'listening as soon as startMosquitto resolves');
    const c = await within(
      connect({ url: `mqtts://localhost:${broker.tlsPort}`, username: 'u', password: 'p', tls: { caFile: certPath('ca.pem') } }),
      WAIT_MS,
      'connect',
    );
    await c.end();
    assert.match(broker.log(), / running/);
  } finally {
    await broker.stop();
    await broker.stop(); // idempotent
  }
  assert.equal(existsSync(broker.dir), false, 'temporary directory removed');
  assert.equal(await portOpen(broker.port), false, 'process gone');
});

test('a broken configuration fails fast with mosquitto\'s own message', async () => {
  await assert.rejects(startMosquitto({ extraConfig: ['no_such_option true'] }), /mosquitto exited at start .*\n.*no_such_option/s);
});

test('WebSocket support is probed, not assumed (Debian 2.0.11 has none; aedes covers WebSocket tests)', async () => {
  const supported = await mosquittoSupportsWebsockets();
  if (supported) {
    const broker = await startMosquitto({ tcp: false, websockets: true });
    await broker.stop();
  } else {
    await assert.rejects(startMosquitto({ tcp: false, websockets: true }), /Unable to start any listening sockets|websockets/i);
  }
});
