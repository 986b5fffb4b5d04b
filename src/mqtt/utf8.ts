// MQTT 5.0 §1.5.4 [MQTT-1.5.4-1]: ill-formed UTF-8 in a UTF-8 Encoded String makes the packet
// malformed. mqtt-packet decodes strings leniently (replacing bad bytes with U+FFFD), so the raw bytes
// of the PUBLISH topic, the string every message carries, are checked before decoding.
import { isUtf8 } from 'node:buffer';

/** Whether the Topic Name of a complete PUBLISH frame is well-formed UTF-8 (true if too short to tell). */
export function publishTopicIsWellFormed(frame: Buffer): boolean {
  let pos = 1;
  // Skip the Remaining Length (MQTT 5.0 §1.5.5; the framer has validated it).
  while (pos < frame.length && pos <= 4 && (frame[pos]! & 0x80) !== 0) pos++;
  pos++;
  if (pos + 2 > frame.length) return true;
  const len = frame.readUInt16BE(pos);
  const start = pos + 2;
  if (start + len > frame.length) return true; // the decoder reports the truncation
  return isUtf8(frame.subarray(start, start + len));
}
