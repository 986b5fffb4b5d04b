// CONNECT / CONNACK for 3.1, 3.1.1 and 5.0: properties, client ids, authentication, clean start and
// session present, takeover, keepalive and idle timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startBroker, connectClient, endClient, RawClient, sleep, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';
import type { AuthRequest, Authenticator } from '../../src/broker/auth/types.js';

let b: TestBroker;
before(async () => {
  b = await startBroker({ mqtt: { max_clientid_len: 16, keepalive_multiplier: 1.5, session_expiry_interval: 60000, max_topic_alias: 10, max_inflight: 7 } });
});
after(() => b.stop());

test('MQTT.js connects with 3.1, 3.1.1 and 5.0', async () => {
  for (const v of [3, 4, 5] as const) {
    const c = await connectClient(b.tcpUrl(), { protocolVersion: v, clientId: `v${v}`, ...(v === 3 ? { protocolId: 'MQIsdp' as const } : {}) });
    assert.equal(c.connected, true);
    await endClient(c);
  }
});

test('5.0 CONNACK announces the broker limits and features', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('props');
  assert.ok(ack.cmd === 'connack');
  assert.equal(ack.reasonCode, 0);
  assert.equal(ack.sessionPresent, false);
  const p = ack.properties!;
  assert.equal(p.receiveMaximum, 7);
  assert.equal(p.maximumPacketSize, 1048576);
  assert.equal(p.topicAliasMaximum, 10);
  assert.equal(p.retainAvailable, true);
  assert.equal(p.wildcardSubscriptionAvailable, true);
  assert.equal(p.subscriptionIdentifiersAvailable, true);
  assert.equal(p.sharedSubscriptionAvailable, true);
  assert.equal(p.maximumQoS, undefined); // only sent when below 2
  assert.equal(p.assignedClientIdentifier, undefined);
  raw.destroy();
});

test('5.0 empty client id: the broker assigns one', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('');
  assert.ok(ack.cmd === 'connack' && ack.reasonCode === 0);
  assert.match(ack.properties?.assignedClientIdentifier ?? '', /^quicmq-/);
  raw.destroy();
});

test('3.1.1 empty client id: accepted with clean session, 0x02 without', async () => {
  const ok = await RawClient.connect(b.port(), 4);
  const a1 = await ok.handshake('', 4, { clean: true });
  assert.ok(a1.cmd === 'connack' && a1.returnCode === 0);
  ok.destroy();
  const bad = await RawClient.connect(b.port(), 4);
  // CONNECT "MQTT" level 4, CleanSession 0, empty client id (mqtt-packet refuses to build it)
  bad.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]));
  const a2 = await bad.waitFor('connack');
  assert.ok(a2.cmd === 'connack' && a2.returnCode === 2);
  assert.equal(await bad.waitClosed(), true);
});

test('3.1 empty client id: 0x02', async () => {
  const raw = await RawClient.connect(b.port(), 3);
  // CONNECT "MQIsdp" level 3, clean session, keepalive 0, empty client id (mqtt-packet refuses to build it)
  raw.write(Buffer.from([0x10, 0x0e, 0x00, 0x06, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00]));
  const ack = await raw.waitFor('connack');
  assert.ok(ack.cmd === 'connack' && ack.returnCode === 2);
  assert.equal(await raw.waitClosed(), true);
});

test('client id longer than max_clientid_len: 5.0 0x85, 3.1.1 0x02', async () => {
  const r5 = await RawClient.connect(b.port(), 5);
  const a5 = await r5.handshake('x'.repeat(17));
  assert.ok(a5.cmd === 'connack' && a5.reasonCode === ReasonCode.ClientIdentifierNotValid);
  assert.equal(await r5.waitClosed(), true);
  const r4 = await RawClient.connect(b.port(), 4);
  const a4 = await r4.handshake('x'.repeat(17), 4);
  assert.ok(a4.cmd === 'connack' && a4.returnCode === 2);
});

test('authentication method: CONNACK 0x8C (enhanced auth not supported)', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('am', 5, { properties: { authenticationMethod: 'SCRAM-SHA-1' } });
  assert.ok(ack.cmd === 'connack' && ack.reasonCode === ReasonCode.BadAuthenticationMethod);
  assert.equal(await raw.waitClosed(), true);
});

test('will QoS above max_qos_allowed: 0x9B; retained will without retain: 0x9A; bad will topic: 0x90', async () => {
  const b2 = await startBroker({ mqtt: { max_qos_allowed: 1, retain_available: false } });
  try {
    const cases: Array<[object, number]> = [
      [{ will: { topic: 'w', payload: Buffer.from('x'), qos: 2, retain: false } }, ReasonCode.QoSNotSupported],
      [{ will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: true } }, ReasonCode.RetainNotSupported],
      [{ will: { topic: 'w/#', payload: Buffer.from('x'), qos: 0, retain: false } }, ReasonCode.TopicNameInvalid],
    ];
    for (const [extra, code] of cases) {
      const raw = await RawClient.connect(b2.port(), 5);
      const ack = await raw.handshake('w', 5, extra);
      assert.ok(ack.cmd === 'connack');
      assert.equal(ack.reasonCode, code);
      assert.equal(await raw.waitClosed(), true);
    }
    const raw = await RawClient.connect(b2.port(), 5);
    const ack = await raw.handshake('mq');
    assert.ok(ack.cmd === 'connack' && ack.properties?.maximumQoS === 1 && ack.properties.retainAvailable === false);
    raw.destroy();
  } finally {
    await b2.stop();
  }
});

