import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeConnackCode,
  describeReasonCode,
  isFailureReasonCode,
  reasonCodeName,
} from '../../src/client/reason-codes.js';

test('MQTT 5 reason codes are named as the spec names them, in lower case', () => {
  assert.equal(reasonCodeName(0x87), 'not authorized');
  assert.equal(reasonCodeName(0x86), 'bad user name or password');
  assert.equal(reasonCodeName(0x9b), 'QoS not supported');
  assert.equal(reasonCodeName(0x8e), 'session taken over');
  assert.equal(reasonCodeName(0x19), 're-authenticate');
  assert.equal(reasonCodeName(0x7f), 'unknown reason code');
});

test('describeReasonCode adds the hexadecimal value', () => {
  assert.equal(describeReasonCode(0x87), 'not authorized (0x87)');
  assert.equal(describeReasonCode(0x00), 'success (0x00)');
});

test('CONNACK codes: MQTT 5 reason codes vs MQTT 3.1.1 return codes', () => {
  assert.equal(describeConnackCode(0x87, 5), 'not authorized (0x87)');
  assert.equal(describeConnackCode(5, 4), 'not authorized (return code 5)');
  assert.equal(describeConnackCode(4, 3), 'bad user name or password (return code 4)');
  assert.equal(describeConnackCode(9, 4), 'unknown return code (return code 9)');
});

test('failure codes are 0x80 and above (MQTT 5.0 §2.4)', () => {
  assert.equal(isFailureReasonCode(0x80), true);
  assert.equal(isFailureReasonCode(0x11), false);
  assert.equal(isFailureReasonCode(0x02), false);
});
