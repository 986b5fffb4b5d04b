// SessionRegistry with mocked timers: clean start, resume, takeover, expiry and will-delay rules
// (MQTT 5.0 §3.1.2.4, §3.1.2.11, §3.1.3.2.2, §3.1.4).
import { test, mock, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SessionRegistry, type WillSpec } from '../../src/broker/session-registry.js';
import { Router } from '../../src/broker/router/router.js';
import { BrokerMetrics } from '../../src/broker/metrics.js';
import { defaultBrokerConfig } from '../../src/broker/config/defaults.js';
import type { SessionOutlet } from '../../src/broker/session.js';

let published: string[];
let registry: SessionRegistry;
let router: Router;

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout'] });
  published = [];
  router = new Router({ strategy: 'round_robin', isOnline: () => true });
  registry = new SessionRegistry({
    mqtt: { ...defaultBrokerConfig().mqtt, max_mqueue_len: 10 },
    router,
    metrics: new BrokerMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => Date.now(),
    publishWill: (clientId, will) => published.push(`${clientId}:${will.message.topic}`),
  });
});
afterEach(() => mock.timers.reset());

const outlet = (onTakeOver: () => void = () => undefined): SessionOutlet => ({ offer: () => undefined, takeOver: onTakeOver });
const will = (delayMs: number): WillSpec => ({ message: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, properties: {} }, delayMs });

test('clean start creates a new session; resume keeps it (session present)', () => {
  const a = registry.open('c', outlet(), true, 60000);
  assert.equal(a.present, false);
  registry.detach(a.session, undefined);
  const b = registry.open('c', outlet(), false, 60000);
  assert.equal(b.present, true);
  assert.equal(b.session, a.session);
  registry.detach(b.session, undefined);
  const c = registry.open('c', outlet(), true, 60000);
  assert.equal(c.present, false);
  assert.notEqual(c.session, a.session);
});

test('expiry 0 ends the session at disconnect, with its subscriptions', () => {
  const { session } = registry.open('c', outlet(), true, 0);
  session.subscriptions.set('t', { filter: 't', options: { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 } });
  router.subscribe('c', 't', { qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 });
  registry.detach(session, undefined);
  assert.equal(registry.get('c'), undefined);
  assert.equal(router.subscriptionCount, 0);
});

test('the session expires after its interval', () => {
  const { session } = registry.open('c', outlet(), true, 5000);
  registry.detach(session, undefined);
  mock.timers.tick(4999);
  assert.ok(registry.get('c'));
  mock.timers.tick(1);
  assert.equal(registry.get('c'), undefined);
});

test('will without delay is published at disconnect', () => {
  const { session } = registry.open('c', outlet(), true, 5000);
  registry.detach(session, will(0));
  assert.deepEqual(published, ['c:w']);
});

test('delayed will: published after its delay, or cancelled by a resuming connection', () => {
  const a = registry.open('c', outlet(), true, 60000);
  registry.detach(a.session, will(2000));
  mock.timers.tick(1999);
  assert.deepEqual(published, []);
  mock.timers.tick(1);
  assert.deepEqual(published, ['c:w']);

  const b = registry.open('d', outlet(), true, 60000);
  registry.detach(b.session, will(2000));
  mock.timers.tick(1000);
  registry.open('d', outlet(), false, 60000);
  mock.timers.tick(5000);
  assert.deepEqual(published, ['c:w']);
});

test('delayed will fires when the session ends first (expiry, or clean start of a new connection)', () => {
  const a = registry.open('c', outlet(), true, 1000);
  registry.detach(a.session, will(10000));
  mock.timers.tick(1000);
  assert.deepEqual(published, ['c:w']);

  const b = registry.open('d', outlet(), true, 60000);
  registry.detach(b.session, will(10000));
  registry.open('d', outlet(), true, 60000);
  assert.deepEqual(published, ['c:w', 'd:w']);
});

test('takeover: the connected outlet is told to leave before the new one attaches', () => {
  let kicked = 0;
  const first = registry.open('c', outlet(() => {
    kicked++;
    registry.detach(first.session, undefined);
  }), true, 60000);
  const second = registry.open('c', outlet(), false, 60000);
  assert.equal(kicked, 1);
  assert.equal(second.present, true);
});

test('endAll publishes pending wills and empties the registry', () => {
  const a = registry.open('c', outlet(), true, 60000);
  registry.detach(a.session, will(10000));
  registry.open('e', outlet(), true, 60000);
  registry.endAll('stop');
  assert.deepEqual(published, ['c:w']);
  assert.equal(registry.size, 0);
});
