import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBind, BindAddressError } from '../../../src/broker/listeners/bind.js';

test('bind addresses', () => {
  assert.deepEqual(parseBind('0.0.0.0:1883'), { host: '0.0.0.0', port: 1883 });
  assert.deepEqual(parseBind('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseBind('[::]:8883'), { host: '::', port: 8883 });
  assert.deepEqual(parseBind('1883'), { host: '0.0.0.0', port: 1883 });
  assert.deepEqual(parseBind('localhost:1'), { host: 'localhost', port: 1 });
  for (const bad of ['', 'x', '1.2.3.4:', ':1883', '::1:1883', '1.2.3.4:70000', '1.2.3.4:12a']) {
    assert.throws(() => parseBind(bad), BindAddressError, bad);
  }
});
