import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewRenoController } from '../../../src/quic/recovery/congestion/new-reno.js';
import { RecoveryError, RecoveryErrorCode } from '../../../src/quic/recovery/errors.js';
import {
  type AckOutcome,
  LossDetection,
  type LossDetectionOptions,
} from '../../../src/quic/recovery/loss-detection.js';
import type { EcnCounts, PacketNumberSpace, SentPacket } from '../../../src/quic/recovery/types.js';

type Ok = Extract<AckOutcome<string>, { ok: true }>;

function setup(options: Partial<LossDetectionOptions> = {}) {
  const cc = new NewRenoController();
  const ld = new LossDetection<string>({ isServer: true, congestionController: cc, ...options });
  const send = (space: PacketNumberSpace, pn: number, t: number, extra: Partial<SentPacket<string>> = {}) =>
    ld.onPacketSent(space, {
      packetNumber: pn,
      timeSent: t,
      size: 1200,
      ackEliciting: true,
      inFlight: true,
      frames: `${space}:${pn}`,
      ...extra,
    });
  type Ranges = Array<[number, number]>;
  const ackRaw = (space: PacketNumberSpace, ranges: Ranges, now: number, ackDelayMicros = 0, ecn?: EcnCounts) =>
    ld.onAckReceived(space, { largest: ranges[0]?.[1] ?? 0, ackDelayMicros, ranges, ...(ecn ? { ecn } : {}) }, now);
  const ack = (space: PacketNumberSpace, ranges: Ranges, now: number, ackDelayMicros = 0, ecn?: EcnCounts): Ok => {
    const out = ackRaw(space, ranges, now, ackDelayMicros, ecn);
    if (!out.ok) assert.fail(`unexpected ACK error: ${out.error.message}`);
    return out;
  };
  return { cc, ld, send, ack, ackRaw };
}

const pns = (packets: ReadonlyArray<SentPacket<string>>) => packets.map((p) => p.packetNumber);

function expectError(out: AckOutcome<string>, code: number): RecoveryError {
  assert.equal(out.ok, false);
  if (out.ok) throw new Error('unreachable');
  assert.ok(out.error instanceof RecoveryError);
  assert.equal(out.error.code, code);
  assert.ok(out.error.message.length > 0);
  return out.error;
}

describe('LossDetection: sending and acknowledging', () => {
  it('counts in-flight bytes and returns newly acked packets with their frames, ascending', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 1, { ackEliciting: false, inFlight: false, size: 40 });
    send('application', 2, 2);
    send('application', 3, 3);
    assert.equal(ld.bytesInFlight, 3600);
    const out = ack('application', [[2, 3], [0, 0]], 50);
    assert.deepEqual(out.newlyAcked.map((p) => p.frames), ['application:0', 'application:2', 'application:3']);
    assert.deepEqual(pns(out.lost), [], 'packet 1 is within the packet threshold and recent');
    assert.equal(ld.bytesInFlight, 0);
    assert.equal(ld.largestAcked('application'), 3);
  });

  it('a repeated ACK acknowledges nothing new and takes no RTT sample', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    assert.equal(ack('application', [[0, 0]], 40).rttSampled, true);
    const again = ack('application', [[0, 0]], 90);
    assert.deepEqual(again.newlyAcked, []);
    assert.equal(again.rttSampled, false);
    assert.equal(ld.rtt.latestRtt, 40);
  });

  it('samples RTT from the largest acknowledged only when it is newly acked (RFC 9002 §5.1)', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 1);
    ack('application', [[1, 1]], 21);
    assert.equal(ld.rtt.latestRtt, 20);
    // Packet 0 is newly acked now, but the largest (1) is not: no sample.
    const out = ack('application', [[0, 1]], 22);
    assert.deepEqual(pns(out.newlyAcked), [0]);
    assert.equal(out.rttSampled, false);
    assert.equal(ld.rtt.latestRtt, 20);
  });

  it('samples RTT when the largest is not ack-eliciting but another newly acked packet is', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 5, { ackEliciting: false, inFlight: false });
    assert.equal(ack('application', [[0, 1]], 25).rttSampled, true);
    assert.equal(ld.rtt.latestRtt, 20, 'now - time sent of the largest acknowledged');
  });

  it('reports no sample when the clock went backwards', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 50);
    assert.equal(ack('application', [[0, 0]], 40).rttSampled, false);
    assert.equal(ld.rtt.hasSample, false);
  });

  it('takes no sample when only non-ack-eliciting packets are newly acked', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0, { ackEliciting: false, inFlight: false });
    assert.equal(ack('application', [[0, 0]], 25).rttSampled, false);
    assert.equal(ld.rtt.hasSample, false);
  });

  it('uses the ACK delay in Handshake/Application spaces and ignores it for Initial', () => {
    const a = setup();
    // First sample 40 (min_rtt 40, srtt 40), second sample 100 with a reported delay of 50 ms.
    a.send('initial', 0, 0);
    a.ack('initial', [[0, 0]], 40);
    a.send('initial', 1, 100);
    a.ack('initial', [[1, 1]], 200, 50_000);
    // Initial: the delay is ignored.
    assert.equal(a.ld.rtt.smoothedRtt, (7 / 8) * 40 + (1 / 8) * 100);
    const b = setup();
    b.send('handshake', 0, 0);
    b.ack('handshake', [[0, 0]], 40);
    b.send('handshake', 1, 100);
    b.ack('handshake', [[1, 1]], 200, 50_000);
    // Not confirmed: the full 50 ms delay is subtracted, uncapped by max_ack_delay 25.
    assert.equal(b.ld.rtt.smoothedRtt, (7 / 8) * 40 + (1 / 8) * 50);
  });

  it('caps the ACK delay by the peer max_ack_delay once confirmed', () => {
    const { ld, send, ack } = setup({ peerMaxAckDelay: 10 });
    ld.onHandshakeConfirmed(0);
    send('application', 0, 0);
    ack('application', [[0, 0]], 40);
    send('application', 1, 100);
    ack('application', [[1, 1]], 200, 50_000);
    assert.equal(ld.rtt.smoothedRtt, (7 / 8) * 40 + (1 / 8) * 90);
  });
});

