// Loopback peers get a larger PMTU search ceiling (src/quic/endpoint/loopback.ts, connection-factory.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackAddress, LOOPBACK_PMTU_MAX_DATAGRAM_SIZE, pathHost } from '../../../src/quic/endpoint/loopback.js';
import { loopbackLimits } from '../../../src/quic/endpoint/connection-factory.js';
import { MAX_UDP_PAYLOAD_SIZE } from '../../../src/quic/connection/options.js';

test('isLoopbackAddress: 127/8, ::1 in its spellings and IPv4-mapped 127/8 are loopback', () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.9.9.9', '0:0:0:0:0:ffff:127.0.0.1']) {
    assert.equal(isLoopbackAddress(a), true, a);
  }
});

test('isLoopbackAddress: other addresses and non-addresses are not', () => {
  for (const a of ['10.0.0.1', '128.0.0.1', '1.127.0.0', '::2', '::', 'fe80::1', '::ffff:10.0.0.1', '::ffff:128.0.0.1', 'localhost', '', '127.0.0.1.example', '[::1]']) {
    assert.equal(isLoopbackAddress(a), false, a);
  }
});

test('pathHost takes the host out of "ip:port" and "[v6]:port"', () => {
  assert.equal(pathHost('127.0.0.1:4433'), '127.0.0.1');
  assert.equal(pathHost('[::1]:4433'), '::1');
  assert.equal(pathHost('[::ffff:127.0.0.1]:1'), '::ffff:127.0.0.1');
  assert.equal(pathHost('nocolon'), 'nocolon');
});

test('the loopback ceiling fits both IP families on a 65536-byte loopback MTU and the UDP limit', () => {
  assert.ok(LOOPBACK_PMTU_MAX_DATAGRAM_SIZE + 40 + 8 <= 65_536);
  assert.ok(LOOPBACK_PMTU_MAX_DATAGRAM_SIZE <= 65_507);
  assert.ok(LOOPBACK_PMTU_MAX_DATAGRAM_SIZE <= MAX_UDP_PAYLOAD_SIZE);
});

test('loopbackLimits: loopback peers get the loopback ceiling, others keep the default', () => {
  const settings = { alpn: ['mqtt'] };
  assert.deepEqual(loopbackLimits(settings, '127.0.0.1:5000'), { pmtuMaxDatagramSize: LOOPBACK_PMTU_MAX_DATAGRAM_SIZE });
  assert.deepEqual(loopbackLimits(settings, '[::1]:5000'), { pmtuMaxDatagramSize: LOOPBACK_PMTU_MAX_DATAGRAM_SIZE });
  assert.deepEqual(loopbackLimits(settings, '192.0.2.7:5000'), {});
  assert.deepEqual(loopbackLimits(settings, '[2001:db8::1]:5000'), {});
});

test('loopbackLimits: an explicit pmtuMaxDatagramSize wins, loopbackPmtuMaxDatagramSize sets the ceiling', () => {
  assert.deepEqual(loopbackLimits({ alpn: ['mqtt'], limits: { pmtuMaxDatagramSize: 1300 } }, '127.0.0.1:5000'), {});
  assert.deepEqual(loopbackLimits({ alpn: ['mqtt'], loopbackPmtuMaxDatagramSize: 9000 }, '127.0.0.1:5000'), { pmtuMaxDatagramSize: 9000 });
});
