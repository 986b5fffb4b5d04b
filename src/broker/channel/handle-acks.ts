// PUBACK, PUBREC, PUBREL, PUBCOMP from a client (MQTT 5.0 §3.4-3.7, §4.3.2-3).
import type { IPubackPacket, IPubrecPacket, IPubrelPacket, IPubcompPacket } from '../../mqtt/codec.js';
import { ReasonCode, isFailure } from '../../mqtt/reason-codes.js';
import type { Channel } from './channel.js';

/** QoS 1 delivery acknowledged: the packet id is free again (MQTT 5.0 §4.3.2). */
export function handlePuback(ch: Channel, packet: IPubackPacket): void {
  const session = ch.session!;
  const entry = session.inflight.get(packet.messageId ?? 0);
  // An ack for an unknown id is ignored: it may answer a PUBLISH sent before a reconnect.
  if (!entry || entry.delivery.qos !== 1) return;
  session.inflight.delete(entry.packetId);
  ch.pump();
}

/** QoS 2 step 1 acknowledged: answer PUBREL, unless the receiver refused it (MQTT 5.0 §4.3.3). */
export function handlePubrec(ch: Channel, packet: IPubrecPacket): void {
  const session = ch.session!;
  const id = packet.messageId ?? 0;
  const entry = session.inflight.get(id);
  if (!entry || entry.delivery.qos !== 2) {
    // MQTT 5.0 §3.6.2.1: PUBREL 0x92 Packet Identifier not found.
    ch.send({ cmd: 'pubrel', messageId: id, ...(ch.isV5 ? { reasonCode: ReasonCode.PacketIdentifierNotFound } : {}) });
    return;
  }
  if (ch.isV5 && packet.reasonCode !== undefined && isFailure(packet.reasonCode)) {
    // MQTT 5.0 §4.3.3: a PUBREC with a failure code ends the flow; the id is free.
    session.inflight.delete(id);
    ch.pump();
    return;
  }
  entry.phase = 'pubrel';
  ch.send({ cmd: 'pubrel', messageId: id });
}

/** QoS 2 from the client released: forget the id (MQTT 5.0 §4.3.3 method B, the message was routed on PUBLISH). */
export function handlePubrel(ch: Channel, packet: IPubrelPacket): void {
  const session = ch.session!;
  const id = packet.messageId ?? 0;
  const known = session.awaitingRel.delete(id);
  // MQTT 5.0 §3.7.2.1: PUBCOMP 0x92 when the id is unknown (e.g. after await_rel_timeout).
  const code = known ? ReasonCode.Success : ReasonCode.PacketIdentifierNotFound;
  ch.send({ cmd: 'pubcomp', messageId: id, ...(ch.isV5 && code !== ReasonCode.Success ? { reasonCode: code } : {}) });
}

/** QoS 2 delivery complete (MQTT 5.0 §4.3.3). */
export function handlePubcomp(ch: Channel, packet: IPubcompPacket): void {
  const session = ch.session!;
  const entry = session.inflight.get(packet.messageId ?? 0);
  if (!entry || entry.phase !== 'pubrel') return;
  session.inflight.delete(entry.packetId);
  ch.pump();
}