describe('LossDetection: loss detection (RFC 9002 §6.1)', () => {
  it('packet threshold: everything 3 or more below the largest acked is lost', () => {
    const { ld, send, ack } = setup();
    for (let pn = 0; pn < 10; pn++) send('application', pn, 10);
    const out = ack('application', [[9, 9]], 12);
    assert.deepEqual(pns(out.newlyAcked), [9]);
    assert.deepEqual(pns(out.lost), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(out.lost.map((p) => p.frames).slice(0, 2), ['application:0', 'application:1']);
    assert.equal(ld.trackedPackets('application'), 2, 'packets 7 and 8 wait for the time threshold');
    assert.ok(ld.lossTime('application') !== undefined);
  });

  it('packet threshold is configurable', () => {
    const { send, ack } = setup({ packetThreshold: 5 });
    for (let pn = 0; pn < 10; pn++) send('application', pn, 10);
    assert.deepEqual(pns(ack('application', [[9, 9]], 12).lost), [0, 1, 2, 3, 4]);
  });

  it('time threshold: 9/8 * max(srtt, latest_rtt) declares old packets lost at once', () => {
    const { send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 100);
    // Sample 100 -> loss delay 112.5 -> packets sent at or before 87.5 are lost.
    const out = ack('application', [[1, 1]], 200);
    assert.deepEqual(pns(out.lost), [0]);
  });

  it('time threshold: arms the loss timer and declares loss when it fires', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 1);
    const out = ack('application', [[1, 1]], 11);
    // Sample 10 -> loss delay 11.25; packet 0 not yet lost, loss time 0 + 11.25.
    assert.deepEqual(pns(out.lost), []);
    assert.equal(ld.lossTime('application'), 11.25);
    assert.equal(ld.nextTimeout(), 11.25);
    assert.deepEqual(ld.onTimeout(11.2), { kind: 'none' });
    const fired = ld.onTimeout(11.25);
    assert.equal(fired.kind, 'lost');
    if (fired.kind !== 'lost') return;
    assert.equal(fired.space, 'application');
    assert.deepEqual(pns(fired.lost), [0]);
    assert.equal(fired.persistentCongestion, false);
    assert.equal(ld.bytesInFlight, 0);
    assert.equal(ld.nextTimeout(), undefined, 'server, nothing in flight: timer off');
  });

  it('the loss delay is at least kGranularity', () => {
    const { ld, send, ack } = setup();
    send('application', 0, 0);
    send('application', 1, 0.05);
    ack('application', [[1, 1]], 0.15);
    assert.equal(ld.lossTime('application'), 1);
  });

  it('loses only packets at or below the largest acknowledged', () => {
    const { ld, send, ack } = setup();
    for (let pn = 0; pn < 6; pn++) send('application', pn, pn * 100);
    const out = ack('application', [[2, 2]], 1000);
    // Loss delay = 9/8 * 800 = 900 -> sent at or before 100 lost: 0 and 1. 3..5 are above largest acked.
    assert.deepEqual(pns(out.lost), [0, 1]);
    assert.equal(ld.trackedPackets('application'), 3);
  });

  it('does not tell the congestion controller about lost packets that were not in flight', () => {
    const { cc, send, ack } = setup();
    send('application', 0, 10, { ackEliciting: false, inFlight: false });
    send('application', 1, 10, { ackEliciting: false, inFlight: false });
    for (let pn = 2; pn < 5; pn++) send('application', pn, 10);
    const out = ack('application', [[4, 4]], 12);
    assert.deepEqual(pns(out.lost), [0, 1]);
    assert.equal(cc.congestionWindow, 12000, 'no congestion event: nothing in flight was lost');
    send('application', 5, 13);
    for (let pn = 6; pn < 9; pn++) send('application', pn, 13);
    assert.deepEqual(pns(ack('application', [[8, 8]], 15).lost), [2, 3, 5]);
    assert.equal(cc.congestionWindow, 6000, 'in-flight losses are one congestion event');
  });
});

