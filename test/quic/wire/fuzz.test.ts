// Fuzz-style robustness: truncations at every offset and seeded random bit flips of valid frames,
// packets and transport parameters. Decoding may succeed or fail, but only with a QuicError, and always
// terminates (every decoder loop consumes input). Counts are fixed, so the run time is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuicError } from '../../../src/quic/wire/errors.js';
import { decodeFrames, encodeFrames } from '../../../src/quic/wire/frames.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { buildVersionNegotiation, finishLongHeader, parseInvariantHeader, parsePacket, splitCoalescedPackets, writeLongHeader, writeShortHeader } from '../../../src/quic/wire/header.js';
import { decodeTransportParameters, encodeTransportParameters } from '../../../src/quic/wire/transport-parameters.js';
import { buildRetryPacket } from '../../../src/quic/crypto/retry.js';
import { hex } from '../../helpers/vectors.js';
import { LAST_STREAM_FRAME, SAMPLE_FRAMES } from './sample-frames.js';

/** mulberry32: a small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FLIPS_PER_INPUT = 200;

/** Runs `decode` and accepts success or a QuicError; anything else fails the test with the input. */
function mustNotCrash(decode: (b: Uint8Array) => unknown, input: Uint8Array, label: string): void {
  try {
    decode(input);
  } catch (e) {
    assert.ok(e instanceof QuicError, `${label}: ${String(e)} for ${Buffer.from(input).toString('hex')}`);
  }
}

function fuzz(decode: (b: Uint8Array) => unknown, corpus: Uint8Array[], seed: number): void {
  const rand = prng(seed);
  for (const [n, valid] of corpus.entries()) {
    for (let cut = 0; cut <= valid.length; cut++) mustNotCrash(decode, valid.slice(0, cut), `input ${n} cut at ${cut}`);
    for (let i = 0; i < FLIPS_PER_INPUT && valid.length > 0; i++) {
      const mutated = valid.slice();
      const flips = 1 + Math.floor(rand() * 3);
      for (let f = 0; f < flips; f++) mutated[Math.floor(rand() * mutated.length)]! ^= 1 << Math.floor(rand() * 8);
      mustNotCrash(decode, mutated, `input ${n} flip ${i}`);
    }
  }
}

test('frame decoding survives truncation and bit flips', () => {
  const corpus = [...SAMPLE_FRAMES, LAST_STREAM_FRAME].map((f) => encodeFrames([f]));
  corpus.push(encodeFrames([...SAMPLE_FRAMES.slice(0, -1), LAST_STREAM_FRAME]));
  fuzz((b) => decodeFrames(b, { packetType: '1rtt', receiver: 'client', maxDatagramFrameSize: 1200 }), corpus, 1);
  fuzz((b) => decodeFrames(b), corpus.slice(-1), 2);
});

test('transport parameter decoding survives truncation and bit flips', () => {
  const server = encodeTransportParameters(
    {
      originalDestinationConnectionId: hex('0102030405060708'),
      initialSourceConnectionId: hex('0a0b'),
      statelessResetToken: new Uint8Array(16),
      maxIdleTimeout: 30000,
      initialMaxData: 1 << 20,
      initialMaxStreamsBidi: 100,
      preferredAddress: {
        ipv4Address: hex('7f000001'), ipv4Port: 1, ipv6Address: new Uint8Array(16), ipv6Port: 2,
        connectionId: hex('01020304'), statelessResetToken: new Uint8Array(16),
      },
      maxDatagramFrameSize: 1200,
    },
    'server',
    { extra: [{ id: 27, value: hex('00') }] },
  );
  fuzz((b) => decodeTransportParameters(b, 'server'), [server], 3);
  fuzz((b) => decodeTransportParameters(b, 'client'), [server], 4);
});

test('packet header parsing and coalesced splitting survive truncation and bit flips', () => {
  const w = new BufferWriter();
  const l1 = writeLongHeader(w, { type: 'initial', version: 1, dcid: hex('0102030405060708'), scid: hex('aa'), token: hex('beef'), packetNumber: 1, packetNumberLength: 2 });
  w.zeros(40);
  finishLongHeader(w, l1, 16);
  w.zeros(16);
  const l2 = writeLongHeader(w, { type: 'handshake', version: 1, dcid: hex('0102030405060708'), scid: hex('aa'), packetNumber: 1, packetNumberLength: 1 });
  w.zeros(30);
  finishLongHeader(w, l2, 0);
  writeShortHeader(w, { dcid: hex('0102030405060708'), keyPhase: 1, packetNumber: 9, packetNumberLength: 4 });
  w.zeros(30);
  const coalesced = w.view();
  const vn = buildVersionNegotiation(hex('01'), hex('0203'), [1, 0x1a2a3a4a]);
  const retry = buildRetryPacket(hex('0102030405060708'), { dcid: hex('aa'), scid: hex('bbcc'), token: hex('746f6b656e') });
  const corpus = [coalesced, vn, retry];
  fuzz((b) => splitCoalescedPackets(b, 8), corpus, 5);
  fuzz((b) => parsePacket(b, 0, 8), corpus, 6);
  fuzz((b) => parseInvariantHeader(b, 8), corpus, 7);
});
