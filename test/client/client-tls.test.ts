// MqttClient over TLS against mosquitto with the test PKI: verification on by default, readable failures,
// the explicit insecure switch, mutual TLS and version pinning.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type MqttClient } from '../../src/client/client.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { certPath } from '../helpers/certs.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { WAIT_MS, uniqueTopic, within } from './support.js';

let broker: MosquittoBroker; // server-ecdsa (SAN localhost, 127.0.0.1, ::1)
let wrongHost: MosquittoBroker; // SAN not-this-host.example
let mutual: MosquittoBroker; // requires a client certificate from ca.pem

before(async () => {
  [broker, wrongHost, mutual] = await Promise.all([
    startMosquitto({ tcp: false, tls: true }),
    startMosquitto({ tcp: false, tls: { certFile: certPath('wronghost-chain.pem'), keyFile: certPath('wronghost-key.pem') } }),
    startMosquitto({ tcp: false, tls: { requireCertificate: true } }),
  ]);
});
after(async () => {
  await Promise.all([broker.stop(), wrongHost.stop(), mutual.stop()]);
});

async function roundTrip(options: ConnectOptions): Promise<void> {
  const client: MqttClient = await within(connect(options), WAIT_MS, 'connect');
  try {
    const topic = uniqueTopic('tls');
    const messages = client.messages();
    await client.subscribe(topic, { qos: 1 });
    await client.publish(topic, 'secret', { qos: 1 });
    assert.equal((await within(messages.next(), WAIT_MS, 'message')).value?.payload.toString(), 'secret');
  } finally {
    await client.end();
  }
}

const verificationFailure = (pattern: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof MqttClientError, String(e));
  assert.equal(e.code, 'ERR_TLS_VERIFICATION', e.message);
  assert.match(e.message, pattern);
  return true;
};

test('verifies the server against the given CA file, by host name and by IP address', async () => {
  await roundTrip({ url: `mqtts://localhost:${broker.tlsPort}`, tls: { caFile: certPath('ca.pem') } });
  await roundTrip({ url: `mqtts://127.0.0.1:${broker.tlsPort}`, tls: { caFile: certPath('ca.pem') }, protocolVersion: 5 });
});

test('verification is on by default: a private CA is not trusted without --cafile', async () => {
  await assert.rejects(
    within(connect(`mqtts://localhost:${broker.tlsPort}`), WAIT_MS, 'connect'),
    verificationFailure(/^TLS certificate verification failed for mqtts:\/\/localhost:\d+: .*(trusted CA|untrusted).*--cafile/),
  );
});

test('a certificate from another CA is rejected', async () => {
  await assert.rejects(
    within(connect({ url: `mqtts://localhost:${broker.tlsPort}`, tls: { caFile: certPath('other-ca.pem') } }), WAIT_MS, 'connect'),
    verificationFailure(/trusted CA|untrusted/),
  );
});

test('a certificate for another host name is rejected with a host name message', async () => {
  await assert.rejects(
    within(connect({ url: `mqtts://localhost:${wrongHost.tlsPort}`, tls: { caFile: certPath('ca.pem') } }), WAIT_MS, 'connect'),
    verificationFailure(/not valid for this host name \(ERR_TLS_CERT_ALTNAME_INVALID/),
  );
});

test('servername overrides the name checked and sent in SNI', async () => {
  await assert.rejects(
    within(
      connect({ url: `mqtts://localhost:${broker.tlsPort}`, tls: { caFile: certPath('ca.pem'), servername: 'elsewhere.example' } }),
      WAIT_MS,
      'connect',
    ),
    verificationFailure(/host name/),
  );
  await roundTrip({ url: `mqtts://127.0.0.1:${wrongHost.tlsPort}`, tls: { caFile: certPath('ca.pem'), servername: 'not-this-host.example' } });
});

test('insecure is the explicit switch that skips verification', async () => {
  await roundTrip({ url: `mqtts://localhost:${broker.tlsPort}`, tls: { insecure: true } });
  await roundTrip({ url: `mqtts://localhost:${wrongHost.tlsPort}`, tls: { insecure: true } });
});

test('mutual TLS: the client certificate is presented; without it the broker refuses the handshake', async () => {
  await roundTrip({
    url: `mqtts://localhost:${mutual.tlsPort}`,
    tls: { caFile: certPath('ca.pem'), certFile: certPath('client.pem'), keyFile: certPath('client-key.pem') },
  });
  await assert.rejects(
    within(connect({ url: `mqtts://localhost:${mutual.tlsPort}`, tls: { caFile: certPath('ca.pem') } }), WAIT_MS, 'connect'),
    (e: unknown) => {
      assert.ok(e instanceof MqttClientError, String(e));
      // RFC 8446 §4.4.2.4: a TLS 1.3 server that requires a certificate answers with certificate_required.
      assert.equal(e.code, 'ERR_TLS', e.message);
      assert.match(e.message, /^TLS error with mqtts:\/\/localhost:\d+: the broker requires a client certificate \(--cert and --key\) \(tlsv13 alert certificate required\)/);
      return true;
    },
  );
});

test('TLS version can be pinned (TLS 1.2 and TLS 1.3)', async () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    await roundTrip({
      url: `mqtts://localhost:${broker.tlsPort}`,
      tls: { caFile: certPath('ca.pem'), minVersion: version, maxVersion: version },
    });
  }
});