describe('LossDetection: PTO (RFC 9002 §6.2)', () => {
  const initialPto = 333 + 4 * 166.5; // smoothed_rtt + max(4*rttvar, granularity) before any sample

  it('arms the PTO from the last ack-eliciting packet of Initial, without max_ack_delay', () => {
    const { ld, send } = setup();
    send('initial', 0, 10);
    assert.equal(ld.nextTimeout(), 10 + initialPto);
  });

  it('non-ack-eliciting in-flight packets do not arm the PTO', () => {
    const { ld, send } = setup();
    send('initial', 0, 10, { ackEliciting: false, inFlight: true });
    assert.equal(ld.nextTimeout(), undefined);
  });

  it('uses the earlier of Initial and Handshake', () => {
    const { ld, send } = setup();
    send('handshake', 0, 5);
    send('initial', 0, 10);
    assert.equal(ld.nextTimeout(), 5 + initialPto);
  });

  it('does not arm an Application Data PTO before the handshake is confirmed', () => {
    const { ld, send } = setup();
    send('application', 0, 0);
    assert.equal(ld.nextTimeout(), undefined);
    ld.onHandshakeConfirmed(1);
    assert.equal(ld.nextTimeout(), 0 + initialPto + 25, 'with max_ack_delay');
  });

  it('application PTO uses the peer max_ack_delay once known', () => {
    const { ld, send } = setup();
    ld.onHandshakeConfirmed(0);
    send('application', 0, 0);
    ld.setPeerMaxAckDelay(100, 0);
    assert.equal(ld.nextTimeout(), initialPto + 100);
    assert.equal(ld.peerMaxAckDelay, 100);
    assert.equal(ld.ptoPeriod(), initialPto + 100);
  });

  it('fires with two probes in the PTO space and doubles the period each time', () => {
    const { ld, send } = setup();
    ld.onHandshakeConfirmed(0);
    send('application', 0, 0);
    const pto = initialPto + 25;
    assert.deepEqual(ld.onTimeout(pto - 1), { kind: 'none' });
    assert.deepEqual(ld.onTimeout(pto), { kind: 'probe', space: 'application', count: 2, antiDeadlock: false });
    assert.equal(ld.ptoCount, 1);
    assert.equal(ld.nextTimeout(), 2 * pto, 'backoff applies to max_ack_delay too');
    assert.equal(ld.onTimeout(2 * pto).kind, 'probe');
    assert.equal(ld.ptoCount, 2);
    assert.equal(ld.nextTimeout(), 4 * pto);
  });

  it('restarts the PTO from each new ack-eliciting packet with the current backoff', () => {
    const { ld, send } = setup();
    send('initial', 0, 0);
    ld.onTimeout(initialPto);
    send('initial', 1, initialPto + 3); // the probe
    assert.equal(ld.nextTimeout(), initialPto + 3 + 2 * initialPto);
  });

  it('probe count is configurable to one', () => {
    const { ld, send } = setup({ ptoProbePackets: 1 });
    send('handshake', 0, 0);
    assert.deepEqual(ld.onTimeout(initialPto), { kind: 'probe', space: 'handshake', count: 1, antiDeadlock: false });
  });

  it('an acknowledgment resets pto_count (server: peer address validated)', () => {
    const { ld, send, ack } = setup();
    send('initial', 0, 0);
    send('initial', 1, 1);
    ld.onTimeout(ld.nextTimeout()!);
    assert.equal(ld.ptoCount, 1);
    ack('initial', [[1, 1]], initialPto + 10);
    assert.equal(ld.ptoCount, 0);
  });

  it('a client does not reset pto_count on an Initial ACK before its address is validated', () => {
    const { ld, send, ack } = setup({ isServer: false });
    send('initial', 0, 0);
    send('initial', 1, 1);
    ld.onTimeout(ld.nextTimeout()!);
    assert.equal(ld.ptoCount, 1);
    ack('initial', [[1, 1]], initialPto + 10);
    assert.equal(ld.ptoCount, 1);
    send('handshake', 0, initialPto + 20);
    ack('handshake', [[0, 0]], initialPto + 30);
    assert.equal(ld.ptoCount, 0, 'a Handshake ACK proves the server validated the address');
  });

  it('client anti-deadlock: with nothing in flight the PTO is armed from now, Initial then Handshake', () => {
    const { ld, send, ack } = setup({ isServer: false });
    send('initial', 0, 0);
    ack('initial', [[0, 0]], 100); // sample 100 -> srtt 100, rttvar 50
    const duration = 100 + 4 * 50;
    assert.equal(ld.bytesInFlight, 0);
    assert.equal(ld.nextTimeout(), 100 + duration);
    assert.deepEqual(ld.onTimeout(100 + duration), { kind: 'probe', space: 'initial', count: 1, antiDeadlock: true });
    assert.equal(ld.nextTimeout(), 100 + duration + 2 * duration, 'backed off, from the time it fired');
    ld.onHandshakeKeysAvailable(400);
    assert.equal(ld.nextTimeout(), 400 + 2 * duration);
    const probe = ld.onTimeout(400 + 2 * duration);
    assert.deepEqual(probe, { kind: 'probe', space: 'handshake', count: 1, antiDeadlock: true });
  });

  it('client anti-deadlock stops once the handshake is confirmed', () => {
    const { ld, send, ack } = setup({ isServer: false });
    send('initial', 0, 0);
    ack('initial', [[0, 0]], 100);
    assert.notEqual(ld.nextTimeout(), undefined);
    ld.onHandshakeConfirmed(120);
    assert.equal(ld.nextTimeout(), undefined);
  });

  it('a server blocked by the amplification limit does not arm the PTO; unblocking re-arms it', () => {
    const { ld, send } = setup({ isServer: true });
    send('initial', 0, 0);
    ld.setAmplificationBlocked(true, 1);
    assert.equal(ld.nextTimeout(), undefined);
    assert.deepEqual(ld.onTimeout(10_000), { kind: 'none' });
    ld.setAmplificationBlocked(false, 2000);
    assert.equal(ld.nextTimeout(), initialPto, 'already due: fires at the next timer check');
    assert.equal(ld.onTimeout(2000).kind, 'probe');
  });

  it('a pending loss time takes precedence over the PTO, even when amplification-blocked', () => {
    const { ld, send, ack } = setup();
    send('initial', 0, 0);
    send('initial', 1, 1);
    ack('initial', [[1, 1]], 11);
    ld.setAmplificationBlocked(true, 11);
    assert.equal(ld.nextTimeout(), 11.25);
  });

  it('caps the exponential backoff so the deadline stays finite', () => {
    const { ld, send } = setup();
    send('initial', 0, 0);
    for (let i = 0; i < 40; i++) ld.onTimeout(ld.nextTimeout()!);
    assert.equal(ld.ptoCount, 40);
    assert.ok(Number.isFinite(ld.nextTimeout()!));
  });
});

