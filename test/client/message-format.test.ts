import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMessage } from '../../src/client/message-format.js';
import type { ReceivedMessage } from '../../src/client/client.js';

const message: ReceivedMessage = {
  topic: 'sensors/t1',
  payload: Buffer.from('hi'),
  qos: 1,
  retain: true,
  dup: false,
  messageId: 7,
  properties: {
    userProperties: { k: 'v', multi: ['a', 'b'] },
    contentType: 'text/plain',
    responseTopic: 'reply/here',
    correlationData: Buffer.from('cid'),
    messageExpiryInterval: 60,
    payloadFormatIndicator: true,
    subscriptionIdentifier: [3, 4],
    topicAlias: 2,
  },
};
const bare: ReceivedMessage = { topic: 't', payload: Buffer.from([0xde, 0xad]), qos: 0, retain: false, dup: false, messageId: undefined, properties: {} };
// 2020-05-06 22:12:00.123 in the local time zone.
const when = new Date(2020, 4, 6, 22, 12, 0, 123);
const fmt = (f: string, m = message): string => formatMessage(f, m, when).toString('utf8');

test('message parameters: %t %p %q %r %l %m %x %X %%', () => {
  assert.equal(fmt('%t|%p|%q|%r|%l|%m|%x|%X|%%'), 'sensors/t1|hi|1|1|2|7|6869|6869|%');
  assert.equal(fmt('%q %r %m %x', bare), '0 0 0 dead');
});

test('MQTT 5 properties: %P %C %R %D %E %F %S %A, empty when absent', () => {
  assert.equal(fmt('%P'), 'k:v multi:a multi:b');
  assert.equal(fmt('%C|%R|%D|%E|%F|%S|%A'), 'text/plain|reply/here|cid|60|1|3,4|2');
  assert.equal(fmt('[%P%C%R%D%E%F%S%A]', bare), '[]');
});

test('payload bytes are copied raw, not re-encoded', () => {
  assert.deepEqual(formatMessage('%p', bare, when), Buffer.from([0xde, 0xad]));
  assert.deepEqual(formatMessage('<%p>', bare, when), Buffer.from([0x3c, 0xde, 0xad, 0x3e]));
});

test('flags, width and precision', () => {
  assert.equal(fmt('[%5l]'), '[    2]');
  assert.equal(fmt('[%05l]'), '[00002]');
  assert.equal(fmt('[%-5l]'), '[2    ]');
  assert.equal(fmt('[%-05l]'), '[2    ]', '- wins over 0');
  assert.equal(fmt('[%012t]'), '[  sensors/t1]', '0 is ignored for text parameters');
  assert.equal(fmt('[%3.3t]'), '[sen]');
  assert.equal(fmt('[%5q]'), '[1]', 'width does not apply to %q');
});

test('time: %I, %U, @-fields and @@', () => {
  assert.match(fmt('%I'), /^2020-05-06T22:12:00[+-]\d{4}$/);
  assert.equal(fmt('%U'), `${Math.floor(when.getTime() / 1000)}.123000000`);
  assert.equal(fmt('@Y-@m-@d @H:@M:@S @N @@'), '2020-05-06 22:12:00 123000000 @');
  assert.equal(fmt('@F@T'), '2020-05-0622:12:00');
  assert.equal(fmt('@q'), '@q', 'unsupported fields are printed as written');
});

test('escapes: \\n \\t \\0 \\e \\\\ and unknown escapes kept', () => {
  assert.equal(fmt('a\\nb\\tc\\0d\\ee\\\\f\\qg'), 'a\nb\tc\0d\x1be\\f\\qg');
});

test('unknown parameters and a trailing % are printed as written', () => {
  assert.equal(fmt('%w %'), '%w %');
});

test('%j and %J produce JSON with the message fields and properties', () => {
  const j = JSON.parse(fmt('%j')) as Record<string, unknown>;
  assert.equal(j['topic'], 'sensors/t1');
  assert.equal(j['qos'], 1);
  assert.equal(j['retain'], 1);
  assert.equal(j['payloadlen'], 2);
  assert.equal(j['mid'], 7);
  assert.equal(j['payload'], 'hi');
  assert.match(String(j['tst']), /^2020-05-06T22:12:00\.123000[+-]\d{4}$/);
  assert.deepEqual((j['properties'] as Record<string, unknown>)['user-properties'], [{ k: 'v' }, { multi: 'a' }, { multi: 'b' }]);
  const jsonPayload = { ...message, payload: Buffer.from('{"temp":21.5}') };
  assert.deepEqual((JSON.parse(fmt('%J', jsonPayload)) as { payload: unknown }).payload, { temp: 21.5 });
  assert.equal((JSON.parse(fmt('%J')) as { payload: unknown }).payload, 'hi', 'non-JSON payload falls back to a string');
  assert.equal((JSON.parse(fmt('%j', bare)) as Record<string, unknown>)['mid'], undefined);
});
