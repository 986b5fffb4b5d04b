// SUBSCRIBE -> SUBACK, then the retained messages the subscription asks for (MQTT 5.0 §3.8, §3.9).
import type { ISubscribePacket, QoS } from '../../mqtt/codec.js';
import { ReasonCode, SUBACK_FAILURE_V4 } from '../../mqtt/reason-codes.js';
import { hasWildcard, isSharedFilter, parseSharedFilter, validateTopicFilter } from '../../mqtt/topic.js';
import type { SubscriptionOptions } from '../router/router.js';
import type { Channel } from './channel.js';

/** MQTT 5.0 §3.8.2.1.2: Subscription Identifier is 1..268435455. */
const MAX_SUBSCRIPTION_ID = 268435455;

export function handleSubscribe(ch: Channel, packet: ISubscribePacket): void {
  const { ctx } = ch;
  const mqtt = ctx.config.mqtt;
  const session = ch.session!;
  // MQTT 5.0 §3.8.3 [MQTT-3.8.3-2] / 3.1.1 [MQTT-3.8.3-3]: at least one topic filter.
  if (packet.subscriptions.length === 0) return ch.protocolViolation(ReasonCode.ProtocolError, 'SUBSCRIBE without a topic filter');
  const subId = ch.isV5 ? packet.properties?.subscriptionIdentifier : undefined;
  if (subId !== undefined && (subId < 1 || subId > MAX_SUBSCRIPTION_ID)) {
    return ch.protocolViolation(ReasonCode.ProtocolError, `subscription identifier ${subId} out of range`);
  }
  const granted: number[] = [];
  const retainedFor: Array<{ filter: string; options: SubscriptionOptions }> = [];
  for (const sub of packet.subscriptions) {
    const full = sub.topic;
    let filter = full;
    let group: string | undefined;
    let code: number | undefined;
    if (isSharedFilter(full)) {
      const parsed = parseSharedFilter(full);
      if ('error' in parsed) code = ReasonCode.TopicFilterInvalid;
      else {
        filter = parsed.filter;
        group = parsed.group;
        // MQTT 5.0 §3.8.3.1 [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error.
        if (sub.nl) return ch.protocolViolation(ReasonCode.ProtocolError, 'No Local on a shared subscription');
        if (!mqtt.shared_subscription) code = ReasonCode.SharedSubscriptionsNotSupported;
      }
    }
    if (code === undefined && !validateTopicFilter(filter, { maxLevels: mqtt.max_topic_levels }).ok) code = ReasonCode.TopicFilterInvalid;
    if (code === undefined && !mqtt.wildcard_subscription && hasWildcard(filter)) code = ReasonCode.WildcardSubscriptionsNotSupported;
    if (
      code === undefined &&
      !ch.superuser &&
      ctx.authorizer &&
      !ctx.authorizer.authorize({ clientId: ch.clientId, username: ch.username, superuser: ch.superuser }, 'subscribe', full)
    ) {
      code = ReasonCode.NotAuthorized;
    }
    const existed = session.subscriptions.has(full);
    // Subscriptions live as long as the session: a bound per session keeps one client from filling the
    // router. Replacing an existing subscription adds nothing (MQTT 5.0 §3.8.4), so it is always allowed.
    if (code === undefined && !existed && mqtt.max_subscriptions > 0 && session.subscriptions.size >= mqtt.max_subscriptions) {
      code = ReasonCode.QuotaExceeded;
    }
    if (code !== undefined) {
      // MQTT 3.1 §3.9 has no failure return code (0x80 came with 3.1.1 §3.9.3): a 3.1 client would read
      // 0x80 as a granted QoS, so the only truthful refusal is to close the connection.
      if (ch.version === 3) {
        return ch.close({ reason: `subscription to ${JSON.stringify(full)} refused (reason 0x${code.toString(16)}); MQTT 3.1 has no SUBACK failure code`, publishWill: true });
      }
      granted.push(ch.isV5 ? code : SUBACK_FAILURE_V4);
      continue;
    }
    // MQTT 5.0 §3.9.3: the server may grant a lower QoS than requested.
    const qos = Math.min(sub.qos, mqtt.max_qos_allowed) as QoS;
    const options: SubscriptionOptions = {
      qos,
      noLocal: ch.isV5 && sub.nl === true,
      retainAsPublished: ch.isV5 && sub.rap === true,
      retainHandling: ch.isV5 ? ((sub.rh ?? 0) as 0 | 1 | 2) : 0,
      ...(subId !== undefined ? { subscriptionId: subId } : {}),
    };
    session.subscriptions.set(full, { filter, ...(group !== undefined ? { group } : {}), options });
    // The session's id is the router key: the client id, or a data stream's own (channel.ts).
    ctx.router.subscribe(session.clientId, filter, options, group);
    granted.push(qos);
    // MQTT 5.0 §3.8.3.1 Retain Handling: 0 always, 1 only for a new subscription, 2 never; and no
    // retained messages for shared subscriptions (§4.8.2).
    if (group === undefined && (options.retainHandling === 0 || (options.retainHandling === 1 && !existed))) {
      retainedFor.push({ filter, options });
    }
  }
  ctx.metrics.subscriptions.set(ctx.router.subscriptionCount);
  ch.send({ cmd: 'suback', messageId: packet.messageId ?? 0, granted });
  if (!mqtt.retain_available) return;
  const now = ctx.now();
  for (const { filter, options } of retainedFor) {
    for (const message of ctx.retained.match(filter, now)) {
      // MQTT 5.0 §3.3.1.3: retained messages sent because of a new subscription have RETAIN set.
      session.deliver({
        message,
        qos: Math.min(message.qos, options.qos) as QoS,
        retain: true,
        subscriptionIds: options.subscriptionId !== undefined ? [options.subscriptionId] : [],
      });
    }
  }
}