describe('LossDetection: discarding a packet number space (RFC 9002 §6.4)', () => {
  it('removes its packets from bytes in flight, returns them and resets pto_count', () => {
    const { ld, send } = setup();
    send('initial', 0, 0);
    send('initial', 1, 1);
    send('handshake', 0, 2);
    ld.onTimeout(ld.nextTimeout()!);
    assert.equal(ld.ptoCount, 1);
    const removed = ld.discardSpace('initial', 10);
    assert.deepEqual(removed.map((p) => p.frames), ['initial:0', 'initial:1']);
    assert.equal(ld.bytesInFlight, 1200);
    assert.equal(ld.ptoCount, 0);
    assert.equal(ld.nextTimeout(), 2 + 333 + 4 * 166.5, 'timer now from the Handshake space');
    assert.equal(ld.isDiscarded('initial'), true);
    assert.deepEqual(ld.discardSpace('initial', 11), [], 'idempotent');
  });

  it('ignores late ACKs for a discarded space and refuses to send in it', () => {
    const { ld, send, ack } = setup();
    send('initial', 0, 0);
    ld.discardSpace('initial', 1);
    assert.deepEqual(ack('initial', [[0, 0]], 5).newlyAcked, []);
    const internal = (e: unknown) => e instanceof RecoveryError && e.code === RecoveryErrorCode.INTERNAL_ERROR;
    assert.throws(() => send('initial', 1, 2), internal);
    assert.throws(() => ld.skipPacketNumber('initial', 5), RecoveryError);
  });

  it('discards chosen packets (rejected 0-RTT) from bytes in flight without a congestion signal', () => {
    const { ld, cc, send, ack } = setup();
    send('application', 0, 0, { frames: '0rtt' });
    send('application', 1, 1, { frames: '0rtt' });
    send('application', 2, 2, { frames: '1rtt' });
    const removed = ld.discardPackets('application', (p) => p.frames === '0rtt', 3);
    assert.deepEqual(pns(removed), [0, 1]);
    assert.equal(ld.bytesInFlight, 1200);
    assert.equal(cc.congestionWindow, 12000);
    const out = ack('application', [[0, 2]], 10);
    assert.deepEqual(pns(out.newlyAcked), [2], 'the discarded packets are no longer tracked');
    assert.deepEqual(out.lost, []);
  });

  it('the application space is never discarded', () => {
    const { ld } = setup();
    assert.throws(() => ld.discardSpace('application', 0), RecoveryError);
  });

  it('a discarded Initial space means Handshake keys exist for anti-deadlock probes', () => {
    const { ld, send, ack } = setup({ isServer: false });
    send('initial', 0, 0);
    ack('initial', [[0, 0]], 100);
    ld.discardSpace('initial', 100);
    const t = ld.nextTimeout()!;
    assert.deepEqual(ld.onTimeout(t), { kind: 'probe', space: 'handshake', count: 1, antiDeadlock: true });
  });
});

