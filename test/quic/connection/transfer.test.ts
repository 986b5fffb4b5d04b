import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ADDR, makePair, runHandshake, transfer } from './sim-node.js';
import { SimRandom } from '../../sim/network.js';

function payload(n: number, seed = 9): Uint8Array {
  return new SimRandom(seed).bytes(n);
}

for (const loss of [0, 0.1, 0.3]) {
  test(`1 MB on one stream arrives complete and in order with ${loss * 100}% loss`, () => {
    const p = makePair({ seed: 42 + loss * 100, link: { delayMs: 10, loss } });
    runHandshake(p);
    assert.ok(p.client.has('handshake-confirmed'), 'handshake completes');
    const data = payload(1024 * 1024);
    const r = transfer(p, data);
    assert.ok(r.finished, 'FIN delivered');
    assert.equal(r.received.length, data.length);
    assert.ok(Buffer.from(r.received).equals(Buffer.from(data)), 'every byte in order');
  });
}

test('NewReno congestion control moves the same data', () => {
  const p = makePair({ seed: 3, link: { delayMs: 10, loss: 0.05 }, client: { limits: { congestionControl: 'newreno' } } });
  runHandshake(p);
  const data = payload(300_000, 4);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
});

test('pacing spreads a window over the RTT instead of sending it in one burst (RFC 9002 §7.7)', () => {
  const run = (pacing: boolean): number => {
    const p = makePair({ seed: 6, link: { delayMs: 50 }, client: { limits: { pacing } } });
    runHandshake(p);
    let burst = 0;
    let maxBurst = 0;
    let lastAt = -1;
    p.net.tap = (d) => {
      if (d.to !== CLIENT_ADDR && d.data.length >= 1000) {
        burst = d.now === lastAt ? burst + 1 : 1;
        lastAt = d.now;
        maxBurst = Math.max(maxBurst, burst);
      }
      return d.data;
    };
    assert.ok(transfer(p, payload(400_000, 5)).finished);
    return maxBurst;
  };
  const paced = run(true);
  const unpaced = run(false);
  assert.ok(paced < unpaced, `largest burst arriving together: ${paced} paced, ${unpaced} unpaced`);
});
