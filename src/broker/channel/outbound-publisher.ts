// Application messages towards the client (MQTT 5.0 §4.3, §4.4, §4.9): the QoS 1/2 window (the
// client's Receive Maximum), the session queue when the window or the socket is full, message expiry,
// outgoing topic aliases, the client's Maximum Packet Size, and re-sending what is in flight.
import { encodePacket, type IPublishPacket, type Packet, type ProtocolVersion, type QoS } from '../../mqtt/codec.js';
import type { BrokerContext } from '../context.js';
import type { Session } from '../session.js';
import { remainingExpirySeconds, isExpired, type Delivery } from '../message.js';
import { sharedPublishBytes } from './publish-encoding.js';

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
  /** MQTT over QUIC qos0_datagrams: QoS 0 PUBLISHes may go out as DATAGRAMs (unordered, no aliases). */
  readonly datagramsEnabled: boolean;
  /** false: send it on the stream instead. */
  sendDatagram(bytes: Buffer): boolean;
}

export class OutboundPublisher {
  /** Topic -> alias assigned on this connection (MQTT 5.0 §3.3.2.3.4; aliases die with the connection). */
  private readonly aliases = new Map<string, number>();
  /**
   * Packet ids of a resumed session's unacknowledged PUBLISHes not yet re-sent on this connection,
   * oldest first: they wait for room in this connection's Receive Maximum (MQTT 5.0 §4.9).
   */
  private pendingResend: number[] = [];

  constructor(private readonly ch: OutboundChannel) {}

  /** Outgoing QoS 1/2 window: the client's Receive Maximum, capped by max_inflight. */
  get outboundWindow(): number {
    return Math.max(1, Math.min(this.ch.clientReceiveMaximum, this.ch.ctx.config.mqtt.max_inflight));
  }

  private canSendNow(qos: QoS): boolean {
    if (this.ch.congested) return false;
    // Entries waiting to be re-sent count too: they keep new messages behind them (order, §4.6).
    return qos === 0 || this.ch.session!.inflight.size < this.outboundWindow;
  }

  /**
   * Whether another in-flight PUBLISH may be re-sent: the send quota of this connection starts at the
   * client's Receive Maximum and counts only what was sent on it (MQTT 5.0 §4.9), so entries still
   * waiting for their re-send do not use it.
   */
  private canResendNow(): boolean {
    if (this.ch.congested) return false;
    return this.ch.session!.inflight.size - this.pendingResend.length < this.outboundWindow;
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
    while (this.pendingResend.length > 0 && this.canResendNow()) {
      const entry = session.inflight.get(this.pendingResend.shift()!);
      if (entry) this.transmit(entry.delivery, { packetId: entry.packetId });
    }
    for (;;) {
      const next = session.queue.peek();
      if (!next || !this.canSendNow(next.qos)) return;
      session.dequeue();
      this.transmit(next, undefined, true);
    }
  }

