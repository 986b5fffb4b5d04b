// Hand-written encoders and decoders for the packets of the message flow (PUBLISH, PUBACK, PUBREC,
// PUBREL, PUBCOMP), used before mqtt-packet on the broker's hot path. Each one handles only inputs for
// which it produces exactly what mqtt-packet produces (or, for encoding, a shorter form the spec allows)
// and returns undefined for everything else, so mqtt-packet keeps deciding every edge case and every
// error: validation is unchanged by construction (test/broker/perf-codec.test.ts checks both against
// each other).
import type { IPublishPacket, IPubackPacket, Packet, QoS } from 'mqtt-packet';

/** First byte of each acknowledgement (MQTT 5.0 §2.1.2; PUBREL's reserved flags are 0b0010, §3.6.1). */
const ACK_FIRST_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;
type AckCmd = keyof typeof ACK_FIRST_BYTE;

/** MQTT 5.0 §2.1.2: control packet type 3 = PUBLISH, 4 = PUBACK. */
const TYPE_PUBLISH = 3;
const PUBACK_FIRST_BYTE = 0x40;
const MAX_PACKET_ID = 0xffff;

function isAckCmd(cmd: string): cmd is AckCmd {
  return cmd === 'puback' || cmd === 'pubrec' || cmd === 'pubrel' || cmd === 'pubcomp';
}

/**
 * PUBACK/PUBREC/PUBREL/PUBCOMP without properties: 4 bytes, or 6 in MQTT 5.0 with a non-zero reason
 * code. MQTT 5.0 §3.4.2.1 (and §3.5.2.1, §3.6.2.1, §3.7.2.1): the Reason Code and Property Length can be
 * omitted when the code is 0x00 Success and there are no properties. Undefined: let mqtt-packet do it.
 */
export function encodeAckFast(packet: Packet, version: number): Buffer | undefined {
  if (!isAckCmd(packet.cmd)) return undefined;
  const ack = packet as { messageId?: number; reasonCode?: number; properties?: object; dup?: boolean };
  const id = ack.messageId;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_PACKET_ID || ack.dup) return undefined;
  let code = 0;
  if (version === 5) {
    if (ack.properties !== undefined && Object.keys(ack.properties).length > 0) return undefined;
    code = ack.reasonCode ?? 0;
    if (!Number.isInteger(code) || code < 0 || code > 0xff) return undefined;
  }
  const first = ACK_FIRST_BYTE[packet.cmd];
  const out = Buffer.allocUnsafe(code === 0 ? 4 : 6);
  out[0] = first;
  out[1] = out.length - 2;
  out.writeUInt16BE(id, 2);
  if (code !== 0) {
    // MQTT 5.0 §3.4.2.2.1: with a Reason Code present, the Property Length follows (0: no properties).
    out[4] = code;
    out[5] = 0;
  }
  return out;
}

/** MQTT 5.0 §1.5.5: the largest Remaining Length a Variable Byte Integer can carry. */
const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes of a Variable Byte Integer (MQTT 5.0 §1.5.5). */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * An MQTT 3.1/3.1.1 PUBLISH (MQTT 3.1.1 §3.3: fixed header, Topic Name, Packet Identifier for QoS 1/2,
 * payload) with a string topic and a Buffer payload; undefined for anything mqtt-packet should judge
 * (5.0, a missing or out-of-range Packet Identifier, an oversized packet).
 */
export function encodePublishFastV4(packet: Packet, version: number): Buffer | undefined {
  if (packet.cmd !== 'publish' || version === 5) return undefined;
  const { topic, payload, qos, messageId } = packet;
  if (typeof topic !== 'string' || !Buffer.isBuffer(payload) || (qos !== 0 && qos !== 1 && qos !== 2)) return undefined;
  if (qos > 0 && (typeof messageId !== 'number' || !Number.isInteger(messageId) || messageId < 1 || messageId > MAX_PACKET_ID)) return undefined;
  const topicBytes = Buffer.byteLength(topic);
  const remaining = 2 + topicBytes + (qos > 0 ? 2 : 0) + payload.length;
  if (remaining > MAX_REMAINING_LENGTH || topicBytes > 0xffff) return undefined;
  const out = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  // MQTT 3.1.1 §3.3.1: DUP bit 3, QoS bits 2-1, RETAIN bit 0.
  out[0] = (TYPE_PUBLISH << 4) | (packet.dup ? 8 : 0) | (qos << 1) | (packet.retain ? 1 : 0);
  let pos = 1;
  let n = remaining;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out[pos++] = byte;
  } while (n > 0);
  out.writeUInt16BE(topicBytes, pos);
  pos += 2;
  pos += out.write(topic, pos, 'utf8');
  if (qos > 0) {
    out.writeUInt16BE(messageId!, pos);
    pos += 2;
  }
  payload.copy(out, pos);
  return out;
}

/** Offset just past the fixed header (type byte + Remaining Length), or -1 if it is not complete. */
function bodyOffset(frame: Buffer): number {
  for (let i = 1; i <= 4 && i < frame.length; i++) {
    if ((frame[i]! & 0x80) === 0) return i + 1;
  }
  return -1;
}

/**
 * Decodes a whole MQTT 3.1/3.1.1 PUBLISH or PUBACK frame (fixed header included, as PacketFramer
 * returns it), or returns undefined for anything else, including any frame mqtt-packet would reject
 * or read differently. The payload is copied: the frame is usually a view of a 64 KiB socket chunk
 * that a queued message must not keep alive.
 */
export function decodeFlowPacketV4(frame: Buffer): Packet | undefined {
  const first = frame[0];
  if (first === undefined) return undefined;
  if (first === PUBACK_FIRST_BYTE) {
    // MQTT 3.1.1 §3.4: Remaining Length 2, the Packet Identifier.
    if (frame.length !== 4 || frame[1] !== 2) return undefined;
    const puback: IPubackPacket & { retain: boolean; qos: 0; dup: boolean; length: number; topic: null; payload: null } = {
      cmd: 'puback',
      retain: false,
      qos: 0,
      dup: false,
      length: 2,
      topic: null,
      payload: null,
      messageId: frame.readUInt16BE(2),
    };
    return puback;
  }
  if (first >> 4 !== TYPE_PUBLISH) return undefined;
  // MQTT 3.1.1 §3.3.1.2: QoS 3 is malformed; mqtt-packet reports it.
  const qos = ((first >> 1) & 3) as QoS | 3;
  if (qos === 3) return undefined;
  const start = bodyOffset(frame);
  if (start < 0) return undefined;
  // MQTT 3.1.1 §3.3.2: Topic Name (length-prefixed UTF-8), then the Packet Identifier for QoS 1/2.
  if (start + 2 > frame.length) return undefined;
  const topicLength = frame.readUInt16BE(start);
  const topicEnd = start + 2 + topicLength;
  const payloadStart = qos > 0 ? topicEnd + 2 : topicEnd;
  if (payloadStart > frame.length) return undefined;
  const publish: IPublishPacket & { length: number } = {
    cmd: 'publish',
    retain: (first & 1) !== 0,
    qos,
    dup: (first & 8) !== 0,
    length: frame.length - start,
    topic: frame.toString('utf8', start + 2, topicEnd),
    payload: Buffer.from(frame.subarray(payloadStart)),
  };
  if (qos > 0) publish.messageId = frame.readUInt16BE(topicEnd);
  return publish;
}
