// The packets the load generator and the sink send, built once with mqtt-packet (so they are exactly what
// a conforming encoder produces) and then stamped in place: a PUBLISH template gets its Packet Identifier
// and send timestamp written into a copy, which is all the hot path does per message. MQTT 3.1.1 only
// (protocol level 4): every broker under test speaks it, and it has no properties to skip on receive.
import mqttPacket from 'mqtt-packet';

/** The payload starts with the send time (float64, µs of the monotonic clock) then this marker. */
export const PAYLOAD_MAGIC = 0x514d5142; // "QMQB"
/** Timestamp (8 bytes) + marker (4 bytes): the smallest payload the benchmark can send. */
export const MIN_PAYLOAD_BYTES = 12;
/** MQTT 3.1.1 §3.3.2.2: Packet Identifiers are 1..65535. */
export const MAX_PACKET_ID = 65535;

/** Packet types (MQTT 3.1.1 §2.2.1), as the high nibble of the first byte. */
export const PacketType = {
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  SUBSCRIBE: 8,
  SUBACK: 9,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  CONNECT: 1,
} as const;

/**
 * Microseconds of the system's monotonic clock. process.hrtime() reads CLOCK_MONOTONIC, which is one clock
 * for every process on the machine, so a timestamp written by one process can be subtracted in another.
 */
export function monotonicMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

export function connectPacket(clientId: string, keepaliveSeconds: number): Buffer {
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: keepaliveSeconds });
}

export function subscribePacket(filter: string, qos: 0 | 1, messageId: number): Buffer {
  return mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }] });
}

export function disconnectPacket(): Buffer {
  return mqttPacket.generate({ cmd: 'disconnect' });
}

/** MQTT 3.1.1 §3.4: PUBACK is 0x40, remaining length 2, then the Packet Identifier. */
export function writePuback(target: Buffer, offset: number, packetId: number): void {
  target[offset] = 0x40;
  target[offset + 1] = 2;
  target.writeUInt16BE(packetId, offset + 2);
}
export const PUBACK_BYTES = 4;

/** A PUBLISH encoded once; stamp() copies it with a new Packet Identifier and timestamp. */
export class PublishTemplate {
  readonly bytes: Buffer;
  /** Where the Packet Identifier is (QoS 1), or -1. */
  readonly packetIdOffset: number;
  readonly payloadOffset: number;

  constructor(
    readonly topic: string,
    readonly qos: 0 | 1,
    payloadBytes: number,
  ) {
    if (!Number.isInteger(payloadBytes) || payloadBytes < MIN_PAYLOAD_BYTES) {
      throw new RangeError(`payload must be at least ${MIN_PAYLOAD_BYTES} bytes, got ${payloadBytes}`);
    }
    const payload = Buffer.alloc(payloadBytes);
    payload.writeUInt32BE(PAYLOAD_MAGIC, 8);
    this.bytes = mqttPacket.generate({ cmd: 'publish', topic, payload, qos, dup: false, retain: false, ...(qos > 0 ? { messageId: 1 } : {}) });
    this.payloadOffset = this.bytes.length - payloadBytes;
    // MQTT 3.1.1 §3.3.2: the Packet Identifier directly precedes the payload (no properties in 3.1.1).
    this.packetIdOffset = qos > 0 ? this.payloadOffset - 2 : -1;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Writes a copy at target[offset] with this Packet Identifier (ignored for QoS 0) and timestamp. */
  stamp(target: Buffer, offset: number, packetId: number, timestampUs: number): void {
    this.bytes.copy(target, offset);
    if (this.packetIdOffset >= 0) target.writeUInt16BE(packetId, offset + this.packetIdOffset);
    target.writeDoubleBE(timestampUs, offset + this.payloadOffset);
  }
}

/** What a received PUBLISH carries that the benchmark needs. */
export interface PublishView {
  qos: number;
  packetId: number;
  /** The send timestamp, or NaN when the payload is not one of ours. */
  timestampUs: number;
}

/**
 * Reads a PUBLISH in place (MQTT 3.1.1 §3.3): topic length and topic, Packet Identifier when QoS > 0, then
 * the payload. Reuses `out` so the hot path allocates nothing. Returns false for a malformed packet.
 */
export function readPublish(buf: Buffer, offset: number, headerLength: number, remainingLength: number, out: PublishView): boolean {
  const qos = (buf[offset]! >> 1) & 3;
  const end = offset + headerLength + remainingLength;
  let p = offset + headerLength;
  if (p + 2 > end) return false;
  p += 2 + buf.readUInt16BE(p);
  if (qos > 0) {
    if (p + 2 > end) return false;
    out.packetId = buf.readUInt16BE(p);
    p += 2;
  } else out.packetId = 0;
  if (p > end) return false;
  out.qos = qos;
  out.timestampUs = end - p >= MIN_PAYLOAD_BYTES && buf.readUInt32BE(p + 8) === PAYLOAD_MAGIC ? buf.readDoubleBE(p) : NaN;
  return true;
}