test('anonymous refused without an authenticator: 5.0 0x87, 3.1.1 return code 5', async () => {
  const b2 = await startBroker({ authentication: { allow_anonymous: false } });
  try {
    const r5 = await RawClient.connect(b2.port(), 5);
    const a5 = await r5.handshake('anon');
    assert.ok(a5.cmd === 'connack' && a5.reasonCode === ReasonCode.NotAuthorized);
    const r4 = await RawClient.connect(b2.port(), 4);
    const a4 = await r4.handshake('anon', 4);
    assert.ok(a4.cmd === 'connack' && a4.returnCode === 5);
    await assert.rejects(connectClient(`mqtt://127.0.0.1:${b2.port()}`, { protocolVersion: 5 }), /Not authorized/);
  } finally {
    await b2.stop();
  }
});

test('Authenticator: request fields, 0x86/4 for a bad password, 0x8A banned, errors are 0x88/3', async () => {
  const seen: AuthRequest[] = [];
  const authenticator: Authenticator = {
    async authenticate(req) {
      seen.push(req);
      await sleep(5);
      if (req.username === 'boom') throw new Error('backend down');
      if (req.username === 'banned') return { ok: false, reason: 'banned' };
      return req.username === 'alice' && req.password?.toString() === 'secret' ? { ok: true } : { ok: false, reason: 'bad_username_or_password' };
    },
  };
  const b2 = await startBroker({}, { authenticator });
  try {
    const good = await connectClient(`mqtt://127.0.0.1:${b2.port()}`, { protocolVersion: 5, clientId: 'alice-1', username: 'alice', password: 'secret' });
    await endClient(good);
    const req = seen[0]!;
    assert.equal(req.clientId, 'alice-1');
    assert.equal(req.listener, 'tcp:default');
    assert.equal(req.protocolVersion, 5);
    assert.match(req.remoteAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal(req.certCommonName, undefined);
    const r5 = await RawClient.connect(b2.port(), 5);
    const a5 = await r5.handshake('x', 5, { username: 'alice', password: Buffer.from('wrong') });
    assert.ok(a5.cmd === 'connack' && a5.reasonCode === ReasonCode.BadUserNameOrPassword);
    const r4 = await RawClient.connect(b2.port(), 4);
    const a4 = await r4.handshake('x', 4, { username: 'alice', password: Buffer.from('wrong') });
    assert.ok(a4.cmd === 'connack' && a4.returnCode === 4);
    const rb = await RawClient.connect(b2.port(), 5);
    const ab = await rb.handshake('x', 5, { username: 'banned' });
    assert.ok(ab.cmd === 'connack' && ab.reasonCode === ReasonCode.Banned);
    const re = await RawClient.connect(b2.port(), 4);
    const ae = await re.handshake('x', 4, { username: 'boom' });
    assert.ok(ae.cmd === 'connack' && ae.returnCode === 3);
  } finally {
    await b2.stop();
  }
});

test('packets pipelined behind CONNECT wait for the authenticator', async () => {
  const authenticator: Authenticator = { authenticate: async () => (await sleep(30), { ok: true }) };
  const b2 = await startBroker({}, { authenticator });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    raw.write({ cmd: 'connect', clientId: 'pipe', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0 });
    raw.write({ cmd: 'pingreq' });
    await raw.waitFor('connack');
    await raw.waitFor('pingresp');
    assert.equal(raw.packets.length, 0);
    raw.destroy();
  } finally {
    await b2.stop();
  }
});

test('clean start / session present (5.0 and 3.1.1)', async () => {
  const opts = { protocolVersion: 5 as const, clientId: 'sp5', clean: false, properties: { sessionExpiryInterval: 30 } };
  const c1 = await connectClient(b.tcpUrl(), opts);
  await endClient(c1);
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('sp5', 5, { clean: false, properties: { sessionExpiryInterval: 30 } });
  assert.ok(ack.cmd === 'connack' && ack.sessionPresent === true);
  raw.write({ cmd: 'disconnect', reasonCode: 0 });
  await raw.waitClosed();
  const raw2 = await RawClient.connect(b.port(), 5);
  const ack2 = await raw2.handshake('sp5', 5, { clean: true });
  assert.ok(ack2.cmd === 'connack' && ack2.sessionPresent === false);
  raw2.destroy();

  const r4 = await RawClient.connect(b.port(), 4);
  await r4.handshake('sp4', 4, { clean: false });
  r4.write({ cmd: 'disconnect' }, 4);
  await r4.waitClosed();
  const r4b = await RawClient.connect(b.port(), 4);
  const a4 = await r4b.handshake('sp4', 4, { clean: false });
  assert.ok(a4.cmd === 'connack' && a4.sessionPresent === true);
  r4b.destroy();
});

