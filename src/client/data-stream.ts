// An MQTT over QUIC data stream (EMQX multi-stream, EIP-0023) on the client side: a further bidirectional
// QUIC stream of a quic:// connection, after the control stream that carried CONNECT. It carries PUBLISH
// (with its QoS 1/2 flows), SUBSCRIBE and UNSUBSCRIBE and nothing else; the broker answers on it and
// delivers the messages of the subscriptions made on it here, so a slow or lossy topic on one stream does
// not hold up the others. Packet identifiers, QoS state and subscriptions belong to the stream and end
// with it. MQTT.js knows one stream per connection, so this speaks MQTT itself, with mqtt-packet.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import mqttPacket, { type IPublishPacket, type ISubackPacket, type IUnsubackPacket, type Packet, type QoS } from 'mqtt-packet';
import { MqttClientError } from './errors.js';
import { MessageQueue } from './message-queue.js';
import { describeReasonCode, isFailureReasonCode } from './reason-codes.js';
import { checkTopicFilter, checkTopicName } from './topics.js';
import type { PublishOptions, ReceivedMessage, SubscriptionGrant } from './client.js';
import type { ProtocolVersion } from './options.js';

/** MQTT 5.0 §2.2.1: packet identifiers are 1..65535. */
const MAX_PACKET_ID = 65535;

type Pending =
  | { kind: 'puback'; resolve: () => void; reject: (e: Error) => void }
  | { kind: 'pubrec'; resolve: () => void; reject: (e: Error) => void }
  | { kind: 'pubcomp'; resolve: () => void; reject: (e: Error) => void }
  | { kind: 'suback'; resolve: (p: ISubackPacket) => void; reject: (e: Error) => void }
  | { kind: 'unsuback'; resolve: (p: IUnsubackPacket) => void; reject: (e: Error) => void };

export type MqttDataStreamEvents = {
  message: [message: ReceivedMessage];
  /** The stream ended: undefined after close(), else why. */
  close: [error: MqttClientError | undefined];
};

