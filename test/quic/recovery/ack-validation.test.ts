import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangesContain, validateAck } from '../../../src/quic/recovery/ack-validation.js';
import { RecoveryErrorCode } from '../../../src/quic/recovery/errors.js';

describe('validateAck', () => {
  const ack = (ranges: Array<[number, number]>) => ({ largest: ranges[0]![1], ackDelayMicros: 0, ranges });

  it('accepts well-formed ACKs of sent packets', () => {
    assert.equal(validateAck('application', ack([[5, 9], [0, 3]]), 9, []), undefined);
    assert.equal(validateAck('application', ack([[0, 0]]), 0, []), undefined);
  });

  it('requires at least one missing packet number between ranges (RFC 9000 §19.3.1)', () => {
    assert.equal(validateAck('initial', ack([[5, 9], [0, 4]]), 9, [])?.code, RecoveryErrorCode.FRAME_ENCODING_ERROR);
    assert.equal(validateAck('initial', ack([[5, 9], [0, 3]]), 9, []), undefined);
  });

  it('names the space and packet in the PROTOCOL_VIOLATION message', () => {
    const err = validateAck('handshake', ack([[0, 7]]), 5, []);
    assert.equal(err?.code, RecoveryErrorCode.PROTOCOL_VIOLATION);
    assert.match(err!.message, /handshake packet 7/);
    const skipped = validateAck('application', ack([[0, 5]]), 5, [3]);
    assert.equal(skipped?.code, RecoveryErrorCode.PROTOCOL_VIOLATION);
    assert.match(skipped!.message, /skipped/);
  });
});

describe('rangesContain', () => {
  const ranges: Array<[number, number]> = [[20, 30], [10, 12], [0, 0]];
  it('finds numbers inside ranges and not in the gaps', () => {
    for (const pn of [0, 10, 11, 12, 20, 25, 30]) assert.equal(rangesContain(ranges, pn), true, `${pn}`);
    for (const pn of [1, 9, 13, 19, 31]) assert.equal(rangesContain(ranges, pn), false, `${pn}`);
    assert.equal(rangesContain([], 0), false);
  });
});
