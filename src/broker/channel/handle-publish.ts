// PUBLISH from a client (MQTT 5.0 §3.3, §4.3): checks, topic aliases, ACL, QoS 1/2 acknowledgement.
import type { IPublishPacket } from '../../mqtt/codec.js';
import { ReasonCode } from '../../mqtt/reason-codes.js';
import { validateTopicName } from '../../mqtt/topic.js';
import { pickForwardedProperties, type Message } from '../message.js';
import { SYS_TOPIC_ROOT } from '../sys-topics.js';
import type { Channel } from './channel.js';

export function handlePublish(ch: Channel, packet: IPublishPacket): void {
  const { ctx } = ch;
  const mqtt = ctx.config.mqtt;
  const session = ch.session!;
  const props = packet.properties ?? {};

  // MQTT 5.0 §3.3.1.1 [MQTT-3.3.1-2]: DUP MUST be 0 for QoS 0.
  if (packet.qos === 0 && packet.dup) return ch.protocolViolation(ReasonCode.MalformedPacket, 'DUP set on a QoS 0 PUBLISH');
  // MQTT 5.0 §2.2.1 [MQTT-2.2.1-3]: QoS > 0 needs a non-zero Packet Identifier.
  if (packet.qos > 0 && !packet.messageId) return ch.protocolViolation(ReasonCode.MalformedPacket, 'PUBLISH without packet identifier');
  // MQTT 5.0 §3.3.4: a client MUST NOT send a Subscription Identifier.
  if (props.subscriptionIdentifier !== undefined) return ch.protocolViolation(ReasonCode.ProtocolError, 'Subscription Identifier in a client PUBLISH');

  let topic = packet.topic;
  if (ch.isV5 && props.topicAlias !== undefined) {
    // MQTT 5.0 §3.3.2.3.4 [MQTT-3.3.2-9,10]: 0 or above the announced maximum is Topic Alias invalid.
    const alias = props.topicAlias;
    if (alias === 0 || alias > ch.topicAliasMaximum) return ch.protocolViolation(ReasonCode.TopicAliasInvalid, `topic alias ${alias} out of range`);
    if (topic.length > 0) {
      // Every alias pins its topic for the life of the connection: bound the total, not only the count
      // the Topic Alias Maximum allows (65535 aliases of 64 KiB topics would be 4 GiB). Quota exceeded is
      // the 5.0 reason for "an implementation-imposed limit was reached" (MQTT 5.0 §3.14.2.1).
      const previous = ch.inboundAliases.get(alias);
      const bytes = ch.inboundAliasBytes - (previous === undefined ? 0 : Buffer.byteLength(previous)) + Buffer.byteLength(topic);
      if (bytes > mqtt.max_topic_alias_bytes) {
        return ch.protocolViolation(ReasonCode.QuotaExceeded, `topic aliases would hold ${bytes} bytes, above max_topic_alias_bytes (${mqtt.max_topic_alias_bytes})`);
      }
      ch.inboundAliases.set(alias, topic);
      ch.inboundAliasBytes = bytes;
    } else {
      const known = ch.inboundAliases.get(alias);
      // MQTT 5.0 §3.3.4: an alias never set on this connection is a Protocol Error.
      if (known === undefined) return ch.protocolViolation(ReasonCode.ProtocolError, `topic alias ${alias} not set`);
      topic = known;
    }
  }
  // MQTT 5.0 §3.3.2.1: a zero-length Topic Name without a Topic Alias is a Protocol Error.
  if (topic.length === 0) return ch.protocolViolation(ReasonCode.ProtocolError, 'empty topic name without a topic alias');
  const check = validateTopicName(topic, { maxLevels: mqtt.max_topic_levels });
  if (!check.ok) return ch.protocolViolation(ReasonCode.TopicNameInvalid, `topic name ${check.reason}`);
  // MQTT 5.0 §3.2.2.3.4 [MQTT-3.2.2-11] / §3.2.2.3.5 [MQTT-3.2.2-14].
  if (packet.qos > mqtt.max_qos_allowed) return ch.protocolViolation(ReasonCode.QoSNotSupported, `QoS ${packet.qos} not supported`);
  if (packet.retain && !mqtt.retain_available) return ch.protocolViolation(ReasonCode.RetainNotSupported, 'retain not supported');

  const packetId = packet.messageId ?? 0;
  if (packet.qos === 2) {
    // MQTT 5.0 §4.3.3: a PUBLISH with a packet id still awaiting PUBREL is a re-delivery: acknowledge it
    // again without routing it twice (exactly once).
    if (session.awaitingRel.has(packetId)) {
      ch.send({ cmd: 'pubrec', messageId: packetId });
      return;
    }
    // MQTT 5.0 §3.3.4 [MQTT-3.3.4-9]: more unacknowledged QoS 2 PUBLISHes than Receive Maximum.
    if (session.awaitingRel.size >= ch.receiveMaximum) {
      return ch.protocolViolation(ReasonCode.ReceiveMaximumExceeded, `more than ${ch.receiveMaximum} QoS 2 messages awaiting PUBREL`);
    }
    if (mqtt.max_awaiting_rel > 0 && session.awaitingRel.size >= mqtt.max_awaiting_rel) {
      if (!ch.isV5) return ch.close({ reason: `more than ${mqtt.max_awaiting_rel} QoS 2 messages awaiting PUBREL`, publishWill: true });
      ch.send({ cmd: 'pubrec', messageId: packetId, reasonCode: ReasonCode.QuotaExceeded });
      ctx.metrics.countDropped('queue_full');
      return;
    }
  }

  ctx.metrics.countReceived(packet.qos);
  // $SYS/ belongs to the broker (MQTT 5.0 §4.7.2: servers may prevent clients from using '$' topics).
  const allowed =
    !topic.startsWith(SYS_TOPIC_ROOT) &&
    (ch.superuser || !ctx.authorizer || ctx.authorizer.authorize({ clientId: ch.clientId, username: ch.username, superuser: ch.superuser }, 'publish', topic));
  if (!allowed) {
    ctx.logger.debug({ clientId: ch.clientId, topic }, 'publish not authorized');
    ctx.metrics.countDropped('not_authorized');
    // MQTT 5.0 §3.4.2.1 / §3.5.2.1: 0x87 in PUBACK/PUBREC; QoS 0 is dropped silently. 3.1.1 has no
    // negative acknowledgement, so the flow completes normally and the message is dropped.
    if (packet.qos === 1) ch.send({ cmd: 'puback', messageId: packetId, ...(ch.isV5 ? { reasonCode: ReasonCode.NotAuthorized } : {}) });
    if (packet.qos === 2) {
      if (ch.isV5) ch.send({ cmd: 'pubrec', messageId: packetId, reasonCode: ReasonCode.NotAuthorized });
      else {
        session.awaitingRel.set(packetId, ctx.now());
        ch.send({ cmd: 'pubrec', messageId: packetId });
      }
    }
    return;
  }

  const now = ctx.now();
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  const message: Message = {
    topic,
    payload,
    qos: packet.qos,
    retain: packet.retain,
    // MQTT 5.0 §3.3.2.3: these travel unchanged to subscribers; alias and expiry are per hop.
    properties: pickForwardedProperties(props),
    publisher: ch.clientId,
    // Backpressure: a destination queue above its high-water mark holds this channel (publisher-flow.ts).
    source: ch.source,
  };
  // MQTT 5.0 §3.3.2.3.3: the message expires Message Expiry Interval seconds after it was received.
  if (props.messageExpiryInterval !== undefined) message.expiresAt = now + props.messageExpiryInterval * 1000;
  const reached = ctx.publish(message);
  // MQTT 5.0 §3.4.2.1: 0x10 No matching subscribers is a success code the server may use.
  const code = reached === 0 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  if (packet.qos === 1) ch.send({ cmd: 'puback', messageId: packetId, ...(ch.isV5 ? { reasonCode: code } : {}) });
  else if (packet.qos === 2) {
    session.awaitingRel.set(packetId, now);
    ch.send({ cmd: 'pubrec', messageId: packetId, ...(ch.isV5 ? { reasonCode: code } : {}) });
  }
}
