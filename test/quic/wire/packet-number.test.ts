import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, toHex } from '../../helpers/vectors.js';
import {
  decodePacketNumber,
  packetNumberLength,
  readTruncatedPacketNumber,
  truncatePacketNumber,
  writePacketNumber,
} from '../../../src/quic/wire/packet-number.js';
import { QuicError } from '../../../src/quic/wire/errors.js';

interface Vectors {
  A2_packet_number_encoding_examples: { largest_acked: string; full_pn: string; encoded_length_bytes: number; encoded: string }[];
  A3_packet_number_decoding_example: { largest_pn: string; truncated_pn: string; pn_nbits: 8 | 16 | 24 | 32; expected_pn: string };
}
const v = loadVectors<Vectors>('rfc9000-appendix-a.json');

test('RFC 9000 A.2 encoding examples: length choice and truncated bytes', () => {
  for (const ex of v.A2_packet_number_encoding_examples) {
    const full = Number(ex.full_pn);
    const len = packetNumberLength(full, Number(ex.largest_acked));
    assert.equal(len, ex.encoded_length_bytes);
    const out = new Uint8Array(len);
    assert.equal(writePacketNumber(out, 0, full, len), len);
    assert.equal(toHex(out), ex.encoded);
    assert.equal(readTruncatedPacketNumber(out, 0, len), truncatePacketNumber(full, len));
  }
});

test('RFC 9000 A.3 decoding example', () => {
  const ex = v.A3_packet_number_decoding_example;
  assert.equal(decodePacketNumber(Number(ex.largest_pn), Number(ex.truncated_pn), ex.pn_nbits), Number(ex.expected_pn));
});

test('length choice without acknowledgments and at window edges', () => {
  assert.equal(packetNumberLength(0, undefined), 1);
  assert.equal(packetNumberLength(127, undefined), 1);
  assert.equal(packetNumberLength(128, undefined), 2);
  assert.equal(packetNumberLength(100 + 128, 100), 1);
  assert.equal(packetNumberLength(100 + 129, 100), 2);
  assert.equal(packetNumberLength(2 ** 31, 0), 4);
  assert.throws(() => packetNumberLength(2 ** 31 + 1, 0), QuicError);
  assert.throws(() => packetNumberLength(5, 5), QuicError);
});

test('encode then decode round-trips across lengths and window wrap-arounds', () => {
  const cases: [number, number | undefined][] = [
    [0, undefined], [1, 0], [255, 200], [256, 250], [65535, 65500], [65536, 65530], [0x1_0000_0000 + 5, 0x1_0000_0000 - 3], [2 ** 40, 2 ** 40 - 1000],
  ];
  for (const [pn, acked] of cases) {
    const len = packetNumberLength(pn, acked);
    const buf = new Uint8Array(4);
    writePacketNumber(buf, 0, pn, len);
    // The receiver's largest received is at least the sender's largest acknowledged.
    const largestReceived = acked ?? -1;
    assert.equal(decodePacketNumber(largestReceived, readTruncatedPacketNumber(buf, 0, len), (len * 8) as 8 | 16 | 24 | 32), pn, `pn ${pn}`);
  }
});

test('decoding picks the candidate closest to the expected number, also below it', () => {
  assert.equal(decodePacketNumber(-1, 0, 8), 0);
  assert.equal(decodePacketNumber(300, 0x20, 8), 288);
  assert.equal(decodePacketNumber(250, 0x02, 8), 258);
  assert.equal(decodePacketNumber(0x1ff, 0xff, 8), 0x1ff);
});
