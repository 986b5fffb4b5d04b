// Broker lifecycle, $SYS topics and metrics: start/stop, graceful shutdown, listener addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/broker/broker.js';
import { startBroker, testConfig, connectClient, endClient, nextMessage, RawClient, sleep } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';
import { QUICMQ_VERSION } from '../../src/broker/version.js';

test('listenerAddresses reports every enabled listener with its bound port', async () => {
  const b = await startBroker();
  try {
    const addrs = b.broker.listenerAddresses();
    assert.deepEqual(addrs.map((a) => `${a.id}/${a.type}/${a.host}`).sort(), ['tcp:default/tcp/127.0.0.1', 'ws:default/ws/127.0.0.1']);
    assert.ok(addrs.every((a) => a.port > 0));
  } finally {
    await b.stop();
  }
});

test('start fails with the bind error and releases the other listeners', async () => {
  const first = await startBroker();
  const port = first.port();
  const c = testConfig({
    listeners: {
      tcp: { default: { enabled: true, bind: `127.0.0.1:${port}`, max_connections: 10 } },
      ws: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, websocket: { mqtt_path: '/mqtt' } } },
    },
  });
  const second = new Broker({ config: c });
  await assert.rejects(second.start(), /EADDRINUSE/);
  assert.deepEqual(second.listenerAddresses(), []);
  await first.stop();
});

test('an enabled QUIC listener whose key file cannot be read fails start() with a clear error', async () => {
  const c = testConfig({
    listeners: { quic: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, keyfile: 'no-such-key.pem', certfile: 'no-such-cert.pem', idle_timeout: 1, max_handshakes: 1, retry: false, enable_0rtt: false, disable_1rtt_encryption: false, congestion_control: 'cubic', spin_bit: true, max_data_streams: 16, qos0_datagrams: false } } },
  });
  const b = new Broker({ config: c });
  await assert.rejects(b.start(), /cannot read (certfile|keyfile) no-such-/);
  assert.deepEqual(b.listenerAddresses(), []);
});

test('stop(): 5.0 clients get DISCONNECT 0x8B, 3.1.1 clients are closed, wills fire, listeners close', async () => {
  const b = await startBroker();
  const port = b.port();
  const watcher = await RawClient.connect(port, 5);
  await watcher.handshake('watcher');
  watcher.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'gone/#', qos: 0 }] });
  await watcher.waitFor('suback');
  const v4 = await RawClient.connect(port, 4);
  await v4.handshake('v4', 4, { will: { topic: 'gone/v4', payload: Buffer.from('x'), qos: 0, retain: false } });
  const delayed = await RawClient.connect(port, 5);
  await delayed.handshake('delayed', 5, {
    clean: false,
    properties: { sessionExpiryInterval: 100 },
    will: { topic: 'gone/delayed', payload: Buffer.from('x'), qos: 0, retain: false, properties: { willDelayInterval: 100 } },
  });
  await b.stop({ reason: 'maintenance' });
  const d = await watcher.waitFor('disconnect');
  assert.equal(d.reasonCode, ReasonCode.ServerShuttingDown);
  assert.equal(await watcher.waitClosed(), true);
  assert.equal(await v4.waitClosed(), true);
  assert.equal(v4.packets.length, 0);
  assert.equal(await delayed.waitClosed(), true);
  await assert.rejects(RawClient.connect(port, 5), /ECONNREFUSED/);
  await b.stop(); // idempotent
});

test('stop(): a will is delivered to clients still connected (connections close in accept order)', async () => {
  const b = await startBroker();
  const a = await RawClient.connect(b.port(), 4);
  await a.handshake('first', 4, { will: { topic: 'shutdown/a', payload: Buffer.from('bye'), qos: 0, retain: false } });
  const w = await RawClient.connect(b.port(), 5);
  await w.handshake('second');
  w.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'shutdown/#', qos: 0 }] });
  await w.waitFor('suback');
  await b.stop();
  const will = await w.waitFor('publish');
  assert.equal(will.payload.toString(), 'bye');
  assert.equal((await w.waitFor('disconnect')).reasonCode, ReasonCode.ServerShuttingDown);
  assert.equal(await a.waitClosed(), true);
});

test('$SYS topics are published (retained) every sys_msg_interval', async () => {
  const b = await startBroker({ sys_topics: { enabled: true, sys_msg_interval: 100 } });
  try {
    const c = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    const version = nextMessage(c, 2000, '$SYS/broker/version');
    await c.subscribeAsync('$SYS/#');
    const v = await version;
    assert.equal(v.payload.toString(), `quicmq version ${QUICMQ_VERSION}`);
    assert.notEqual(QUICMQ_VERSION, 'unknown');
    assert.equal(v.packet.retain, true);
    const connected = await nextMessage(c, 2000, '$SYS/broker/clients/connected');
    assert.equal(connected.payload.toString(), '1');
    assert.equal(connected.packet.retain, false); // live update, not the retained copy
    const subs = await nextMessage(c, 2000, '$SYS/broker/subscriptions/count');
    assert.equal(subs.payload.toString(), '1');
    for (const t of ['clients/total', 'messages/received', 'messages/sent', 'messages/dropped', 'uptime', 'retained/count']) {
      await nextMessage(c, 2000, `$SYS/broker/${t}`);
    }
    // Clients cannot publish into $SYS/ (5.0: PUBACK 0x87)
    const faker = await RawClient.connect(b.port(), 5);
    await faker.handshake('faker');
    faker.write({ cmd: 'publish', topic: '$SYS/broker/version', payload: Buffer.from('fake'), qos: 1, retain: true, dup: false, messageId: 1 });
    assert.equal((await faker.waitFor('puback')).reasonCode, ReasonCode.NotAuthorized);
    faker.destroy();
    // "#" alone does not see $SYS (MQTT 5.0 §4.7.2)
    const other = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    await other.subscribeAsync('#');
    await assert.rejects(nextMessage(other, 300));
    await endClient(other);
    await endClient(c);
  } finally {
    await b.stop();
  }
});

test('metrics: connections per listener, messages by QoS, bytes, sessions, subscriptions', async () => {
  const b = await startBroker();
  try {
    const sub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    await sub.subscribeAsync('m/t', { qos: 1 });
    const pub = await connectClient(`ws://127.0.0.1:${b.port('ws:default')}/mqtt`, { protocolVersion: 4 });
    const got = nextMessage(sub);
    await pub.publishAsync('m/t', 'x', { qos: 1 });
    await got;
    await sleep(50);
    const text = await b.broker.metrics.metrics();
    assert.match(text, /quicmq_connections\{listener="tcp:default"\} 1/);
    assert.match(text, /quicmq_connections\{listener="ws:default"\} 1/);
    assert.match(text, /quicmq_messages_received_total\{qos="1"\} 1/);
    assert.match(text, /quicmq_messages_sent_total\{qos="1"\} 1/);
    assert.match(text, /quicmq_sessions 2/);
    assert.match(text, /quicmq_subscriptions 1/);
    assert.match(text, /quicmq_bytes_received_total [1-9]/);
    assert.match(text, /quicmq_bytes_sent_total [1-9]/);
    await endClient(pub);
    await sleep(50);
    assert.match(await b.broker.metrics.metrics(), /quicmq_connections\{listener="ws:default"\} 0/);
    await endClient(sub);
  } finally {
    await b.stop();
  }
});

test('start() twice is refused', async () => {
  const b = await startBroker();
  await assert.rejects(b.broker.start(), /start\(\) called on a running broker/);
  await b.stop();
});
