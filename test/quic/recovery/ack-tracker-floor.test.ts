// RFC 9000 §13.2.1 immediate ACKs and §13.2.4 pruning together: packets that stopped being tracked
// because the peer acknowledged our ACK of them are not a gap.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AckTracker } from '../../../src/quic/recovery/ack-tracker.js';

it('a packet after a pruned non-ack-eliciting one is not treated as out of order', () => {
  const t = new AckTracker('application', { maxAckDelay: 25 });
  t.onPacketReceived(1, 0, true);
  t.onPacketReceived(2, 0, false);
  t.onAckSent();
  // The peer acknowledged our ACK covering 1..2: stop tracking them (RFC 9000 §13.2.4).
  t.onAckAcknowledged(2);
  t.onPacketReceived(3, 100, true);
  assert.equal(t.nextAckDeadline(), 125, 'delayed by max_ack_delay, not immediate');
});

it('a real gap above the floor still triggers an immediate ACK', () => {
  const t = new AckTracker('application', { maxAckDelay: 25 });
  t.onPacketReceived(1, 0, true);
  t.onAckSent();
  t.onAckAcknowledged(1);
  t.onPacketReceived(4, 100, true);
  assert.equal(t.nextAckDeadline(), 100, 'packets 2 and 3 are missing');
});
