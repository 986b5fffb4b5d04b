// Application messages towards the client (MQTT 5.0 §4.3, §4.4, §4.9): the QoS 1/2 window (the
// client's Receive Maximum), the session queue when the window or the socket is full, message expiry,
// outgoing topic aliases, the client's Maximum Packet Size, and re-sending what is in flight.
import { encodePacket, type IPublishPacket, type Packet, type ProtocolVersion, type QoS } from '../../mqtt/codec.js';
import type { BrokerContext } from '../context.js';
import type { Session } from '../session.js';
import { remainingExpirySeconds, isExpired, type Delivery } from '../message.js';

/** What the publisher needs from its channel. */
export interface OutboundChannel {
  readonly ctx: BrokerContext;
  readonly session: Session | undefined;
  readonly clientId: string;
  readonly version: ProtocolVersion;
  readonly isV5: boolean;
  readonly connected: boolean;
  readonly congested: boolean;
  readonly clientReceiveMaximum: number;
  readonly clientMaxPacketSize: number;
  readonly clientTopicAliasMaximum: number;
  send(packet: Packet): boolean;
  writeBytes(bytes: Buffer): boolean;
}

export class OutboundPublisher {
  /** Topic -> alias assigned on this connection (MQTT 5.0 §3.3.2.3.4; aliases die with the connection). */
  private readonly aliases = new Map<string, number>();

  constructor(private readonly ch: OutboundChannel) {}

  /** Outgoing QoS 1/2 window: the client's Receive Maximum, capped by max_inflight. */
  get outboundWindow(): number {
    return Math.max(1, Math.min(this.ch.clientReceiveMaximum, this.ch.ctx.config.mqtt.max_inflight));
  }

  private canSendNow(qos: QoS): boolean {
    if (this.ch.congested) return false;
    return qos === 0 || this.ch.session!.inflight.size < this.outboundWindow;
  }

  /** Sends now if the window and the socket allow, else queues (bounded) in the session. */
  offer(delivery: Delivery): void {
    const session = this.ch.session;
    if (!session) return;
    if (!this.ch.connected || session.queue.length > 0 || !this.canSendNow(delivery.qos)) {
      session.enqueue(delivery, true);
      return;
    }
    this.transmit(delivery);
  }

  /** Sends queued messages while the window and the socket allow. */
  pump(): void {
    const session = this.ch.session;
    if (!session || !this.ch.connected) return;
    for (;;) {
      const next = session.queue.peek();
      if (!next || !this.canSendNow(next.qos)) return;
      session.queue.shift();
      this.transmit(next);
    }
  }

  /**
   * Sends one delivery as PUBLISH. Expired messages are dropped (MQTT 5.0 §3.3.2.3.3), a packet larger
   * than the client's Maximum Packet Size is discarded as if sent (MQTT 5.0 §3.1.2.25).
   */
  private transmit(delivery: Delivery, resend?: { packetId: number }): void {
    const session = this.ch.session!;
    const now = this.ch.ctx.now();
    const { message } = delivery;
    if (!resend && isExpired(message, now)) {
      this.ch.ctx.metrics.countDropped('expired');
      return;
    }
    const packetId = resend?.packetId ?? (delivery.qos > 0 ? session.allocatePacketId() : undefined);
    if (delivery.qos > 0 && packetId === undefined) {
      session.enqueue(delivery, true);
      return;
    }
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: delivery.qos,
      retain: delivery.retain,
      dup: resend !== undefined,
    };
    if (packetId !== undefined) packet.messageId = packetId;
    let newAlias: number | undefined;
    if (this.ch.isV5) {
      const props: NonNullable<IPublishPacket['properties']> = { ...message.properties };
      const remaining = remainingExpirySeconds(message, now);
      // MQTT 5.0 §3.3.2.3.3: forward the expiry minus the time the message waited (at least 1 s left
      // for a message re-sent after its expiry passed while in flight).
      if (remaining !== undefined) props.messageExpiryInterval = Math.max(1, remaining);
      if (delivery.subscriptionIds.length > 0) {
        props.subscriptionIdentifier = delivery.subscriptionIds.length === 1 ? delivery.subscriptionIds[0]! : delivery.subscriptionIds;
      }
      // MQTT 5.0 §3.3.2.3.4: use a Topic Alias the client allows; the first use carries the topic.
      if (this.ch.clientTopicAliasMaximum > 0) {
        const existing = this.aliases.get(message.topic);
        if (existing !== undefined) {
          props.topicAlias = existing;
          packet.topic = '';
        } else if (this.aliases.size < this.ch.clientTopicAliasMaximum) {
          newAlias = this.aliases.size + 1;
          props.topicAlias = newAlias;
        }
      }
      if (Object.keys(props).length > 0) packet.properties = props;
    }
    let bytes: Buffer;
    try {
      bytes = encodePacket(packet, this.ch.version);
    } catch (e) {
      this.ch.ctx.logger.warn({ clientId: this.ch.clientId, topic: message.topic, err: e }, 'cannot encode PUBLISH; dropped');
      this.ch.ctx.metrics.countDropped('too_large');
      return;
    }
    if (bytes.length > this.ch.clientMaxPacketSize) {
      this.ch.ctx.metrics.countDropped('too_large');
      if (resend) session.inflight.delete(resend.packetId);
      return;
    }
    if (newAlias !== undefined) this.aliases.set(message.topic, newAlias);
    if (packetId !== undefined && !resend) {
      session.inflight.set(packetId, { packetId, delivery, phase: 'publish', sentAt: now });
    }
    this.ch.ctx.metrics.countSent(delivery.qos);
    this.ch.writeBytes(bytes);
  }

  /**
   * On resuming a session: re-send unacknowledged PUBLISH with DUP and PUBREL for those PUBREC'd, in
   * their original order (MQTT 5.0 §4.4), then the queue.
   */
  resumeInflight(): void {
    const session = this.ch.session!;
    for (const entry of [...session.inflight.values()]) {
      entry.sentAt = this.ch.ctx.now();
      if (entry.phase === 'pubrel') this.ch.send({ cmd: 'pubrel', messageId: entry.packetId });
      else this.transmit(entry.delivery, { packetId: entry.packetId });
    }
    this.pump();
  }

  /**
   * 3.1/3.1.1 allow re-sending unacknowledged messages on the same connection after retry_interval;
   * 5.0 forbids it (MQTT 5.0 §4.4: only on reconnect).
   */
  retryInflight(now: number): void {
    const retry = this.ch.ctx.config.mqtt.retry_interval;
    if (this.ch.isV5 || retry <= 0 || !this.ch.connected || this.ch.congested) return;
    for (const entry of this.ch.session!.inflight.values()) {
      if (now - entry.sentAt < retry) continue;
      entry.sentAt = now;
      if (entry.phase === 'pubrel') this.ch.send({ cmd: 'pubrel', messageId: entry.packetId });
      else this.transmit(entry.delivery, { packetId: entry.packetId });
    }
  }
}
