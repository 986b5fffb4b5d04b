import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostOf, NetworkPath, PathManager } from '../../../src/quic/connection/paths.js';

test('anti-amplification budget: three times what was received until validated (RFC 9000 §8.1)', () => {
  const p = new NetworkPath({ local: 's:1', remote: 'c:1' }, false);
  assert.equal(p.amplificationBudget, 0);
  p.bytesReceived = 1200;
  assert.equal(p.amplificationBudget, 3600);
  p.bytesSent = 3000;
  assert.equal(p.amplificationBudget, 600);
  p.bytesSent = 4000;
  assert.equal(p.amplificationBudget, 0);
  p.validated = true;
  assert.equal(p.amplificationBudget, Number.POSITIVE_INFINITY);
});

test('path validation: only the matching response validates (RFC 9000 §8.2.3)', () => {
  const m = new PathManager({ local: 's:1', remote: 'c:1' }, true, false, 2);
  const p = m.get({ local: 's:1', remote: 'c:2' });
  p.startValidation(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 100);
  assert.equal(m.onResponse(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 9])), undefined);
  assert.equal(m.onResponse(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8])), p);
  assert.equal(p.validated, true);
});

test('a failed validation of the current path returns to the previous one (RFC 9000 §9.3.2)', () => {
  const m = new PathManager({ local: 's:1', remote: 'c:1' }, true, false, 2);
  const next = m.get({ local: 's:1', remote: 'c:2' });
  m.switchTo(next);
  next.startValidation(new Uint8Array(8), 100);
  assert.equal(m.current, next);
  assert.equal(m.nextDeadline(), 100);
  assert.deepEqual(m.expire(99), {});
  const r = m.expire(100);
  assert.deepEqual(r.reverted, { from: { local: 's:1', remote: 'c:2' }, to: { local: 's:1', remote: 'c:1' } });
  assert.equal(m.current.address.remote, 'c:1');
});

test('probe paths are bounded', () => {
  const m = new PathManager({ local: 's:1', remote: 'c:1' }, true, false, 2);
  for (let i = 0; i < 10; i++) m.get({ local: 's:1', remote: `x:${i}` });
  assert.equal(m.all().length, 3);
});

test('PATH_RESPONSE queue is bounded and copies the data', () => {
  const p = new NetworkPath({ local: 's:1', remote: 'c:1' }, true);
  const d = new Uint8Array(8);
  for (let i = 0; i < 10; i++) p.queueResponse(d);
  d[0] = 9;
  assert.equal(p.responsesPending.length, 4);
  assert.equal(p.responsesPending[0]![0], 0);
});

test('hostOf separates the port, for IPv4 and IPv6', () => {
  assert.equal(hostOf('10.0.0.1:4433'), '10.0.0.1');
  assert.equal(hostOf('[::1]:4433'), '[::1]');
});
