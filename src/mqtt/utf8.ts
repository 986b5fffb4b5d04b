// MQTT 5.0 §1.5.4 [MQTT-1.5.4-1]: ill-formed UTF-8 in a UTF-8 Encoded String makes the packet
// malformed. mqtt-packet decodes strings leniently (replacing bad bytes with U+FFFD), so the raw bytes
// of the strings the broker keeps or routes on (PUBLISH topic, SUBSCRIBE/UNSUBSCRIBE filters, CONNECT
// client id, will topic and user name) are checked before decoding. Property strings are not checked.
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

/**
 * Walks a frame's fields from just after the fixed header. Every read is bounds-checked: a frame cut
 * short is reported as "cannot tell" (undefined) and left to the decoder, which rejects it.
 */
class FieldReader {
  pos: number;
  constructor(private readonly frame: Buffer) {
    let pos = 1;
    // Skip the Remaining Length (MQTT 5.0 §1.5.5; the framer has validated it).
    while (pos < frame.length && pos <= 4 && (frame[pos]! & 0x80) !== 0) pos++;
    this.pos = pos + 1;
  }

  get atEnd(): boolean {
    return this.pos >= this.frame.length;
  }

  skip(n: number): boolean {
    if (this.pos + n > this.frame.length) return false;
    this.pos += n;
    return true;
  }

  byte(): number | undefined {
    return this.pos < this.frame.length ? this.frame[this.pos++]! : undefined;
  }

  /** A Two Byte Integer length followed by that many bytes (UTF-8 string or binary data, §1.5.4, §1.5.6). */
  prefixed(): Buffer | undefined {
    if (this.pos + 2 > this.frame.length) return undefined;
    const len = this.frame.readUInt16BE(this.pos);
    const start = this.pos + 2;
    if (start + len > this.frame.length) return undefined;
    this.pos = start + len;
    return this.frame.subarray(start, start + len);
  }

  /** Skips a property block: Variable Byte Integer length, then the properties (MQTT 5.0 §2.2.2.1). */
  skipProperties(): boolean {
    let len = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      if (b === undefined) return false;
      len += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) return this.skip(len);
    }
    return false;
  }
}

/**
 * Whether every Topic Filter of a complete SUBSCRIBE or UNSUBSCRIBE frame is well-formed UTF-8 (MQTT 5.0
 * §1.5.4 [MQTT-1.5.4-1], §3.8.3, §3.10.3). Filters are kept for the life of a session, so a lenient
 * decoding (U+FFFD) must not slip into the router. True when the frame is too short to tell.
 */
export function subscriptionFiltersAreWellFormed(frame: Buffer, isV5: boolean): boolean {
  const isSubscribe = frame[0]! >> 4 === 8;
  const r = new FieldReader(frame);
  if (!r.skip(2)) return true; // Packet Identifier
  if (isV5 && !r.skipProperties()) return true;
  while (!r.atEnd) {
    const filter = r.prefixed();
    if (filter === undefined) return true;
    if (!isUtf8(filter)) return false;
    if (isSubscribe && !r.skip(1)) return true; // Subscription Options
  }
  return true;
}

/** CONNECT flag bits (MQTT 5.0 §3.1.2.3). */
const WILL_FLAG = 0x04;
const USER_NAME_FLAG = 0x80;

/**
 * Whether the Client Identifier, Will Topic and User Name of a complete CONNECT frame are well-formed
 * UTF-8 (MQTT 5.0 §1.5.4 [MQTT-1.5.4-1], §3.1.3). True when the frame is too short to tell.
 */
export function connectStringsAreWellFormed(frame: Buffer, isV5: boolean): boolean {
  const r = new FieldReader(frame);
  if (r.prefixed() === undefined || !r.skip(1)) return true; // Protocol Name, Protocol Level
  const flags = r.byte();
  if (flags === undefined || !r.skip(2)) return true; // Connect Flags, Keep Alive
  if (isV5 && !r.skipProperties()) return true;
  const clientId = r.prefixed();
  if (clientId === undefined) return true;
  if (!isUtf8(clientId)) return false;
  if ((flags & WILL_FLAG) !== 0) {
    if (isV5 && !r.skipProperties()) return true;
    const willTopic = r.prefixed();
    if (willTopic === undefined) return true;
    if (!isUtf8(willTopic)) return false;
    if (r.prefixed() === undefined) return true; // Will Payload (binary)
  }
  if ((flags & USER_NAME_FLAG) !== 0) {
    const userName = r.prefixed();
    if (userName !== undefined && !isUtf8(userName)) return false;
  }
  return true;
}
