// `quicmq sub`: command-line parsing and message rendering, in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSubArgs, renderMessage, type SubPlan } from '../../src/cli/sub.js';
import { UsageError, subscribeOptionsFrom } from '../../src/cli/client-options.js';
import type { ReceivedMessage } from '../../src/client/client.js';

const plan = (...argv: string[]): SubPlan => {
  const p = parseSubArgs(argv);
  assert.ok(p, 'not --help');
  return p;
};
const usage = (argv: string[], pattern: RegExp): void =>
  assert.throws(() => parseSubArgs(argv), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

test('several -t filters, -q, and the defaults', () => {
  const p = plan('-t', 'a/#', '-t', 'b/+', '-q', '1');
  assert.deepEqual(p.filters, ['a/#', 'b/+']);
  assert.deepEqual(subscribeOptionsFrom(p.common), { qos: 1 });
  assert.equal(p.count, undefined);
  assert.equal(p.timeoutMs, undefined);
  assert.equal(p.newline, true);
  assert.equal(p.verbose, false);
  assert.match(p.common.connect.clientId ?? '', /^quicmq-sub-/);
});

test('-L topic comes first, -t adds more', () => {
  assert.deepEqual(plan('-L', 'mqtt://h/x/%23', '-t', 'y').filters, ['x/#', 'y']);
});

test('-C -W -v -N -F -R -E', () => {
  const p = plan('-t', 't', '-C', '3', '-W', '2', '-v', '-N', '-F', '%t', '-R', '-E');
  assert.equal(p.count, 3);
  assert.equal(p.timeoutMs, 2000);
  assert.equal(p.verbose, true);
  assert.equal(p.newline, false);
  assert.equal(p.format, '%t');
  assert.equal(p.skipRetained, true);
  assert.equal(p.exitAfterSubscribe, true);
});

test('-D subscribe properties (MQTT 5) go into SUBSCRIBE', () => {
  const p = plan('-t', 't', '-D', 'subscribe', 'subscription-identifier', '9', '-D', 'subscribe', 'user-property', 'a', 'b');
  assert.equal(p.common.connect.protocolVersion, 5);
  assert.deepEqual(subscribeOptionsFrom(p.common), { qos: 0, subscriptionIdentifier: 9, userProperties: { a: 'b' } });
  usage(['-t', 't', '-D', 'subscribe', 'subscription-identifier', '0'], /must be from 1 to 268435455/);
  usage(['-t', 't', '-D', 'publish', 'content-type', 'x'], /command must be one of connect, subscribe, unsubscribe, disconnect, will/);
});

test('usage errors', () => {
  usage([], /At least one topic filter is needed/);
  usage(['-t', 't', '-C', '0'], /-C must be from 1/);
  usage(['-t', 't', '-W', 'x'], /-W must be an integer/);
  usage(['-t', 't', '-r'], /Unknown option '-r'/);
  assert.equal(parseSubArgs(['--help']), undefined);
});

const message: ReceivedMessage = {
  topic: 'a/b',
  payload: Buffer.from('hello'),
  qos: 1,
  retain: false,
  dup: false,
  messageId: 1,
  properties: { userProperties: { k: 'v' } },
};

test('rendering: payload, -v, -N, -F', () => {
  const base = { format: undefined, verbose: false, newline: true };
  assert.equal(renderMessage(base, message).toString(), 'hello\n');
  assert.equal(renderMessage({ ...base, verbose: true }, message).toString(), 'a/b hello\n');
  assert.equal(renderMessage({ ...base, newline: false }, message).toString(), 'hello');
  assert.equal(renderMessage({ ...base, verbose: true, format: '%t|%q|%P' }, message).toString(), 'a/b|1|k:v\n', '-F overrides -v');
  assert.equal(renderMessage({ format: '%p', verbose: false, newline: false }, message).toString(), 'hello', '-N applies to -F');
});
