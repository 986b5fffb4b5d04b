// Timers and failure containment: QoS 2 await_rel_timeout, 3.1.1 retry_interval, a throwing
// Authorizer, and the connect/disconnect log lines (without passwords).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startBroker, connectClient, endClient, RawClient, sleep } from './helpers.js';
import { ReasonCode } from '../../src/mqtt/reason-codes.js';

test('await_rel_timeout forgets a QoS 2 id never released (PUBREL then gets PUBCOMP 0x92)', async () => {
  const b = await startBroker({ mqtt: { await_rel_timeout: 100 } });
  try {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('rel');
    raw.write({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, retain: false, dup: false, messageId: 3 });
    await raw.waitFor('pubrec');
    await sleep(1300); // one housekeeping pass (1 s) after the timeout
    raw.write({ cmd: 'pubrel', messageId: 3 });
    assert.equal((await raw.waitFor('pubcomp')).reasonCode, ReasonCode.PacketIdentifierNotFound);
    raw.destroy();
  } finally {
    await b.stop();
  }
});

test('3.1.1: unacknowledged QoS 1 is re-sent with DUP after retry_interval; 5.0 is not', async () => {
  const b = await startBroker({ mqtt: { retry_interval: 200 } });
  try {
    const r4 = await RawClient.connect(b.port(), 4);
    await r4.handshake('retry4', 4);
    r4.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'retry', qos: 1 }] }, 4);
    await r4.waitFor('suback');
    const r5 = await RawClient.connect(b.port(), 5);
    await r5.handshake('retry5');
    r5.write({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'retry', qos: 1 }] });
    await r5.waitFor('suback');
    const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
    await pub.publishAsync('retry', 'x', { qos: 1 });
    const first = await r4.waitFor('publish');
    assert.equal(first.dup, false);
    const again = await r4.waitFor('publish', 2500);
    assert.equal(again.dup, true);
    assert.equal(again.messageId, first.messageId);
    r4.write({ cmd: 'puback', messageId: first.messageId! }, 4);
    await r5.waitFor('publish');
    assert.equal(r5.packets.filter((p) => p.cmd === 'publish').length, 0);
    r4.destroy();
    r5.destroy();
    await endClient(pub);
  } finally {
    await b.stop();
  }
});

test('a throwing Authorizer costs one connection (DISCONNECT 0x80), not the broker', async () => {
  const b = await startBroker({}, { authorizer: { authorize: (_c, _a, topic) => { if (topic === 'boom') throw new Error('acl backend down'); return true; } } });
  try {
    const raw = await RawClient.connect(b.port(), 5);
    await raw.handshake('thrower');
    raw.write({ cmd: 'publish', topic: 'boom', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    assert.equal((await raw.waitFor('disconnect')).reasonCode, ReasonCode.UnspecifiedError);
    assert.equal(await raw.waitClosed(), true);
    const ok = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
    await ok.publishAsync('fine', 'x', { qos: 1 });
    await endClient(ok);
  } finally {
    await b.stop();
  }
});

test('one log line per connect and disconnect, with the reason, never the password', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const b = await startBroker({}, { logger: pino({ level: 'info' }, sink) });
  try {
    const c = await connectClient(b.tcpUrl(), { protocolVersion: 5, clientId: 'logged', username: 'u', password: 'hunter2' });
    await c.endAsync(); // graceful: sends DISCONNECT
    await sleep(50);
    const records = lines.map((l) => JSON.parse(l) as { msg: string; clientId?: string; reason?: string });
    const mine = records.filter((r) => r.clientId === 'logged');
    assert.deepEqual(mine.map((r) => r.msg), ['client connected', 'client disconnected']);
    assert.match(mine[1]!.reason ?? '', /DISCONNECT 0x00/);
    assert.ok(!lines.some((l) => l.includes('hunter2')));
  } finally {
    await b.stop();
  }
});
