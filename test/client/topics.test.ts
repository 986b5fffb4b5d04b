import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTopicFilter, checkTopicName } from '../../src/client/topics.js';
import { MqttClientError } from '../../src/client/errors.js';

const invalid = (fn: () => void, pattern: RegExp): void =>
  assert.throws(fn, (e: unknown) => e instanceof MqttClientError && e.code === 'ERR_INVALID_OPTION' && pattern.test(e.message));

test('topic names: any non-empty UTF-8 without wildcards or U+0000', () => {
  for (const t of ['a', 'a/b', '/', 'a//b', '$SYS/x', 'ü/€']) checkTopicName(t);
  invalid(() => checkTopicName(''), /must not be empty/);
  invalid(() => checkTopicName('a/+'), /wildcards/);
  invalid(() => checkTopicName('a/#'), /wildcards/);
  invalid(() => checkTopicName('a\u0000b'), /U\+0000/);
  invalid(() => checkTopicName('x'.repeat(0x10000)), /longer than 65535 bytes/);
});

test('topic filters: + and # only as whole levels, # last (MQTT 5.0 §4.7.1)', () => {
  for (const f of ['#', '+', 'a/#', 'a/+/b', '+/+', '/#', 'a/b']) checkTopicFilter(f);
  invalid(() => checkTopicFilter(''), /must not be empty/);
  invalid(() => checkTopicFilter('a#'), /'#' must be the whole last level/);
  invalid(() => checkTopicFilter('a/#/b'), /'#' must be the whole last level/);
  invalid(() => checkTopicFilter('a+/b'), /'\+' must be a whole level/);
});

test('messages quote the offending value and say what to change', () => {
  invalid(() => checkTopicName('a\u0000b'), /^Topic name "a\u0000b" contains U\+0000$/);
  invalid(() => checkTopicName('a/+'), /^Topic name "a\/\+" must not contain wildcards \(\+ or #\)$/);
  invalid(() => checkTopicFilter('x'.repeat(0x10000)), /^Topic filter is longer than 65535 bytes$/);
  invalid(() => checkTopicFilter('a/b+'), /^Topic filter "a\/b\+": '\+' must be a whole level$/);
});
