// The embedded default serves MQTT over QUIC out of the box: `new Broker` with the default QUIC listener
// (keyfile/certfile empty) generates a CA and a server certificate in node.data_dir/certs, and a client
// that trusts that CA talks MQTT over quic://; one that does not trust it is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { defaultBrokerConfig } from '../../src/broker/config/defaults.js';

test('default QUIC listener: generated certificate, MQTT publish/subscribe over quic:// with the generated CA', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'quicmq-quic-default-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const quicDefault = defaultBrokerConfig().listeners.quic.default!;
  assert.equal(quicDefault.enabled, true);
  assert.equal(quicDefault.keyfile, '');
  const b2 = await startBrokerWithDataDir(dataDir, { ...quicDefault, bind: '127.0.0.1:0' });
  t.after(() => b2.stop());
  const ca = join(dataDir, 'certs', 'ca.pem');
  assert.ok(existsSync(ca), 'CA generated in node.data_dir/certs');
  const url = `quic://localhost:${b2.port('quic:default')}`;

  const sub = await connect({ url, protocolVersion: 5, tls: { caFile: ca } });
  await sub.subscribe('demo/#', { qos: 1 });
  const pub = await connect({ url, tls: { caFile: ca } });
  const received = new Promise<string>((resolve) => sub.on('message', (m: { topic: string; payload: Buffer }) => resolve(`${m.topic}=${m.payload.toString()}`)));
  await pub.publish('demo/hello', 'over quic', { qos: 1 });
  assert.equal(await received, 'demo/hello=over quic');
  await pub.end();
  await sub.end();

  await assert.rejects(connect({ url, connectTimeoutMs: 5000 }), 'a client that does not trust the generated CA is refused');
});

import type { QuicListenerConfig } from '../../src/broker/config/types.js';
import { Broker } from '../../src/broker/broker.js';
import { testConfig } from './helpers.js';

async function startBrokerWithDataDir(dataDir: string, quic: QuicListenerConfig): Promise<{ port(id: string): number; stop(): Promise<void> }> {
  const config = testConfig({ listeners: { quic: { default: quic } } });
  config.node = { ...config.node, data_dir: dataDir };
  const broker = new Broker({ config });
  await broker.start();
  return {
    port: (id: string) => broker.listenerAddresses().find((a) => a.id === id)!.port,
    stop: () => broker.stop(),
  };
}
