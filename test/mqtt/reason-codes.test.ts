import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConnackReturnCode,
  ReasonCode,
  connackCodeForV4,
  describeConnackCode,
  describeReasonCode,
  isFailure,
  reasonCodeName,
} from '../../src/mqtt/reason-codes.js';

test('every MQTT 5 reason code has a spec name (MQTT 5.0 §2.4 Table 2-6)', () => {
  for (const [key, code] of Object.entries(ReasonCode)) {
    assert.notEqual(reasonCodeName(code), 'unknown reason code', key);
  }
  assert.equal(reasonCodeName(ReasonCode.ContinueAuthentication), 'continue authentication');
  assert.equal(reasonCodeName(ReasonCode.ReAuthenticate), 're-authenticate');
  assert.equal(reasonCodeName(ReasonCode.GrantedQoS2), 'granted QoS 2');
  assert.equal(reasonCodeName(0x03), 'unknown reason code');
  assert.equal(describeReasonCode(0xff), 'unknown reason code (0xff)');
});

test('every MQTT 3.1.1 CONNACK return code has a name (MQTT 3.1.1 §3.2.2.3)', () => {
  for (const [key, code] of Object.entries(ConnackReturnCode)) {
    assert.doesNotMatch(describeConnackCode(code, 4), /unknown/, key);
  }
  assert.equal(describeConnackCode(ConnackReturnCode.Accepted, 4), 'connection accepted (return code 0)');
  assert.equal(describeConnackCode(ConnackReturnCode.ServerUnavailable, 3), 'server unavailable (return code 3)');
});

test('a 5.0 CONNACK code maps to its 3.1.1 return code, or to none', () => {
  assert.equal(connackCodeForV4(ReasonCode.Banned), ConnackReturnCode.NotAuthorized);
  assert.equal(connackCodeForV4(ReasonCode.Success), ConnackReturnCode.Accepted);
  assert.equal(connackCodeForV4(ReasonCode.QuotaExceeded), undefined);
  assert.equal(isFailure(ReasonCode.QuotaExceeded), true);
  assert.equal(isFailure(ReasonCode.NoMatchingSubscribers), false);
});
