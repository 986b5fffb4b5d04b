// Interop with Debian's mosquitto_pub / mosquitto_sub (libmosquitto 2.0) over TCP and TLS, for
// MQTT 3.1, 3.1.1 and 5.0. Debian's libmosquitto clients have no WebSocket transport, so WS interop
// is covered with MQTT.js only (tls-ws.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { startBroker, connectClient, endClient, nextMessage, type TestBroker } from './helpers.js';
import { certPath } from '../helpers/certs.js';

const PUB = '/usr/bin/mosquitto_pub';
const SUB = '/usr/bin/mosquitto_sub';

function run(bin: string, args: string[], timeoutMs = 8000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let b: TestBroker;
before(async () => {
  assert.ok(existsSync(PUB) && existsSync(SUB), 'mosquitto-clients must be installed (apt-get install -y mosquitto-clients)');
  b = await startBroker({
    listeners: {
      ssl: {
        default: {
          enabled: true,
          bind: '127.0.0.1:0',
          max_connections: 100,
          ssl_options: { keyfile: certPath('server-rsa-key.pem'), certfile: certPath('server-rsa.pem'), cacertfile: certPath('ca.pem'), verify: 'verify_peer', fail_if_no_peer_cert: false, versions: ['tlsv1.2', 'tlsv1.3'] },
        },
      },
    },
  });
});
after(() => b.stop());

const VERSIONS = ['mqttv31', 'mqttv311', 'mqttv5'] as const;

test('mosquitto_pub -> MQTT.js over TCP, every protocol version and QoS', async () => {
  const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await sub.subscribeAsync('mosq/pub/#', { qos: 2 });
  for (const v of VERSIONS) {
    for (const q of ['0', '1', '2']) {
      const topic = `mosq/pub/${v}/${q}`;
      const got = nextMessage(sub, 5000, topic);
      const r = await run(PUB, ['-h', '127.0.0.1', '-p', String(b.port()), '-V', v, '-q', q, '-t', topic, '-m', `hello ${v}`]);
      assert.equal(r.code, 0, r.stderr);
      const m = await got;
      assert.equal(m.payload.toString(), `hello ${v}`);
      assert.equal(m.packet.qos, Number(q));
    }
  }
  await endClient(sub);
});

test('mosquitto_sub receives retained and QoS 2 messages over TCP', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('mosq/sub/r', 'from-quicmq', { qos: 2, retain: true });
  for (const v of VERSIONS) {
    const r = await run(SUB, ['-h', '127.0.0.1', '-p', String(b.port()), '-V', v, '-q', '2', '-t', 'mosq/sub/#', '-C', '1', '-W', '5', '-v']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'mosq/sub/r from-quicmq');
  }
  await pub.publishAsync('mosq/sub/r', '', { retain: true });
  await endClient(pub);
});

test('mosquitto_pub and mosquitto_sub over TLS (1.2 and 1.3) and with a client certificate', async () => {
  const port = String(b.port('ssl:default'));
  const tls = ['-h', 'localhost', '-p', port, '--cafile', certPath('ca.pem')];
  for (const tlsVersion of ['tlsv1.2', 'tlsv1.3']) {
    const pub = await run(PUB, [...tls, '--tls-version', tlsVersion, '-V', 'mqttv5', '-q', '1', '-r', '-t', `mosq/tls/${tlsVersion}`, '-m', tlsVersion]);
    assert.equal(pub.code, 0, pub.stderr);
    const sub = await run(SUB, [...tls, '--tls-version', tlsVersion, '-V', 'mqttv311', '-t', `mosq/tls/${tlsVersion}`, '-C', '1', '-W', '5']);
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(sub.stdout.trim(), tlsVersion);
  }
  const withCert = await run(PUB, [...tls, '--cert', certPath('client.pem'), '--key', certPath('client-key.pem'), '-t', 'mosq/tls/cert', '-m', 'x']);
  assert.equal(withCert.code, 0, withCert.stderr);
  for (const t of ['tlsv1.2', 'tlsv1.3']) await run(PUB, [...tls, '-r', '-t', `mosq/tls/${t}`, '-n']);
});