test('session expiry above the broker maximum is capped and announced in CONNACK', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  const ack = await raw.handshake('cap', 5, { properties: { sessionExpiryInterval: 0xffffffff } });
  assert.ok(ack.cmd === 'connack' && ack.properties?.sessionExpiryInterval === 60);
  raw.destroy();
});

test('session takeover: the old 5.0 client gets DISCONNECT 0x8E, a 3.1.1 one is closed', async () => {
  const old5 = await RawClient.connect(b.port(), 5);
  await old5.handshake('dup-id');
  const newer = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'dup-id' });
  const d = await old5.waitFor('disconnect');
  assert.equal(d.reasonCode, ReasonCode.SessionTakenOver);
  assert.equal(await old5.waitClosed(), true);
  assert.equal(newer.connected, true);
  await endClient(newer);

  const old4 = await RawClient.connect(b.port(), 4);
  await old4.handshake('dup-id4', 4);
  const raw = await RawClient.connect(b.port(), 4);
  await raw.handshake('dup-id4', 4);
  assert.equal(await old4.waitClosed(), true);
  assert.equal(old4.packets.length, 0);
  raw.destroy();
});

test('keepalive timeout: 5.0 DISCONNECT 0x8D after keepalive x multiplier', async () => {
  const raw = await RawClient.connect(b.port(), 5);
  await raw.handshake('ka', 5, { keepalive: 1 });
  const d = await raw.waitFor('disconnect', 3000);
  assert.equal(d.reasonCode, ReasonCode.KeepAliveTimeout);
  assert.equal(await raw.waitClosed(), true);
});

test('PINGREQ keeps a connection alive past its keepalive', async () => {
  const raw = await RawClient.connect(b.port(), 4);
  await raw.handshake('ping', 4, { keepalive: 1 });
  for (let i = 0; i < 4; i++) {
    await sleep(500);
    raw.write({ cmd: 'pingreq' }, 4);
    await raw.waitFor('pingresp');
  }
  assert.equal(raw.closed, false);
  raw.destroy();
});

test('server_keepalive overrides the client keepalive for 5.0 (Server Keep Alive)', async () => {
  const b2 = await startBroker({ mqtt: { server_keepalive: 1 } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    const ack = await raw.handshake('ska', 5, { keepalive: 600 });
    assert.ok(ack.cmd === 'connack' && ack.properties?.serverKeepAlive === 1);
    const d = await raw.waitFor('disconnect', 3000);
    assert.equal(d.reasonCode, ReasonCode.KeepAliveTimeout);
  } finally {
    await b2.stop();
  }
});

test('idle_timeout: a connection that never sends CONNECT is closed', async () => {
  const b2 = await startBroker({ mqtt: { idle_timeout: 200 } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    assert.equal(await raw.waitClosed(2000), true);
    assert.equal(raw.allBytes().length, 0);
  } finally {
    await b2.stop();
  }
});

test('max_connections is enforced per listener', async () => {
  const b2 = await startBroker({ listeners: { tcp: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 1 } } } });
  try {
    const first = await connectClient(`mqtt://127.0.0.1:${b2.port()}`, { protocolVersion: 4 });
    const second = await RawClient.connect(b2.port(), 4);
    assert.equal(await second.waitClosed(), true);
    // The WS listener is independent of the TCP one.
    const ws = await connectClient(`ws://127.0.0.1:${b2.port('ws:default')}/mqtt`, { protocolVersion: 4 });
    await endClient(ws);
    await endClient(first);
  } finally {
    await b2.stop();
  }
});

test('MQTT.js reconnect is refused while the broker is stopped', async () => {
  const b2 = await startBroker();
  const port = b2.port();
  await b2.stop();
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
  const err = await new Promise<Error>((resolve) => c.once('error', resolve));
  assert.match(err.message, /ECONNREFUSED/);
  c.end(true);
});

test('an authenticator that never answers is bounded by idle_timeout', async () => {
  const b2 = await startBroker({ mqtt: { idle_timeout: 300 } }, { authenticator: { authenticate: () => new Promise(() => undefined) } });
  try {
    const raw = await RawClient.connect(b2.port(), 5);
    raw.write({ cmd: 'connect', clientId: 'stuck', protocolVersion: 5, protocolId: 'MQTT', clean: true, keepalive: 0 });
    assert.equal(await raw.waitClosed(2000), true);
    assert.equal(raw.packets.length, 0);
  } finally {
    await b2.stop();
  }
});
