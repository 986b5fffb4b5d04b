import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionOptionsError, DEFAULT_CONNECTION_LIMITS, DEFAULT_TRANSPORT_SETTINGS, localTransportParameters, resolveOptions } from '../../../src/quic/connection/options.js';

const base = { alpn: ['mqtt'], path: { local: 'a:1', remote: 'b:2' } };

test('defaults are applied and overrides win', () => {
  const r = resolveOptions('client', { ...base, transport: { maxIdleTimeout: 5 }, limits: { maxDatagramSize: 1400 } });
  assert.equal(r.transport.maxIdleTimeout, 5);
  assert.equal(r.transport.initialMaxData, DEFAULT_TRANSPORT_SETTINGS.initialMaxData);
  assert.equal(r.limits.maxDatagramSize, 1400);
  assert.equal(r.limits.congestionControl, DEFAULT_CONNECTION_LIMITS.congestionControl);
  assert.equal(r.statelessResetKey.length, 32, 'a random reset key is generated');
});

test('invalid options are rejected with ConnectionOptionsError', () => {
  const bad: Array<[string, object]> = [
    ['no ALPN', { alpn: [] }],
    ['datagram size below 1200', { limits: { maxDatagramSize: 1199 } }],
    ['connection ID length 0', { limits: { connectionIdLength: 0 } }],
    ['connection ID length 21', { limits: { connectionIdLength: 21 } }],
    ['CRYPTO buffer below 4096', { limits: { maxCryptoBuffer: 4095 } }],
    ['key update fraction 0', { limits: { keyUpdateLimitFraction: 0 } }],
    ['short reset key', { statelessResetKey: new Uint8Array(16) }],
  ];
  for (const [name, extra] of bad) {
    assert.throws(() => resolveOptions('server', { ...base, ...extra }), (e: unknown) => e instanceof ConnectionOptionsError && e.code === 'ERR_QUIC_OPTIONS', name);
  }
});

test('transport parameters carry max_datagram_frame_size only when configured (RFC 9221 §3)', () => {
  assert.equal('maxDatagramFrameSize' in localTransportParameters(DEFAULT_TRANSPORT_SETTINGS), false);
  assert.equal(localTransportParameters({ ...DEFAULT_TRANSPORT_SETTINGS, maxDatagramFrameSize: 1200 }).maxDatagramFrameSize, 1200);
});
