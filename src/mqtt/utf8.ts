// MQTT 5.0 §1.5.4 [MQTT-1.5.4-1]: ill-formed UTF-8 in a UTF-8 Encoded String makes the packet
// malformed. mqtt-packet decodes strings leniently (replacing bad bytes with U+FFFD), so the raw bytes
// of the strings the broker keeps or routes on (PUBLISH topic, SUBSCRIBE/UNSUBSCRIBE filters, CONNECT
// client id, will topic and user name) and every string inside 5.0 properties (content type, response
// topic, reason string, user properties, ...) are checked before decoding.
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

/** CONNECT flag bits (MQTT 5.0 §3.1.2.3). */
const WILL_FLAG = 0x04;
const USER_NAME_FLAG = 0x80;

/**
 * Walks a frame's fields from just after the fixed header. Every read is bounds-checked: a frame cut
 * short is reported as "cannot tell" (undefined) and left to the decoder, which rejects it.
 */
class FieldReader {
  pos: number;
  /** @param start where the fields begin; by default just after a fixed header. */
  constructor(
    private readonly frame: Buffer,
    start?: number,
  ) {
    if (start !== undefined) {
      this.pos = start;
      return;
    }
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
    return this.properties() !== undefined;
  }

  /** Reads a property block and returns its properties (without the length), or undefined if cut short. */
  properties(): Buffer | undefined {
    const len = this.varint();
    if (len === undefined || this.pos + len > this.frame.length) return undefined;
    const start = this.pos;
    this.pos += len;
    return this.frame.subarray(start, start + len);
  }

  /** A Variable Byte Integer (MQTT 5.0 §1.5.5), undefined if cut short or longer than 4 bytes. */
  varint(): number | undefined {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.byte();
      if (b === undefined) return undefined;
      value += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) return value;
    }
    return undefined;
  }
}

/** How each property's value is encoded (MQTT 5.0 §2.2.2.2, table 2-4). */
const enum PropertyValue {
  Byte,
  TwoByteInteger,
  FourByteInteger,
  VariableByteInteger,
  BinaryData,
  Utf8String,
  Utf8StringPair,
}

const PROPERTY_VALUES = new Map<number, PropertyValue>([
  [0x01, PropertyValue.Byte], // Payload Format Indicator
  [0x02, PropertyValue.FourByteInteger], // Message Expiry Interval
  [0x03, PropertyValue.Utf8String], // Content Type
  [0x08, PropertyValue.Utf8String], // Response Topic
  [0x09, PropertyValue.BinaryData], // Correlation Data
  [0x0b, PropertyValue.VariableByteInteger], // Subscription Identifier
  [0x11, PropertyValue.FourByteInteger], // Session Expiry Interval
  [0x12, PropertyValue.Utf8String], // Assigned Client Identifier
  [0x13, PropertyValue.TwoByteInteger], // Server Keep Alive
  [0x15, PropertyValue.Utf8String], // Authentication Method
  [0x16, PropertyValue.BinaryData], // Authentication Data
  [0x17, PropertyValue.Byte], // Request Problem Information
  [0x18, PropertyValue.FourByteInteger], // Will Delay Interval
  [0x19, PropertyValue.Byte], // Request Response Information
  [0x1a, PropertyValue.Utf8String], // Response Information
  [0x1c, PropertyValue.Utf8String], // Server Reference
  [0x1f, PropertyValue.Utf8String], // Reason String
  [0x21, PropertyValue.TwoByteInteger], // Receive Maximum
  [0x22, PropertyValue.TwoByteInteger], // Topic Alias Maximum
  [0x23, PropertyValue.TwoByteInteger], // Topic Alias
  [0x24, PropertyValue.Byte], // Maximum QoS
  [0x25, PropertyValue.Byte], // Retain Available
  [0x26, PropertyValue.Utf8StringPair], // User Property
  [0x27, PropertyValue.FourByteInteger], // Maximum Packet Size
  [0x28, PropertyValue.Byte], // Wildcard Subscription Available
  [0x29, PropertyValue.Byte], // Subscription Identifier Available
  [0x2a, PropertyValue.Byte], // Shared Subscription Available
]);

