// When a will fires (MQTT 5.0 §3.1.2.5, §3.1.3.2.2; MQTT 3.1.1 §3.1.2.5).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { startBroker, connectClient, endClient, nextMessage, collectMessages, RawClient, sleep, type TestBroker } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

let b: TestBroker;
let watcher: MqttClient;
before(async () => {
  b = await startBroker({ mqtt: { keepalive_multiplier: 1 } });
  watcher = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'watcher' });
  await watcher.subscribeAsync('will/#', { qos: 1 });
});
after(async () => {
  await endClient(watcher);
  await b.stop();
});

const will = (topic: string, extra: object = {}) => ({ will: { topic, payload: Buffer.from(`bye:${topic}`), qos: 1 as const, retain: false, ...extra } });

async function willsWithin(ms: number, topic: string): Promise<number> {
  return (await collectMessages(watcher, ms)).filter((m) => m.topic === topic).length;
}

// The cases use distinct client ids and will topics, so they run concurrently (most of them wait on
// timers: keepalive, will delay, session expiry).
describe('wills', { concurrency: true }, () => {
  test('no will on DISCONNECT 0x00 (5.0) or DISCONNECT (3.1.1)', async () => {
    const r5 = await RawClient.connect(b.port(), 5);
    await r5.handshake('w-normal5', 5, will('will/normal5'));
    const r4 = await RawClient.connect(b.port(), 4);
    await r4.handshake('w-normal4', 4, will('will/normal4'));
    const count = willsWithin(300, 'will/normal5');
    const count4 = willsWithin(300, 'will/normal4');
    r5.write({ cmd: 'disconnect', reasonCode: 0 });
    r4.write({ cmd: 'disconnect' }, 4);
    assert.equal(await count, 0);
    assert.equal(await count4, 0);
  });

  test('will on DISCONNECT 0x04, with its properties', async () => {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('w-04', 5, will('will/04', { properties: { contentType: 'text/plain', userProperties: { why: 'test' }, messageExpiryInterval: 50 } }));
    const got = nextMessage(watcher, 2000, 'will/04');
    raw.write({ cmd: 'disconnect', reasonCode: ReasonCode.DisconnectWithWillMessage });
    const m = await got;
    assert.equal(m.payload.toString(), 'bye:will/04');
    assert.equal(m.packet.properties?.contentType, 'text/plain');
    assert.deepEqual({ ...m.packet.properties?.userProperties }, { why: 'test' });
    assert.ok((m.packet.properties?.messageExpiryInterval ?? 0) >= 49);
  });

  test('will on connection loss (3.1.1 and 3.1)', async () => {
    for (const v of [3, 4] as const) {
      const raw = await RawClient.connect(b.port(), v);
      await raw.handshake(`w-lost${v}`, v, will(`will/lost${v}`));
      const got = nextMessage(watcher, 2000, `will/lost${v}`);
      raw.destroy();
      assert.equal((await got).payload.toString(), `bye:will/lost${v}`);
    }
  });

  test('will on keepalive timeout', async () => {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('w-ka', 5, { keepalive: 1, ...will('will/ka') });
    const m = await nextMessage(watcher, 3000, 'will/ka');
    assert.equal(m.payload.toString(), 'bye:will/ka');
    assert.equal((await raw.waitFor('disconnect')).reasonCode, ReasonCode.KeepAliveTimeout);
  });

  test('will on a protocol error', async () => {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('w-err', 5, will('will/err'));
    const got = nextMessage(watcher, 2000, 'will/err');
    raw.write({ cmd: 'publish', topic: 'bad/#', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    await got;
  });

  test('takeover: a will without delay fires; with a delay, the resumed session cancels it', async () => {
    const r1 = await RawClient.connect(b.port(), 5);
    await r1.handshake('w-take', 5, will('will/take'));
    const got = nextMessage(watcher, 2000, 'will/take');
    const r2 = await RawClient.connect(b.port(), 5);
    await r2.handshake('w-take', 5);
    await got;
    r2.destroy();

    const d1 = await RawClient.connect(b.port(), 5);
    await d1.handshake('w-take-d', 5, { clean: false, properties: { sessionExpiryInterval: 60 }, ...will('will/take-delayed', { properties: { willDelayInterval: 1 } }) });
    const count = willsWithin(1400, 'will/take-delayed');
    const d2 = await RawClient.connect(b.port(), 5);
    await d2.handshake('w-take-d', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal((await d1.waitFor('disconnect')).reasonCode, ReasonCode.SessionTakenOver);
    assert.equal(await count, 0);
    d2.destroy();
  });

  test('delayed will: sent after the delay; cancelled by a reconnect before it', async () => {
    const opts = { clean: false, properties: { sessionExpiryInterval: 60 }, ...will('will/delayed', { properties: { willDelayInterval: 1 } }) };
    const r1 = await RawClient.connect(b.port(), 5);
    await r1.handshake('w-delay', 5, opts);
    const t0 = Date.now();
    const got = nextMessage(watcher, 3000, 'will/delayed');
    r1.destroy();
    await got;
    assert.ok(Date.now() - t0 >= 900, 'not before its delay');

    const r2 = await RawClient.connect(b.port(), 5);
    await r2.handshake('w-delay2', 5, { ...opts, ...will('will/delayed2', { properties: { willDelayInterval: 1 } }) });
    const count = willsWithin(1500, 'will/delayed2');
    r2.destroy();
    await sleep(200);
    const r3 = await RawClient.connect(b.port(), 5);
    await r3.handshake('w-delay2', 5, { clean: false, properties: { sessionExpiryInterval: 60 } });
    assert.equal(await count, 0);
    r3.destroy();
  });

  test('delayed will fires at session end when the session expires first', async () => {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('w-end', 5, { properties: { sessionExpiryInterval: 0 }, ...will('will/end', { properties: { willDelayInterval: 30 } }) });
    const got = nextMessage(watcher, 1000, 'will/end');
    raw.destroy();
    await got;
  });

  test('retained will is stored', async () => {
    const raw = await RawClient.connect(b.port(), 4);
    await raw.handshake('w-ret', 4, will('will/retained', { retain: true }));
    const got = nextMessage(watcher, 2000, 'will/retained');
    raw.destroy();
    await got;
    const late = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    const m = nextMessage(late, 2000, 'will/retained');
    await late.subscribeAsync('will/retained');
    assert.equal((await m).packet.retain, true);
    await endClient(late);
  });
});
