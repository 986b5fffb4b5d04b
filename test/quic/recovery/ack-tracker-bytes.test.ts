// The byte trigger for immediate ACKs (DEFAULT_ACK_ELICITING_BYTES_THRESHOLD): a packet far above 1200
// bytes (loopback PMTU reaches 64 KiB) is acknowledged at once, not after max_ack_delay, because its
// sender may have filled its congestion window with it and be waiting for that ACK (RFC 9002 §7).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker, DEFAULT_ACK_ELICITING_BYTES_THRESHOLD } from '../../../src/quic/recovery/ack-tracker.js';

describe('AckTracker: immediate ACK by bytes (RFC 9000 §13.2.1, RFC 5681 §4.2)', () => {
  it('defaults to two minimum-size packets (RFC 9000 §14: 1200 bytes)', () => {
    assert.equal(DEFAULT_ACK_ELICITING_BYTES_THRESHOLD, 2400);
  });

  it('one large ack-eliciting packet makes the ACK due at once', () => {
    const t = new AckTracker('application', { maxAckDelay: 25 });
    t.onPacketReceived(0, 10, true, 'not-ect', 65_000);
    assert.equal(t.nextAckDeadline(), 10);
    assert.equal(t.ackDue(10), true);
  });

  it('one ordinary-size packet still waits max_ack_delay', () => {
    const t = new AckTracker('application', { maxAckDelay: 25 });
    t.onPacketReceived(0, 10, true, 'not-ect', 1_420);
    assert.equal(t.nextAckDeadline(), 35);
    assert.equal(t.ackDue(34), false);
  });

  it('bytes add up over packets until the threshold', () => {
    const t = new AckTracker('application', { maxAckDelay: 25, ackElicitingThreshold: 10, ackElicitingBytesThreshold: 3_000 });
    t.onPacketReceived(0, 10, true, 'not-ect', 1_000);
    t.onPacketReceived(1, 11, true, 'not-ect', 1_000);
    assert.equal(t.nextAckDeadline(), 35, '2000 bytes: not yet');
    t.onPacketReceived(2, 12, true, 'not-ect', 1_000);
    assert.equal(t.nextAckDeadline(), 12, '3000 bytes: now');
  });

  it('onAckSent starts the byte count over', () => {
    const t = new AckTracker('application', { maxAckDelay: 25, ackElicitingThreshold: 10, ackElicitingBytesThreshold: 3_000 });
    t.onPacketReceived(0, 10, true, 'not-ect', 2_000);
    t.onAckSent();
    t.onPacketReceived(1, 20, true, 'not-ect', 2_000);
    assert.equal(t.nextAckDeadline(), 45, 'the 2000 bytes before the ACK no longer count');
  });

  it('non-ack-eliciting packets never count, however large', () => {
    const t = new AckTracker('application', { maxAckDelay: 25 });
    t.onPacketReceived(0, 10, false, 'not-ect', 65_000);
    assert.equal(t.nextAckDeadline(), undefined);
    t.onPacketReceived(1, 11, true, 'not-ect', 100);
    assert.equal(t.nextAckDeadline(), 36);
  });

  it('without a size (0) only the packet count applies', () => {
    const t = new AckTracker('application', { maxAckDelay: 25, ackElicitingBytesThreshold: 1 });
    t.onPacketReceived(0, 10, true);
    assert.equal(t.nextAckDeadline(), 35);
  });

  it('duplicates add no bytes', () => {
    const t = new AckTracker('application', { maxAckDelay: 25, ackElicitingThreshold: 10, ackElicitingBytesThreshold: 3_000 });
    assert.equal(t.onPacketReceived(0, 10, true, 'not-ect', 2_000), true);
    assert.equal(t.onPacketReceived(0, 11, true, 'not-ect', 2_000), false);
    assert.equal(t.nextAckDeadline(), 35);
  });

  it('rejects a threshold that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new AckTracker('application', { ackElicitingBytesThreshold: bad }), RangeError, String(bad));
    }
  });
});
