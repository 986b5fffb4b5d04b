// RFC 9002 §6.1.2 time-threshold loss: the loss timer and the loss test must agree to the last bit, or a
// timer set for time T finds nothing lost at T (floating-point rounding) and fires again forever.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NewRenoController } from '../../../src/quic/recovery/congestion/new-reno.js';
import { LossDetection } from '../../../src/quic/recovery/loss-detection.js';

it('a time-threshold loss timer always declares its packet lost when it fires', () => {
  let stuck = 0;
  for (let i = 0; i < 200; i++) {
    const ld = new LossDetection<number>({ isServer: false, congestionController: new NewRenoController() });
    const t0 = 0.7 + i * 0.013;
    const packet = (pn: number, t: number) => ({ packetNumber: pn, timeSent: t, size: 1200, ackEliciting: true, inFlight: true, frames: pn });
    ld.onPacketSent('application', packet(0, t0));
    ld.onPacketSent('application', packet(1, t0 + 0.1));
    // Packet 1 acknowledged; packet 0 is below it but within the packet threshold: a loss timer is set.
    const out = ld.onAckReceived('application', { largest: 1, ackDelayMicros: 0, ranges: [[1, 1]] }, t0 + 0.1 + 0.3 + i * 0.0007);
    assert.ok(out.ok);
    const at = ld.lossTime('application');
    assert.ok(at !== undefined);
    const fired = ld.onTimeout(at);
    if (fired.kind !== 'lost' || fired.lost.length !== 1) stuck++;
  }
  assert.equal(stuck, 0, `${stuck} of 200 timers fired without declaring the packet lost`);
});