describe('LossDetection: invalid ACKs never throw and leave state unchanged', () => {
  it('ACK of a packet never sent is a PROTOCOL_VIOLATION', () => {
    const { ld, send, ackRaw } = setup();
    expectError(ackRaw('handshake', [[0, 0]], 1), RecoveryErrorCode.PROTOCOL_VIOLATION);
    send('application', 0, 0);
    send('application', 1, 1);
    const err = expectError(ackRaw('application', [[0, 2]], 5), RecoveryErrorCode.PROTOCOL_VIOLATION);
    assert.match(err.message, /never sent/);
    assert.equal(ld.bytesInFlight, 2400);
    assert.equal(ld.largestAcked('application'), -1);
  });

  it('ACK of a skipped packet number is a PROTOCOL_VIOLATION (RFC 9000 §21.4)', () => {
    const { ld, send, ack, ackRaw } = setup();
    send('application', 0, 0);
    ld.skipPacketNumber('application', 1);
    send('application', 2, 2);
    assert.equal(ld.largestSent('application'), 2);
    expectError(ackRaw('application', [[0, 2]], 5), RecoveryErrorCode.PROTOCOL_VIOLATION);
    assert.deepEqual(pns(ack('application', [[2, 2], [0, 0]], 5).newlyAcked), [0, 2]);
  });

  it('remembers only the most recent skipped packet numbers', () => {
    const { ld, send, ack } = setup({ maxSkippedPacketNumbers: 1 });
    send('application', 0, 0);
    ld.skipPacketNumber('application', 1);
    ld.skipPacketNumber('application', 2);
    send('application', 3, 3);
    assert.deepEqual(pns(ack('application', [[0, 1]], 5).newlyAcked), [0], 'skip of 1 forgotten');
  });

  it('a skipped packet number belongs to its space and connection only', () => {
    const a = setup();
    const b = setup();
    for (const { send } of [a, b]) send('application', 0, 0);
    a.ld.skipPacketNumber('application', 1);
    b.send('application', 1, 1); // b never skipped 1: it sends it and may have it acknowledged
    for (const { send } of [a, b]) send('application', 2, 2);
    a.send('handshake', 1, 1);
    expectError(a.ackRaw('application', [[0, 2]], 5), RecoveryErrorCode.PROTOCOL_VIOLATION);
    assert.deepEqual(pns(b.ack('application', [[0, 2]], 5).newlyAcked), [0, 1, 2]);
    assert.deepEqual(pns(a.ack('handshake', [[1, 1]], 5).newlyAcked), [1]);
  });

  it('malformed ranges are FRAME_ENCODING_ERRORs', () => {
    const { ld, send } = setup();
    for (let pn = 0; pn < 20; pn++) send('application', pn, pn);
    const bad: Array<Parameters<typeof ld.onAckReceived>[1]> = [
      { largest: 10, ackDelayMicros: 0, ranges: [] },
      { largest: 10, ackDelayMicros: 0, ranges: [[5, 9]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[8, 10], [9, 9]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[8, 10], [5, 7]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[8, 10], [2, 1]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[-1, 10]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[1.5, 10]] },
      { largest: 2 ** 60, ackDelayMicros: 0, ranges: [[0, 2 ** 60]] },
      { largest: 10, ackDelayMicros: -1, ranges: [[0, 10]] },
      { largest: 10, ackDelayMicros: Number.NaN, ranges: [[0, 10]] },
      { largest: 10, ackDelayMicros: 0, ranges: [[0, 10]], ecn: { ect0: 1, ect1: 0, ce: -1 } },
      { largest: 10, ackDelayMicros: 0, ranges: [[0, 10]], ecn: { ect0: Infinity, ect1: 0, ce: 0 } },
    ];
    for (const ack of bad) {
      expectError(ld.onAckReceived('application', ack, 50), RecoveryErrorCode.FRAME_ENCODING_ERROR);
    }
    assert.equal(ld.bytesInFlight, 20 * 1200);
    assert.equal(ld.rtt.hasSample, false);
  });

  it('a range far wider than the history is processed without walking it', () => {
    const { send, ack } = setup();
    send('application', 0, 0);
    send('application', 2 ** 40, 1);
    const out = ack('application', [[0, 2 ** 40]], 10);
    assert.deepEqual(pns(out.newlyAcked), [0, 2 ** 40]);
  });
});

