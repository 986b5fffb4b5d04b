// UNSUBSCRIBE -> UNSUBACK (MQTT 5.0 §3.10, §3.11).
import type { IUnsubscribePacket } from '../../mqtt/codec.js';
import { ReasonCode } from '../../mqtt/reason-codes.js';
import { isSharedFilter, parseSharedFilter, validateTopicFilter } from '../../mqtt/topic.js';
import type { Channel } from './channel.js';

export function handleUnsubscribe(ch: Channel, packet: IUnsubscribePacket): void {
  const { ctx } = ch;
  const session = ch.session!;
  // MQTT 5.0 §3.10.3 [MQTT-3.10.3-2] / 3.1.1 [MQTT-3.10.3-2]: at least one topic filter.
  if (packet.unsubscriptions.length === 0) return ch.protocolViolation(ReasonCode.ProtocolError, 'UNSUBSCRIBE without a topic filter');
  const codes: number[] = [];
  for (const full of packet.unsubscriptions) {
    let filter = full;
    if (isSharedFilter(full)) {
      const parsed = parseSharedFilter(full);
      if ('error' in parsed) {
        codes.push(ReasonCode.TopicFilterInvalid);
        continue;
      }
      filter = parsed.filter;
    }
    if (!validateTopicFilter(filter).ok) {
      codes.push(ReasonCode.TopicFilterInvalid);
      continue;
    }
    const stored = session.subscriptions.get(full);
    if (!stored) {
      // MQTT 5.0 §3.11.3: 0x11 No subscription existed.
      codes.push(ReasonCode.NoSubscriptionExisted);
      continue;
    }
    session.subscriptions.delete(full);
    ctx.router.unsubscribe(session.clientId, stored.filter, stored.group);
    codes.push(ReasonCode.Success);
  }
  ctx.metrics.subscriptions.set(ctx.router.subscriptionCount);
  // 3.1/3.1.1 UNSUBACK has no payload (MQTT 3.1.1 §3.11.3).
  ch.send(ch.isV5 ? { cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: codes } : { cmd: 'unsuback', messageId: packet.messageId ?? 0, granted: [] });
}
