import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBind, parseDuration, parseSize } from '../../../src/broker/config/units.js';

test('durations become milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration(42), 42);
  for (const bad of ['', '15x', 's', '-1s', '1 s', '15s junk', '0.0001ms']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseDuration(-1), undefined);
  assert.equal(parseDuration(1.5), undefined);
});

test('sizes become bytes (binary multiples)', () => {
  assert.equal(parseSize('1MB'), 1_048_576);
  assert.equal(parseSize('64KB'), 65_536);
  assert.equal(parseSize('64kb'), 65_536);
  assert.equal(parseSize('1GB'), 1_073_741_824);
  assert.equal(parseSize('512B'), 512);
  assert.equal(parseSize('512'), 512);
  assert.equal(parseSize(100), 100);
  for (const bad of ['', 'MB', '1TB', '-1KB', '1.5.2MB']) assert.equal(parseSize(bad), undefined, bad);
});

test('bind addresses', () => {
  assert.deepEqual(parseBind('0.0.0.0:1883'), { host: '0.0.0.0', port: 1883 });
  assert.deepEqual(parseBind('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseBind('[::1]:14567'), { host: '::1', port: 14567 });
  assert.deepEqual(parseBind('localhost:8083'), { host: 'localhost', port: 8083 });
  assert.deepEqual(parseBind('1883'), { host: '::', port: 1883 });
  assert.deepEqual(parseBind(1883), { host: '::', port: 1883 });
  for (const bad of ['abc', ':1883', '1.2.3.4:', '1.2.3.4:65536', '::1:1883', '[::1]1883', '[nope]:1', 'host name:1', '1.2.3.4:-1', '1.2.3.4:12a']) {
    assert.equal(parseBind(bad), undefined, bad);
  }
});