describe('LossDetection: persistent congestion (RFC 9002 §7.6)', () => {
  // After a 100 ms sample at t=100: srtt 100, rttvar 50. The ACK at 1500 samples 100 again: rttvar 37.5.
  // Duration = (100 + 4 * 37.5 + 25) * 3 = 825 ms.
  function scenario(options: { ackMiddle?: boolean; noPriorSample?: boolean; spread?: number } = {}) {
    const s = setup();
    const spread = options.spread ?? 1100;
    if (!options.noPriorSample) {
      s.send('application', 0, 0);
      s.ack('application', [[0, 0]], 100);
    }
    s.send('application', 1, 200);
    s.send('application', 2, 200 + spread / 2);
    s.send('application', 3, 200 + spread);
    s.send('application', 4, 1400);
    const ranges: Array<[number, number]> = options.ackMiddle ? [[4, 4], [2, 2]] : [[4, 4]];
    const out = s.ack('application', ranges, 1500);
    return { ...s, out };
  }

  it('is established by ack-eliciting losses spanning more than the duration; window to minimum', () => {
    const { out, cc, ld } = scenario();
    assert.deepEqual(pns(out.lost), [1, 2, 3]);
    assert.equal(out.persistentCongestion, true);
    // Collapsed to kMinimumWindow (2400), then the ACK of packet 4, sent after the reset recovery
    // start (RFC 9002 B.8 sets it to 0), grows it by one datagram in slow start.
    assert.equal(cc.congestionWindow, 2 * 1200 + 1200);
    assert.equal(ld.rtt.minRtt, 100, 'reset to the latest sample (100)');
  });

  it('is not established when the span is within the duration', () => {
    const { out, cc } = scenario({ spread: 800 });
    assert.deepEqual(pns(out.lost), [1, 2, 3]);
    assert.equal(out.persistentCongestion, false);
    assert.equal(cc.congestionWindow, 12000 / 2);
  });

  it('is not established when a packet between the losses was acknowledged', () => {
    const { out } = scenario({ ackMiddle: true });
    assert.deepEqual(pns(out.lost), [1, 3]);
    assert.equal(out.persistentCongestion, false);
  });

  it('is not established without an RTT sample from before the losses', () => {
    const { out } = scenario({ noPriorSample: true });
    assert.deepEqual(pns(out.lost), [1, 2, 3]);
    assert.equal(out.persistentCongestion, false);
  });

  it('ignores non-ack-eliciting losses at the ends of the span', () => {
    const s = setup();
    s.send('application', 0, 0);
    s.ack('application', [[0, 0]], 100);
    s.send('application', 1, 200, { ackEliciting: false });
    s.send('application', 2, 700);
    s.send('application', 3, 1300, { ackEliciting: false });
    s.send('application', 4, 1400);
    const out = s.ack('application', [[4, 4]], 1500);
    assert.deepEqual(pns(out.lost), [1, 2, 3]);
    assert.equal(out.persistentCongestion, false);
  });
});

