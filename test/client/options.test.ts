import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../../src/client/options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { certPath } from '../helpers/certs.js';

const fails = (fn: () => unknown, code: string, pattern: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof MqttClientError && e.code === code && pattern.test(e.message));

test('defaults: mqtt scheme, localhost:1883, MQTT 3.1.1, clean start, keepalive 60, verification on', () => {
  const o = resolveOptions({});
  assert.equal(o.scheme, 'mqtt');
  assert.equal(o.host, 'localhost');
  assert.equal(o.port, 1883);
  assert.equal(o.protocolVersion, 4);
  assert.equal(o.cleanStart, true);
  assert.equal(o.keepalive, 60);
  assert.equal(o.reconnectPeriodMs, 0);
  assert.equal(o.tls.rejectUnauthorized, true);
  assert.equal(o.tls.ca, undefined);
});

test('URL: scheme picks the transport and default port; credentials are percent-decoded', () => {
  const o = resolveOptions('mqtts://us%40er:p%3Ass@broker.example/ignored');
  assert.equal(o.transport.scheme, 'mqtts');
  assert.equal(o.port, 8883);
  assert.equal(o.host, 'broker.example');
  assert.equal(o.username, 'us@er');
  assert.deepEqual(o.password, Buffer.from('p:ss'));
  assert.equal(resolveOptions('ws://h:9001/mqtt').path, '/mqtt');
  assert.equal(resolveOptions('wss://h').port, 443);
  assert.equal(resolveOptions('MQTT://h').scheme, 'mqtt');
});

test('URL: IPv6 literals lose their brackets', () => {
  const o = resolveOptions('mqtt://[::1]:1999');
  assert.equal(o.host, '::1');
  assert.equal(o.port, 1999);
});

test('explicit options override the URL', () => {
  const o = resolveOptions({ url: 'mqtt://u:p@h:1', host: 'other', port: 2, username: 'x' });
  assert.equal(o.host, 'other');
  assert.equal(o.port, 2);
  assert.equal(o.username, 'x');
});

test('bad URLs and unknown schemes are reported', () => {
  fails(() => resolveOptions('not a url'), 'ERR_INVALID_OPTION', /Invalid broker URL/);
  fails(() => resolveOptions('gopher://h'), 'ERR_UNKNOWN_SCHEME', /No transport for "gopher:\/\/" \(registered: .*mqtt/);
});

test('numeric limits are checked', () => {
  fails(() => resolveOptions({ port: 70000 }), 'ERR_INVALID_OPTION', /port must be an integer from 1 to 65535/);
  fails(() => resolveOptions({ keepalive: 65536 }), 'ERR_INVALID_OPTION', /keepalive/);
  fails(() => resolveOptions({ keepalive: -1 }), 'ERR_INVALID_OPTION', /keepalive/);
  fails(() => resolveOptions({ protocolVersion: 6 as 5 }), 'ERR_INVALID_OPTION', /protocolVersion must be 3/);
  fails(() => resolveOptions({ protocolVersion: 5, sessionExpiryInterval: 2 ** 32 }), 'ERR_INVALID_OPTION', /sessionExpiryInterval/);
  fails(() => resolveOptions({ messageBufferSize: 0 }), 'ERR_INVALID_OPTION', /messageBufferSize/);
});

test('MQTT 5-only settings are refused for MQTT 3.1.1', () => {
  fails(() => resolveOptions({ sessionExpiryInterval: 10 }), 'ERR_INVALID_OPTION', /sessionExpiryInterval needs MQTT 5/);
  fails(() => resolveOptions({ userProperties: { a: 'b' } }), 'ERR_INVALID_OPTION', /userProperties needs MQTT 5/);
  fails(
    () => resolveOptions({ will: { topic: 't', properties: { willDelayInterval: 5 } } }),
    'ERR_INVALID_OPTION',
    /will.properties needs MQTT 5/,
  );
  assert.equal(resolveOptions({ protocolVersion: 5, sessionExpiryInterval: 10 }).sessionExpiryInterval, 10);
});

test('client id rules of MQTT 3.1 and 3.1.1 (§3.1.3.1)', () => {
  fails(() => resolveOptions({ protocolVersion: 3 }), 'ERR_INVALID_OPTION', /MQTT 3.1 needs a client id/);
  fails(() => resolveOptions({ cleanStart: false }), 'ERR_INVALID_OPTION', /clean session is off/);
  assert.equal(resolveOptions({ protocolVersion: 5, cleanStart: false }).clientId, '');
});

test('password without user name only for MQTT 5 (MQTT 3.1.1 §3.1.2.9)', () => {
  fails(() => resolveOptions({ password: 'p' }), 'ERR_INVALID_OPTION', /password needs a user name/);
  assert.ok(resolveOptions({ protocolVersion: 5, password: 'p' }).password);
});

test('will topic must be a topic name', () => {
  fails(() => resolveOptions({ will: { topic: 'a/#' } }), 'ERR_INVALID_OPTION', /Will topic/);
  fails(() => resolveOptions({ will: { topic: '' } }), 'ERR_INVALID_OPTION', /Will topic/);
  fails(() => resolveOptions({ will: { topic: 't', qos: 3 as 2 } }), 'ERR_INVALID_OPTION', /will.qos/);
});

test('TLS: files are read at resolution, unreadable files name the path', () => {
  const o = resolveOptions({ tls: { caFile: certPath('ca.pem'), certFile: certPath('client.pem'), keyFile: certPath('client-key.pem') } });
  assert.equal(o.tls.ca?.length, 1);
  assert.match(o.tls.cert?.toString() ?? '', /BEGIN CERTIFICATE/);
  fails(() => resolveOptions({ tls: { caFile: '/nonexistent/ca.pem' } }), 'ERR_FILE', /Cannot read CA file "\/nonexistent\/ca.pem" \(ENOENT\)/);
  fails(() => resolveOptions({ tls: { certFile: certPath('client.pem') } }), 'ERR_INVALID_OPTION', /needs its key/);
});

test('TLS: insecure is the only switch that disables verification', () => {
  assert.equal(resolveOptions({ tls: { insecure: true } }).tls.rejectUnauthorized, false);
  assert.equal(resolveOptions({ tls: { insecure: false } }).tls.rejectUnauthorized, true);
  assert.equal(resolveOptions({ tls: { ca: 'PEM' } }).tls.rejectUnauthorized, true);
});