  /**
   * Sends one delivery as PUBLISH. A message whose expiry passed while it waited in the queue is dropped
   * (MQTT 5.0 §3.3.2.3.3); a packet larger than the client's Maximum Packet Size is discarded as if sent
   * (MQTT 5.0 §3.1.2.11.4 [MQTT-3.1.2-25]).
   *
   * Message Expiry Interval 0: §3.3.2.3.3 deletes a copy only when the interval "has passed and the
   * Server has not managed to start onward delivery". A delivery offered straight from the PUBLISH
   * (not from the queue) is onward delivery started, so a lifetime of 0 reaches every subscriber that
   * can take it now and no queued or retained copy (retained-store.ts). EMQX's check (time elapsed >
   * interval) comes out the same in practice; mosquitto reads 0 as "no expiry set", which would keep a
   * message whose publisher gave it no lifetime at all.
   */
  private transmit(delivery: Delivery, resend?: { packetId: number }, fromQueue = false): void {
    const session = this.ch.session!;
    const now = this.ch.ctx.now();
    const { message } = delivery;
    if (fromQueue && isExpired(message, now)) {
      this.ch.ctx.metrics.countDropped('expired');
      return;
    }
    const packetId = resend?.packetId ?? (delivery.qos > 0 ? session.allocatePacketId() : undefined);
    if (delivery.qos > 0 && packetId === undefined) {
      session.enqueue(delivery, true);
      return;
    }
    if (!resend && this.bytesAreShared(delivery)) {
      let shared: Buffer;
      try {
        shared = sharedPublishBytes(message, this.ch.version, delivery.qos, delivery.retain, packetId);
      } catch (e) {
        this.ch.ctx.logger.warn({ clientId: this.ch.clientId, topic: message.topic, err: e }, 'cannot encode PUBLISH; dropped');
        this.ch.ctx.metrics.countDropped('too_large');
        return;
      }
      if (shared.length > this.ch.clientMaxPacketSize) {
        this.ch.ctx.metrics.countDropped('too_large');
        return;
      }
      if (packetId !== undefined) session.inflight.set(packetId, { packetId, delivery, phase: 'publish', sentAt: now });
      this.ch.ctx.metrics.countSent(delivery.qos);
      if (delivery.qos === 0 && this.ch.datagramsEnabled && this.ch.sendDatagram(shared)) return;
      this.ch.writeBytes(shared);
      return;
    }
    // A DATAGRAM may overtake or be overtaken (RFC 9221 §5), so one carries no Topic Alias.
    const datagram = delivery.qos === 0 && this.ch.datagramsEnabled;
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
      // A first send forwards what is left, 0 included (a Message Expiry Interval 0 stays 0).
      if (remaining !== undefined) props.messageExpiryInterval = Math.max(resend ? 1 : 0, remaining);
      if (delivery.subscriptionIds.length > 0) {
        props.subscriptionIdentifier = delivery.subscriptionIds.length === 1 ? delivery.subscriptionIds[0]! : delivery.subscriptionIds;
      }
      // MQTT 5.0 §3.3.2.3.4: use a Topic Alias the client allows; the first use carries the topic.
      if (this.ch.clientTopicAliasMaximum > 0 && !datagram) {
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
    if (datagram && this.ch.sendDatagram(bytes)) return;
    this.ch.writeBytes(bytes);
  }

  /**
   * Whether this delivery's PUBLISH is the same for every connection of this protocol family, so its
   * encoding can be shared (publish-encoding.ts): no per-connection 5.0 properties (Subscription
   * Identifiers, Topic Alias) and no Message Expiry Interval, which changes as the message waits.
   */
  private bytesAreShared(delivery: Delivery): boolean {
    if (!this.ch.isV5) return true;
    return delivery.subscriptionIds.length === 0 && this.ch.clientTopicAliasMaximum === 0 && delivery.message.expiresAt === undefined;
  }

  /**
   * On resuming a session: re-send unacknowledged PUBLISH with DUP and PUBREL for those PUBREC'd, in
   * their original order (MQTT 5.0 §4.4), then the queue. The new connection may announce a smaller
   * Receive Maximum than the old one: PUBLISHes beyond it wait for acknowledgements (MQTT 5.0 §4.9).
   * Entries awaiting PUBCOMP count against the window here as they do for new messages (inflight.size),
   * which is stricter than the spec's send quota and never deadlocks: their PUBREL goes out at once.
   */
  resumeInflight(): void {
    const session = this.ch.session!;
    const now = this.ch.ctx.now();
    let resent = 0;
    for (const entry of [...session.inflight.values()]) {
      entry.sentAt = now;
      if (entry.phase === 'pubrel') {
        this.ch.send({ cmd: 'pubrel', messageId: entry.packetId });
        resent++;
      } else if (resent < this.outboundWindow) {
        this.transmit(entry.delivery, { packetId: entry.packetId });
        resent++;
      } else {
        this.pendingResend.push(entry.packetId);
      }
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
    const waiting = this.pendingResend.length > 0 ? new Set(this.pendingResend) : undefined;
    for (const entry of this.ch.session!.inflight.values()) {
      if (now - entry.sentAt < retry || waiting?.has(entry.packetId)) continue;
      entry.sentAt = now;
      if (entry.phase === 'pubrel') this.ch.send({ cmd: 'pubrel', messageId: entry.packetId });
      else this.transmit(entry.delivery, { packetId: entry.packetId });
    }
  }
}
