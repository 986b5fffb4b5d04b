// Retained messages end to end: set, replace, delete, expiry, max_retained_messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, connectClient, connectRecording, endClient, sleep, type TestBroker } from './helpers.js';

let b: TestBroker;
before(async () => {
  b = await startBroker({ mqtt: { max_retained_messages: 2 } });
});
after(() => b.stop());

async function retainedOn(filter: string): Promise<Array<{ topic: string; payload: string; retain: boolean; qos: number }>> {
  const { client, messages } = await connectRecording(b.tcpUrl(), { protocolVersion: 5 });
  await client.subscribeAsync(filter, { qos: 2 });
  await sleep(150);
  await endClient(client);
  return messages.map((m) => ({ topic: m.topic, payload: m.payload.toString(), retain: m.packet.retain, qos: m.packet.qos }));
}

test('set, replace and delete with an empty payload', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 4 });
  await pub.publishAsync('ret/a', 'one', { retain: true, qos: 1 });
  assert.deepEqual(await retainedOn('ret/a'), [{ topic: 'ret/a', payload: 'one', retain: true, qos: 1 }]);
  await pub.publishAsync('ret/a', 'two', { retain: true, qos: 0 });
  assert.deepEqual(await retainedOn('ret/+'), [{ topic: 'ret/a', payload: 'two', retain: true, qos: 0 }]);
  await pub.publishAsync('ret/a', '', { retain: true });
  assert.deepEqual(await retainedOn('ret/#'), []);
  await endClient(pub);
});

test('retained message expiry', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  await pub.publishAsync('ret/exp', 'soon', { retain: true, properties: { messageExpiryInterval: 1 } });
  assert.equal((await retainedOn('ret/exp')).length, 1);
  await sleep(1050);
  assert.deepEqual(await retainedOn('ret/exp'), []);
  await endClient(pub);
});

test('max_retained_messages: further topics are delivered but not retained', async () => {
  const pub = await connectClient(b.tcpUrl(), { protocolVersion: 5 });
  for (const t of ['max/1', 'max/2', 'max/3']) await pub.publishAsync(t, t, { retain: true });
  assert.deepEqual((await retainedOn('max/#')).map((m) => m.topic).sort(), ['max/1', 'max/2']);
  const metrics = await b.broker.metrics.getSingleMetricAsString('quicmq_retained_messages');
  assert.match(metrics, /quicmq_retained_messages 2/);
  for (const t of ['max/1', 'max/2']) await pub.publishAsync(t, '', { retain: true });
  await endClient(pub);
});
