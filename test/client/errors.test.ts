import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MqttClientError, connackRefused, connectionClosed, transportError } from '../../src/client/errors.js';

function sysError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

test('connection-level errno codes map to their own error codes', () => {
  assert.equal(transportError(sysError('ECONNREFUSED'), 'mqtt://h:1').code, 'ERR_CONNECTION_REFUSED');
  assert.equal(transportError(sysError('ECONNREFUSED'), 'mqtt://h:1').message, 'Connection refused by mqtt://h:1');
  const notFound = transportError(Object.assign(sysError('ENOTFOUND'), { hostname: 'nowhere.invalid' }), 'x');
  assert.equal(notFound.code, 'ERR_HOST_NOT_FOUND');
  assert.match(notFound.message, /nowhere\.invalid/);
  assert.equal(transportError(sysError('EHOSTUNREACH'), 'x').code, 'ERR_HOST_UNREACHABLE');
  assert.equal(transportError(sysError('ECONNRESET'), 'x').code, 'ERR_TRANSPORT');
});

test('certificate verification failures say what is wrong and how to proceed', () => {
  const e = transportError(sysError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'mqtts://h:8883');
  assert.equal(e.code, 'ERR_TLS_VERIFICATION');
  assert.match(e.message, /TLS certificate verification failed for mqtts:\/\/h:8883: the server certificate is not valid for this host name/);
  assert.match(e.message, /--cafile/);
  assert.equal(transportError(sysError('CERT_HAS_EXPIRED'), 'x').code, 'ERR_TLS_VERIFICATION');
  assert.equal(transportError(sysError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'x').code, 'ERR_TLS_VERIFICATION');
});

test('other TLS failures and unknown errors keep the original text and code', () => {
  const tls = transportError(
    sysError(
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      '80:error:0A00042E:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:../ssl/record/rec_layer_s3.c:1601:SSL alert number 70\n',
    ),
    'x',
  );
  assert.equal(tls.code, 'ERR_TLS');
  assert.equal(
    tls.message,
    'TLS error with x: the broker does not accept this TLS version (tlsv1 alert protocol version) (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION)',
  );
  assert.match(transportError(sysError('ERR_SSL_X', 'SSL routines:f:some other reason:file'), 'x').message, /: some other reason \(ERR_SSL_X\)$/);
  const other = transportError(new Error('Unexpected server response: 404'), 'ws://h:1');
  assert.equal(other.code, 'ERR_TRANSPORT');
  assert.match(other.message, /Unexpected server response: 404/);
  assert.equal(transportError('plain string', 'x').code, 'ERR_TRANSPORT');
});

test('an MqttClientError passes through unchanged', () => {
  const e = new MqttClientError('ERR_PROTOCOL', 'boom');
  assert.equal(transportError(e, 'x'), e);
});

test('CONNACK refusal carries the reason code and its name', () => {
  const v5 = connackRefused(0x87, 5);
  assert.equal(v5.code, 'ERR_CONNACK_REFUSED');
  assert.equal(v5.reasonCode, 0x87);
  assert.equal(v5.message, 'Connection refused by broker: not authorized (0x87)');
  assert.equal(connackRefused(5, 4).message, 'Connection refused by broker: not authorized (return code 5)');
});

test('connectionClosed keeps an optional reason code', () => {
  assert.equal(connectionClosed('gone').reasonCode, undefined);
  assert.equal(connectionClosed('gone', 0x8e).reasonCode, 0x8e);
  assert.ok(connectionClosed('gone') instanceof Error);
});
