import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameEncodedLength, maxCryptoDataInFrame, maxDatagramDataInFrame, maxStreamDataInFrame } from '../../../src/quic/wire/frame-size.js';
import { encodeFrames } from '../../../src/quic/wire/frames.js';
import { LAST_STREAM_FRAME, SAMPLE_FRAMES } from './sample-frames.js';

test('frameEncodedLength equals the encoded size of every frame type', () => {
  for (const frame of [...SAMPLE_FRAMES, LAST_STREAM_FRAME]) assert.equal(frameEncodedLength(frame), encodeFrames([frame]).length, frame.kind);
});

test('size helpers give the largest data that fits, for every space up to 300 bytes and around varint edges', () => {
  const spaces = [...Array.from({ length: 300 }, (_, i) => i), 16383, 16384, 16385, 16386, 16387, 16388];
  for (const space of spaces) {
    for (const [streamId, offset, withLength] of [[0, 0, true], [4, 70000, true], [2 ** 31, 2 ** 40, false]] as const) {
      const n = maxStreamDataInFrame(space, streamId, offset, withLength);
      const size = (len: number): number =>
        frameEncodedLength({ kind: 'stream', streamId, offset, data: new Uint8Array(len), fin: false, hasLength: withLength });
      if (n < 0) {
        assert.ok(size(0) > space, `space ${space}: an empty frame would have fit`);
      } else {
        assert.ok(size(n) <= space, `space ${space}: ${n} bytes do not fit`);
        assert.ok(size(n + 1) > space, `space ${space}: ${n + 1} bytes would fit`);
      }
    }
    const c = maxCryptoDataInFrame(space, 1000);
    const csize = (len: number): number => frameEncodedLength({ kind: 'crypto', offset: 1000, data: new Uint8Array(len) });
    if (c >= 0) assert.ok(csize(c) <= space && csize(c + 1) > space, `crypto space ${space}`);
    else assert.ok(csize(0) > space);
    const d = maxDatagramDataInFrame(space, true);
    if (d >= 0) assert.ok(frameEncodedLength({ kind: 'datagram', data: new Uint8Array(d) }) <= space);
    assert.equal(maxDatagramDataInFrame(space, false), space - 1);
  }
});
