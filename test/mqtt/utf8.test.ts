import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishTopicIsWellFormed } from '../../src/mqtt/utf8.js';

const publish = (topic: Buffer): Buffer => Buffer.concat([Buffer.from([0x30, topic.length + 2, 0x00, topic.length]), topic]);

test('well-formed topics pass, ill-formed UTF-8 does not (MQTT 5.0 §1.5.4)', () => {
  assert.equal(publishTopicIsWellFormed(publish(Buffer.from('a/ü/€/😀'))), true);
  assert.equal(publishTopicIsWellFormed(publish(Buffer.from([0x61, 0xff]))), false);
  assert.equal(publishTopicIsWellFormed(publish(Buffer.from([0xc3]))), false); // truncated sequence
  assert.equal(publishTopicIsWellFormed(publish(Buffer.from([0xed, 0xa0, 0x80]))), false); // UTF-16 surrogate
  assert.equal(publishTopicIsWellFormed(publish(Buffer.from([0xc0, 0xaf]))), false); // overlong '/'
});

test('frames too short to tell are left to the decoder', () => {
  assert.equal(publishTopicIsWellFormed(Buffer.from([0x30, 0x01, 0x00])), true);
  assert.equal(publishTopicIsWellFormed(Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61])), true);
});
