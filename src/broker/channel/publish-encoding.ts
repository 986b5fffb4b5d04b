// Encode a forwarded PUBLISH once and share the bytes between subscribers.
//
// A message fanned out to N subscribers used to be encoded N times although the bytes differ at most in
// the Packet Identifier. The encoding is kept on the message (one slot: the last (protocol family, QoS,
// RETAIN) it was made for; fan-outs almost always repeat the same one) and copied with the Packet
// Identifier patched in. Only packets whose bytes do not depend on the receiving connection are shared:
// MQTT 3.1 and 3.1.1 PUBLISH (identical on the wire, MQTT 3.1.1 §3.3), and MQTT 5.0 PUBLISH without a
// Topic Alias, Subscription Identifier or Message Expiry Interval (those are per connection or per
// moment, MQTT 5.0 §3.3.2.3). DUP re-sends are always encoded afresh.
import { encodePacket, type IPublishPacket, type ProtocolVersion, type QoS } from '../../mqtt/codec.js';
import type { Message } from '../message.js';

/** Which encoding a shared slot holds: protocol family (3.1/3.1.1 or 5.0), QoS and RETAIN. */
function encodingKey(version: ProtocolVersion, qos: QoS, retain: boolean): number {
  return (version === 5 ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
}

/** Offset of the Packet Identifier in an encoded QoS 1/2 PUBLISH: after the fixed header and topic. */
function packetIdOffset(bytes: Buffer): number {
  let i = 1;
  while (bytes[i]! & 0x80) i++;
  const topicStart = i + 1;
  return topicStart + 2 + bytes.readUInt16BE(topicStart);
}

/**
 * The PUBLISH bytes for a delivery whose encoding does not depend on the connection (see above),
 * with packetId patched in for QoS 1/2. For QoS 0 the shared buffer itself is returned: callers only
 * write it, never change it. Throws MqttEncodeError like encodePacket.
 */
export function sharedPublishBytes(message: Message, version: ProtocolVersion, qos: QoS, retain: boolean, packetId: number | undefined): Buffer {
  const key = encodingKey(version, qos, retain);
  let cached = message.encoded;
  if (cached === undefined || cached.key !== key) {
    const packet: IPublishPacket = { cmd: 'publish', topic: message.topic, payload: message.payload, qos, retain, dup: false };
    // Any valid id: every receiver gets its own patched in below.
    if (qos > 0) packet.messageId = 1;
    if (version === 5 && Object.keys(message.properties).length > 0) packet.properties = { ...message.properties };
    const bytes = encodePacket(packet, version);
    cached = { key, bytes, packetIdOffset: qos > 0 ? packetIdOffset(bytes) : -1 };
    message.encoded = cached;
  }
  if (packetId === undefined || cached.packetIdOffset < 0) return cached.bytes;
  const copy = Buffer.allocUnsafe(cached.bytes.length);
  cached.bytes.copy(copy);
  copy.writeUInt16BE(packetId, cached.packetIdOffset);
  return copy;
}