export class MqttDataStream extends EventEmitter<MqttDataStreamEvents> {
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
  private readonly pending = new Map<number, Pending>();
  /** The error for a refused QoS 1/2 PUBLISH, by packet id. */
  private readonly refusal = new Map<number, (code: number) => MqttClientError>();
  /** Incoming QoS 2 packet ids delivered and PUBREC'd, awaiting PUBREL (MQTT 5.0 §4.3.3). */
  private readonly awaitingRel = new Set<number>();
  private readonly queues = new Set<MessageQueue<ReceivedMessage>>();
  private nextPacketId = 1;
  private closedWith: { error: MqttClientError | undefined } | undefined;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    private readonly stream: Duplex,
    readonly protocolVersion: ProtocolVersion,
    private readonly messageBufferSize: number,
  ) {
    super();
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => this.onPacket(p));
    this.parser.on('error', (e: Error) => this.fail(new MqttClientError('ERR_PROTOCOL', `Malformed packet on a data stream: ${e.message}`)));
    stream.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    stream.on('end', () => {
      // The broker ended the stream: end ours too, so the stream closes and its MAX_STREAMS credit returns.
      if (!stream.writableEnded) stream.end();
      this.finish(undefined);
    });
    stream.on('close', () => this.finish(undefined));
    stream.on('error', (e: Error) => this.finish(new MqttClientError('ERR_CONNECTION_CLOSED', `Data stream failed: ${e.message}`, { cause: e })));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Publishes on this stream; resolves when sent (QoS 0), on PUBACK (QoS 1) or on PUBCOMP (QoS 2). */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.checkOpen();
      checkTopicName(topic);
      const qos = options.qos ?? 0;
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttClientError('ERR_INVALID_OPTION', `QoS must be 0, 1 or 2, got ${String(qos)}`);
      if (options.properties !== undefined && this.protocolVersion !== 5) throw new MqttClientError('ERR_INVALID_OPTION', 'PUBLISH properties need MQTT 5');
      const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: options.retain ?? false, dup: false };
      if (options.properties !== undefined) packet.properties = options.properties;
      if (qos === 0) {
        this.write(packet);
        return resolve();
      }
      const id = this.allocatePacketId();
      packet.messageId = id;
      const refused = (code: number): MqttClientError =>
        new MqttClientError('ERR_PUBLISH_REFUSED', `Publish to "${topic}" refused: ${describeReasonCode(code)}`, { reasonCode: code });
      if (qos === 1) {
        this.pending.set(id, { kind: 'puback', resolve, reject });
      } else {
        // QoS 2: PUBREC, then our PUBREL, then PUBCOMP (MQTT 5.0 §4.3.3).
        this.pending.set(id, {
          kind: 'pubrec',
          resolve: () => {
            this.pending.set(id, { kind: 'pubcomp', resolve, reject });
            this.write({ cmd: 'pubrel', messageId: id });
          },
          reject,
        });
      }
      this.refusal.set(id, refused);
      this.write(packet);
    });
  }

  /** Subscribes on this stream; its messages arrive here. Rejects when the broker refuses a filter. */
  subscribe(filters: string | string[], options: { qos?: QoS; noLocal?: boolean } = {}): Promise<SubscriptionGrant[]> {
    return new Promise<ISubackPacket>((resolve, reject) => {
      this.checkOpen();
      const list = Array.isArray(filters) ? filters : [filters];
      if (list.length === 0) throw new MqttClientError('ERR_INVALID_OPTION', 'Nothing to subscribe to');
      list.forEach(checkTopicFilter);
      const qos = options.qos ?? 0;
      const id = this.allocatePacketId();
      this.pending.set(id, { kind: 'suback', resolve, reject });
      this.write({
        cmd: 'subscribe',
        messageId: id,
        subscriptions: list.map((topic) => ({ topic, qos, ...(this.protocolVersion === 5 ? { nl: options.noLocal ?? false, rap: false, rh: 0 } : {}) })),
      } as Packet);
    }).then((suback) => {
      const list = Array.isArray(filters) ? filters : [filters];
      const grants = list.map((filter, i) => {
        const reasonCode = suback.granted[i] as number;
        return { filter, reasonCode, qos: reasonCode <= 2 ? (reasonCode as QoS) : undefined };
      });
      const refused = grants.find((g) => isFailureReasonCode(g.reasonCode));
      if (refused !== undefined) {
        throw new MqttClientError('ERR_SUBSCRIBE_REFUSED', `Subscribe to "${refused.filter}" refused: ${describeReasonCode(refused.reasonCode)}`, { reasonCode: refused.reasonCode });
      }
      return grants;
    });
  }

  /** Unsubscribes on this stream; resolves with the UNSUBACK reason codes (all 0 before MQTT 5). */
  unsubscribe(filters: string | string[]): Promise<number[]> {
    return new Promise<IUnsubackPacket>((resolve, reject) => {
      this.checkOpen();
      const list = Array.isArray(filters) ? filters : [filters];
      list.forEach(checkTopicFilter);
      const id = this.allocatePacketId();
      this.pending.set(id, { kind: 'unsuback', resolve, reject });
      this.write({ cmd: 'unsubscribe', messageId: id, unsubscriptions: list } as Packet);
    }).then((unsuback) => {
      const list = Array.isArray(filters) ? filters : [filters];
      return this.protocolVersion === 5 ? ((unsuback.granted as number[] | undefined) ?? []) : list.map(() => 0);
    });
  }

  /** Messages of this stream's subscriptions, as an async iterator (bounded like MqttClient.messages()). */
  messages(): AsyncIterableIterator<ReceivedMessage> {
    const queue = new MessageQueue<ReceivedMessage>(this.messageBufferSize, (q) => this.queues.delete(q));
    if (this.closed) queue.close();
    else this.queues.add(queue);
    return queue;
  }

  /** Ends the stream (FIN) and resolves once the broker has ended its side; its subscriptions end with it. */
  async close(): Promise<void> {
    if (!this.closed && !this.stream.writableEnded) this.stream.end();
    this.stream.resume();
    await this.ended;
  }

  // ---- internals --------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new MqttClientError('ERR_CONNECTION_CLOSED', 'The data stream is closed');
  }

  private allocatePacketId(): number {
    for (let tries = 0; tries < MAX_PACKET_ID; tries++) {
      const id = this.nextPacketId;
      this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new MqttClientError('ERR_INVALID_OPTION', 'Every packet identifier of the data stream is in use');
  }

  private write(packet: Packet): void {
    this.stream.write(mqttPacket.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  private onPacket(p: Packet): void {
    switch (p.cmd) {
      case 'publish':
        return this.onPublish(p);
      case 'pubrel':
        // MQTT 5.0 §4.3.3: the message was delivered on PUBLISH; PUBREL ends the flow.
        this.awaitingRel.delete(p.messageId ?? 0);
        this.write({ cmd: 'pubcomp', messageId: p.messageId ?? 0 });
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback':
        return this.onAck(p);
      default:
        return this.fail(new MqttClientError('ERR_PROTOCOL', `${p.cmd} on a data stream`));
    }
  }

  private onAck(p: Packet & { messageId?: number }): void {
    const id = p.messageId ?? 0;
    const waiting = this.pending.get(id);
    if (waiting === undefined || waiting.kind !== p.cmd) return; // late or unknown: nothing waits for it
    this.pending.delete(id);
    const code = (p as { reasonCode?: number }).reasonCode ?? 0;
    if ((p.cmd === 'puback' || p.cmd === 'pubrec') && isFailureReasonCode(code)) {
      const refused = this.refusal.get(id);
      this.refusal.delete(id);
      waiting.reject(refused?.(code) ?? new MqttClientError('ERR_PUBLISH_REFUSED', describeReasonCode(code), { reasonCode: code }));
      return;
    }
    if (p.cmd === 'puback' || p.cmd === 'pubcomp') this.refusal.delete(id);
    (waiting.resolve as (x: Packet) => void)(p);
  }

  private onPublish(p: IPublishPacket): void {
    const id = p.messageId;
    if (p.qos === 1) this.write({ cmd: 'puback', messageId: id ?? 0 });
    if (p.qos === 2) {
      this.write({ cmd: 'pubrec', messageId: id ?? 0 });
      // A repeated PUBLISH of a flow not yet released is the same message (MQTT 5.0 §4.3.3).
      if (this.awaitingRel.has(id ?? 0)) return;
      this.awaitingRel.add(id ?? 0);
    }
    const message: ReceivedMessage = {
      topic: p.topic,
      payload: Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload),
      qos: p.qos,
      retain: p.retain,
      dup: p.dup,
      messageId: id,
      properties: p.properties ?? {},
    };
    this.emit('message', message);
    let full = false;
    for (const q of this.queues) {
      q.push(message);
      if (q.full) full = true;
    }
    if (full) {
      // A consumer behind: stop reading (QUIC flow control then slows the broker down) until it catches up.
      this.stream.pause();
      void Promise.all([...this.queues].map((q) => q.waitForRoom())).then(() => this.stream.resume());
    }
  }

  private fail(error: MqttClientError): void {
    this.stream.destroy();
    this.finish(error);
  }

  private finish(error: MqttClientError | undefined): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = { error };
    const reason = error ?? new MqttClientError('ERR_CONNECTION_CLOSED', 'The data stream ended');
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    for (const q of this.queues) q.close(error);
    this.queues.clear();
    this.resolveEnded();
    this.emit('close', error);
  }
}
