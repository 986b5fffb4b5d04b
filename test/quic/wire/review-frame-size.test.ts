// Review: frameEncodedLength computes ACK and flow-control frame sizes arithmetically (the packet builder
// sizes every frame before writing it). The computed size must equal the encoded size exactly, around
// every varint boundary (RFC 9000 §16) and for ACK frames with many ranges and ECN counts (§19.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameEncodedLength } from '../../../src/quic/wire/frame-size.js';
import { encodeFrames, type AckFrame, type AckRange, type Frame } from '../../../src/quic/wire/frames.js';
import { QuicError } from '../../../src/quic/wire/errors.js';

/** Values on both sides of each varint length boundary. */
const EDGES = [0, 1, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 40, Number.MAX_SAFE_INTEGER];

/** A small deterministic generator (xorshift32) so the sample is reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function randomAck(next: () => number): AckFrame {
  const pick = (): number => EDGES[Math.floor(next() * EDGES.length)]!;
  let largest = Math.min(Math.max(pick(), 2 ** 20) + Math.floor(next() * 1000), Number.MAX_SAFE_INTEGER);
  const ranges: AckRange[] = [];
  const count = 1 + Math.floor(next() * 12);
  for (let i = 0; i < count && largest >= 0; i++) {
    const length = Math.min(largest, Math.floor(next() * (next() < 0.3 ? 70_000 : 70)));
    ranges.push({ smallest: largest - length, largest });
    const gap = Math.floor(next() * (next() < 0.3 ? 20_000 : 60));
    largest = largest - length - gap - 2;
  }
  const frame: AckFrame = { kind: 'ack', ranges, ackDelay: pick() };
  if (next() < 0.5) frame.ecn = { ect0: pick(), ect1: pick(), ce: pick() };
  return frame;
}

test('ACK frame sizes equal their encoding for 500 generated frames', () => {
  const next = rng(0x9e3779b9);
  for (let i = 0; i < 500; i++) {
    const frame = randomAck(next);
    assert.equal(frameEncodedLength(frame), encodeFrames([frame]).length, JSON.stringify(frame));
  }
});

test('MAX_DATA and MAX_STREAM_DATA sizes equal their encoding at every varint edge', () => {
  for (const a of EDGES) {
    for (const b of EDGES) {
      const frames: Frame[] = [
        { kind: 'max_data', maximum: a },
        { kind: 'max_stream_data', streamId: a, maximum: b },
      ];
      for (const f of frames) assert.equal(frameEncodedLength(f), encodeFrames([f]).length, JSON.stringify(f));
    }
  }
});

test('an invalid ACK or out-of-range value is still refused (INTERNAL_ERROR) when the frame is written', () => {
  const overlapping: AckFrame = { kind: 'ack', ranges: [{ smallest: 5, largest: 10 }, { smallest: 1, largest: 4 }], ackDelay: 0 };
  assert.throws(() => encodeFrames([overlapping]), QuicError);
  assert.throws(() => encodeFrames([{ kind: 'ack', ranges: [], ackDelay: 0 }]), QuicError);
  assert.throws(() => frameEncodedLength({ kind: 'max_data', maximum: -1 }), QuicError);
});