describe('LossDetection: congestion signals', () => {
  it('an increased ECN-CE count is a congestion event; the same count is not', () => {
    const { cc, send, ack } = setup();
    for (let pn = 0; pn < 4; pn++) send('application', pn, pn);
    ack('application', [[0, 0]], 10, 0, { ect0: 1, ect1: 0, ce: 1 });
    assert.equal(cc.congestionWindow, 6000);
    send('application', 4, 20);
    ack('application', [[4, 4], [0, 2]], 30, 0, { ect0: 1, ect1: 0, ce: 1 });
    assert.equal(cc.congestionWindow, 6000, 'no new CE marks');
  });

  it('gives the congestion controller the bytes in flight before the ACK', () => {
    const seen: number[] = [];
    const cc = new NewRenoController();
    const original = cc.onPacketsAcked.bind(cc);
    cc.onPacketsAcked = (packets, now, rtt, prior) => {
      seen.push(prior);
      original(packets, now, rtt, prior);
    };
    const ld = new LossDetection<string>({ isServer: true, congestionController: cc });
    for (let pn = 0; pn < 3; pn++) {
      const packet = { packetNumber: pn, timeSent: pn, size: 1000, ackEliciting: true, inFlight: true, frames: '' };
      ld.onPacketSent('application', packet);
    }
    ld.onAckReceived('application', { largest: 1, ackDelayMicros: 0, ranges: [[0, 1]] }, 10);
    assert.deepEqual(seen, [3000]);
    assert.equal(ld.canSend(), true);
  });

  it('canSend follows the congestion window', () => {
    const { ld, send } = setup();
    for (let pn = 0; pn < 9; pn++) send('application', pn, 0);
    assert.equal(ld.bytesInFlight, 10800);
    assert.equal(ld.canSend(), true);
    send('application', 9, 0);
    assert.equal(ld.canSend(), false);
  });
});

describe('LossDetection: bounded memory and options', () => {
  it('forgets the oldest ACK-only packets beyond the per-space cap', () => {
    const { ld, send } = setup({ maxTrackedPacketsPerSpace: 4 });
    send('application', 0, 0);
    for (let pn = 1; pn <= 10; pn++) send('application', pn, pn, { ackEliciting: false, inFlight: false, size: 40 });
    assert.equal(ld.trackedPackets('application'), 4);
    assert.equal(ld.bytesInFlight, 1200, 'the in-flight packet is kept');
  });

  it('rejects invalid options', () => {
    assert.throws(() => setup({ packetThreshold: 0 }), RangeError);
    assert.throws(() => setup({ granularity: Number.NaN }), RangeError);
    assert.throws(() => setup({ peerMaxAckDelay: -1 }), RangeError);
    const { ld } = setup();
    assert.throws(() => ld.setPeerMaxAckDelay(Infinity, 0), RangeError);
  });
});