/**
 * Whether the UTF-8 strings of one property block are well-formed. Unknown identifiers and cut-short
 * values answer true: the decoder rejects those as malformed anyway.
 */
function propertyBlockIsWellFormed(block: Buffer): boolean {
  const r = new FieldReader(block, 0);
  while (!r.atEnd) {
    // MQTT 5.0 §2.2.2.2: the identifier is a Variable Byte Integer; every defined one fits in a byte.
    const id = r.varint();
    const kind = id === undefined ? undefined : PROPERTY_VALUES.get(id);
    switch (kind) {
      case undefined:
        return true;
      case PropertyValue.Byte:
        if (!r.skip(1)) return true;
        break;
      case PropertyValue.TwoByteInteger:
        if (!r.skip(2)) return true;
        break;
      case PropertyValue.FourByteInteger:
        if (!r.skip(4)) return true;
        break;
      case PropertyValue.VariableByteInteger:
        if (r.varint() === undefined) return true;
        break;
      case PropertyValue.BinaryData:
        if (r.prefixed() === undefined) return true;
        break;
      case PropertyValue.Utf8String:
      case PropertyValue.Utf8StringPair: {
        const strings = kind === PropertyValue.Utf8String ? 1 : 2;
        for (let i = 0; i < strings; i++) {
          const value = r.prefixed();
          if (value === undefined) return true;
          if (!isUtf8(value)) return false;
        }
        break;
      }
    }
  }
  return true;
}

/** QoS bits of a PUBLISH fixed header (MQTT 5.0 §3.3.1.2). */
const PUBLISH_QOS_MASK = 0x06;

/**
 * Whether every UTF-8 string inside the properties of a complete MQTT 5.0 frame is well-formed (MQTT 5.0
 * §1.5.4 [MQTT-1.5.4-1], §2.2.2.2): Content Type, Response Topic, Reason String, User Properties,
 * Authentication Method and the rest. One pass over the property bytes only; the payload is not read.
 * True when the frame is too short to tell (the decoder rejects it).
 */
export function propertyStringsAreWellFormed(frame: Buffer): boolean {
  const type = frame[0]! >> 4;
  const r = new FieldReader(frame);
  const block = (): boolean => {
    const props = r.properties();
    return props === undefined || propertyBlockIsWellFormed(props);
  };
  switch (type) {
    case 1: {
      // CONNECT (§3.1.2): Protocol Name, Level, Flags, Keep Alive, Properties; then Client Identifier and,
      // with the Will Flag, the Will Properties (§3.1.3.2).
      if (r.prefixed() === undefined || !r.skip(1)) return true;
      const flags = r.byte();
      if (flags === undefined || !r.skip(2)) return true;
      if (!block()) return false;
      if ((flags & WILL_FLAG) === 0 || r.prefixed() === undefined) return true;
      return block();
    }
    case 3: {
      // PUBLISH (§3.3.2): Topic Name, Packet Identifier when QoS > 0, Properties.
      if (r.prefixed() === undefined) return true;
      if ((frame[0]! & PUBLISH_QOS_MASK) !== 0 && !r.skip(2)) return true;
      return block();
    }
    case 4:
    case 5:
    case 6:
    case 7:
      // PUBACK, PUBREC, PUBREL, PUBCOMP (§3.4.2): Packet Identifier, then optional Reason Code and Properties.
      if (!r.skip(2) || !r.skip(1) || r.atEnd) return true;
      return block();
    case 8:
    case 10:
      // SUBSCRIBE, UNSUBSCRIBE (§3.8.2, §3.10.2): Packet Identifier, Properties.
      if (!r.skip(2)) return true;
      return block();
    case 14:
    case 15:
      // DISCONNECT, AUTH (§3.14.2, §3.15.2): optional Reason Code, then optional Properties.
      if (!r.skip(1) || r.atEnd) return true;
      return block();
    default:
      return true;
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
