// MqttClient: a promise-based MQTT client. MQTT.js is the protocol engine (packets, packet ids, QoS flows,
// keepalive, topic aliases); this class adds what applications and the CLI need on top: transports chosen by
// URL scheme (transports.ts), one typed error per failure, promises that settle on the broker's
// acknowledgement, bounded message iteration with backpressure, and a guaranteed end.
import { EventEmitter } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import {
  MqttClient as EngineClient,
  type IClientOptions,
  type IClientPublishOptions,
  type IClientSubscribeOptions,
  type ISubscriptionMap,
  type Packet,
} from 'mqtt';
import mqttPacket, { type IConnackPacket, type IPublishPacket, type IUnsubackPacket, type QoS } from 'mqtt-packet';
import { MqttClientError, connackRefused, connectionClosed, transportError } from './errors.js';
import { MessageQueue } from './message-queue.js';
import {
  resolveOptions,
  type ConnectOptions,
  type ProtocolVersion,
  type PublishProperties,
  type ResolvedOptions,
  type UserProperties,
} from './options.js';
import { describeReasonCode, isFailureReasonCode } from './reason-codes.js';
import { checkTopicFilter, checkTopicName } from './topics.js';
import type { TransportConnectOptions } from './transports.js';
import { MqttDataStream } from './data-stream.js';
import { packetLengthAt } from '../mqtt/framer.js';
import type { QuicConnectionHandle } from '../quic/endpoint/connection-handle.js';

/** A message delivered by the broker. */
export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Packet identifier (QoS 1 and 2 only). */
  messageId: number | undefined;
  /** MQTT 5 properties; empty for MQTT 3.1.1. */
  properties: PublishProperties;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /**
   * quic:// with a broker that takes MQTT datagrams (qos0_datagrams) and `transportOptions.datagrams`:
   * send this QoS 0 message in a QUIC DATAGRAM frame (RFC 9221): unordered, may be lost, never
   * retransmitted. Falls back to the stream when the connection does not take it (too large, no support).
   */
  datagram?: boolean;
  /** MQTT 5 only. */
  properties?: PublishProperties;
}

export interface SubscriptionOptions {
  qos?: QoS;
  /** MQTT 5.0 §3.8.3.1 No Local. */
  noLocal?: boolean;
  /** MQTT 5.0 §3.8.3.1 Retain As Published. */
  retainAsPublished?: boolean;
  /** MQTT 5.0 §3.8.3.1 Retain Handling: 0 send retained, 1 only for new subscriptions, 2 never. */
  retainHandling?: 0 | 1 | 2;
}

export interface SubscriptionRequest extends SubscriptionOptions {
  filter: string;
}

export interface SubscribeOptions extends SubscriptionOptions {
  /** MQTT 5.0 §3.8.2.1.2 Subscription Identifier (1..268,435,455). */
  subscriptionIdentifier?: number;
  userProperties?: UserProperties;
}

/** The broker's answer for one filter (MQTT 5.0 §3.9.3 / MQTT 3.1.1 §3.9.3). */
export interface SubscriptionGrant {
  filter: string;
  /** Granted QoS (0, 1, 2) or a failure code (0x80 and above). */
  reasonCode: number;
  /** Granted QoS, undefined when refused. */
  qos: QoS | undefined;
}

export interface UnsubscribeOptions {
  userProperties?: UserProperties;
}

export interface EndOptions {
  /** Close the transport at once instead of waiting for in-flight QoS 1/2 publishes. */
  force?: boolean;
  /** MQTT 5.0 §3.14.2.1 DISCONNECT reason code; 0x04 asks the broker to publish the will. */
  reasonCode?: number;
  /** MQTT 5.0 §3.14.2.2.2: change the session expiry at disconnect. */
  sessionExpiryInterval?: number;
  userProperties?: UserProperties;
  /** Bound on the graceful part; then the transport is closed. Default 5 s. */
  timeoutMs?: number;
}

export interface ConnackInfo {
  sessionPresent: boolean;
  reasonCode: number;
  properties: NonNullable<IConnackPacket['properties']>;
}

export type MqttClientEvents = {
  /** Every message (also delivered to messages() iterators). */
  message: [message: ReceivedMessage];
  /** Informational: a failure the client survived or is about to report through 'close'. Never thrown. */
  error: [error: MqttClientError];
  /** (Re)connected; the first connection resolves connect() instead of being emitted before it. */
  connect: [connack: ConnackInfo];
  /** Connection lost, reconnect pending (reconnectPeriodMs > 0). */
  offline: [];
  /** A reconnect attempt starts. */
  reconnect: [];
  /** Final close: `error` undefined after end(), else why the connection was lost. */
  close: [error: MqttClientError | undefined];
  /** Every packet sent / received (for debugging output). */
  packetsend: [packet: Packet];
  packetreceive: [packet: Packet];
};

export const DEFAULT_END_TIMEOUT_MS = 5_000;

/** An mqtt-packet parser for one complete packet at a time, and the packet it read last. */
type DatagramParser = { parser: ReturnType<typeof mqttPacket.parser>; packet: Packet | undefined };
const NORMAL_DISCONNECTION = 0x00; // MQTT 5.0 §3.14.2.1

type State = 'connecting' | 'connected' | 'offline' | 'closing' | 'closed';

/** Connects and resolves once the broker accepted the connection (CONNACK success). */
export function connect(options: string | ConnectOptions): Promise<MqttClient> {
  let client: MqttClient;
  try {
    client = createClient(options);
  } catch (err) {
    return Promise.reject(err);
  }
  return client.opened.then(() => client);
}

/**
 * Starts connecting and returns the client at once, for callers that want its events (packet tracing)
 * from the CONNECT on; `await client.opened` for the outcome. Throws on invalid options.
 */
export function createClient(options: string | ConnectOptions): MqttClient {
  return new MqttClient(resolveOptions(options));
}

export class MqttClient extends EventEmitter<MqttClientEvents> {
  readonly options: Readonly<ResolvedOptions>;
  /** Settles when the first connection attempt succeeds or fails. */
  readonly opened: Promise<void>;
  private readonly engine: EngineClient;
  private state: State = 'connecting';
  private connackInfo: ConnackInfo | undefined;
  private readonly pending = new Set<(err: MqttClientError) => void>();
  private readonly queues = new Set<MessageQueue<ReceivedMessage>>();
  // Per connection attempt: why it ended, best explanation first.
  private connackFailure: MqttClientError | undefined;
  private disconnectFailure: MqttClientError | undefined;
  private transportFailure: MqttClientError | undefined;
  private engineFailure: MqttClientError | undefined;
  private resolveOpened!: () => void;
  private rejectOpened!: (err: MqttClientError) => void;
  private readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  // Held from the first CONNACK until the next macrotask: messages a persistent session delivers right
  // after CONNACK wait until the code awaiting connect() has attached its listeners and iterators.
  private deliveryGate: Promise<void> | undefined;
  private engineStarted = false;
  private endTimer: NodeJS.Timeout | undefined;
  // Why the last connection ended (for operations MQTT.js fails with a bare "Connection closed").
  private closeFailure: MqttClientError | undefined;
  // Parses QoS 0 PUBLISHes that arrive in QUIC datagrams (receiveDatagram); made on the first one.
  private datagramParser: DatagramParser | undefined;
  // Set when the client is closing because of a failure (undefined: closing because of end()).
  private closingFailure: MqttClientError | undefined;

  /** Use connect(); the constructor starts connecting at once. */
  constructor(options: ResolvedOptions) {
    super();
    this.options = options;
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    // Handled here so a caller that never awaits `opened` gets no unhandled rejection; awaiting still throws.
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.engine = new EngineClient(() => this.openTransport(), this.engineOptions());
    this.engine.handleMessage = (packet, done) => this.deliver(packet, done);
    this.wireEngine();
    // Started on the next tick so createClient() callers can attach listeners before CONNECT is sent.
    process.nextTick(() => {
      if (this.state !== 'connecting') return;
      this.engineStarted = true;
      this.engine.connect();
    });
  }

  /** "host:port" for messages. */
  get target(): string {
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `${this.options.scheme}://${host}:${this.options.port}`;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get protocolVersion(): ProtocolVersion {
    return this.options.protocolVersion;
  }

  /** CONNACK of the current (or last) connection. */
  get connack(): ConnackInfo | undefined {
    return this.connackInfo;
  }

  /** The client identifier in use: the broker's Assigned Client Identifier (MQTT 5.0 §3.2.2.3.7) if any. */
  get clientId(): string {
    return this.connackInfo?.properties.assignedClientIdentifier ?? this.options.clientId;
  }

  /** Publishes; resolves when sent (QoS 0), on PUBACK (QoS 1) or on PUBCOMP (QoS 2). */
  publish(topic: string, payload: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    return this.track<void>((resolve, reject) => {
      checkTopicName(topic);
      const qos = options.qos ?? 0;
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttClientError('ERR_INVALID_OPTION', `QoS must be 0, 1 or 2, got ${String(qos)}`);
      if (options.properties !== undefined && this.options.protocolVersion !== 5) {
        throw new MqttClientError('ERR_INVALID_OPTION', 'PUBLISH properties need MQTT 5');
      }
      if (options.datagram === true) {
        if (qos !== 0) throw new MqttClientError('ERR_INVALID_OPTION', 'Only QoS 0 messages go in datagrams');
        if (this.publishDatagram(topic, toBuffer(payload), options)) return resolve();
      }
      const engineOptions: IClientPublishOptions = { qos, retain: options.retain ?? false };
      if (options.properties !== undefined) engineOptions.properties = options.properties;
      this.engine.publish(topic, toBuffer(payload), engineOptions, (err) => {
        if (err === undefined || err === null) return resolve();
        const code = reasonCodeOf(err);
        if (code === undefined) return this.rejectLater(reject, err);
        reject(
          new MqttClientError('ERR_PUBLISH_REFUSED', `Publish to "${topic}" refused: ${describeReasonCode(code)}`, {
            reasonCode: code,
          }),
        );
      });
    });
  }

  /**
   * Subscribes; resolves with the broker's grant per filter. Rejects with SubscribeRefusedError (carrying
   * every grant) when the broker refused any filter.
   */
  subscribe(filters: string | Array<string | SubscriptionRequest>, options: SubscribeOptions = {}): Promise<SubscriptionGrant[]> {
    return this.track<SubscriptionGrant[]>((resolve, reject) => {
      const requests = (Array.isArray(filters) ? filters : [filters]).map((f) =>
        typeof f === 'string' ? { ...options, filter: f } : { ...options, ...f },
      );
      if (requests.length === 0) throw new MqttClientError('ERR_INVALID_OPTION', 'Nothing to subscribe to');
      const map: ISubscriptionMap = {};
      for (const r of requests) {
        checkTopicFilter(r.filter);
        const qos = r.qos ?? 0;
        if (qos !== 0 && qos !== 1 && qos !== 2) throw new MqttClientError('ERR_INVALID_OPTION', `QoS must be 0, 1 or 2, got ${String(qos)}`);
        const sub: IClientSubscribeOptions = { qos };
        if (this.options.protocolVersion === 5) {
          sub.nl = r.noLocal ?? false;
          sub.rap = r.retainAsPublished ?? false;
          sub.rh = r.retainHandling ?? 0;
        } else if (r.noLocal !== undefined || r.retainAsPublished !== undefined || r.retainHandling !== undefined) {
          throw new MqttClientError('ERR_INVALID_OPTION', 'noLocal, retainAsPublished and retainHandling need MQTT 5');
        }
        map[r.filter] = sub;
      }
      // Always send the SUBSCRIBE, even for a filter MQTT.js remembers for resubscription.
      map.resubscribe = true;
      const properties = this.subscribeProperties(options);
      this.engine.subscribe(map, properties === undefined ? {} : { properties }, (err, _granted, packet) => {
        const codes = packet?.granted;
        if (codes === undefined || codes.length !== requests.length) {
          if (err) this.rejectLater(reject, err);
          else reject(new MqttClientError('ERR_PROTOCOL', 'SUBACK does not answer every filter'));
          return;
        }
        const grants = requests.map((r, i) => {
          const reasonCode = codes[i] as number;
          return { filter: r.filter, reasonCode, qos: reasonCode <= 2 ? (reasonCode as QoS) : undefined };
        });
        const refused = grants.filter((g) => isFailureReasonCode(g.reasonCode));
        if (refused.length > 0) reject(new SubscribeRefusedError(grants, refused));
        else resolve(grants);
      });
    });
  }

  /** Unsubscribes; resolves with the UNSUBACK reason code per filter (all 0 before MQTT 5, which has none). */
  unsubscribe(filters: string | string[], options: UnsubscribeOptions = {}): Promise<number[]> {
    return this.track<number[]>((resolve, reject) => {
      const list = Array.isArray(filters) ? filters : [filters];
      if (list.length === 0) throw new MqttClientError('ERR_INVALID_OPTION', 'Nothing to unsubscribe from');
      list.forEach(checkTopicFilter);
      if (options.userProperties !== undefined && this.options.protocolVersion !== 5) {
        throw new MqttClientError('ERR_INVALID_OPTION', 'UNSUBSCRIBE user properties need MQTT 5');
      }
      const engineOptions = options.userProperties === undefined ? {} : { properties: { userProperties: options.userProperties } };
      this.engine.unsubscribe(list, engineOptions, (err, packet) => {
        if (err) return this.rejectLater(reject, err);
        // MQTT 5.0 §3.11.3: one reason code per filter; MQTT 3.1.1 UNSUBACK has no payload.
        const codes = this.options.protocolVersion === 5 ? ((packet as IUnsubackPacket | undefined)?.granted ?? []) : list.map(() => 0);
        const failed = codes.findIndex(isFailureReasonCode);
        if (failed >= 0) {
          const code = codes[failed] as number;
          reject(
            new MqttClientError('ERR_UNSUBSCRIBE_REFUSED', `Unsubscribe from "${list[failed]}" refused: ${describeReasonCode(code)}`, {
              reasonCode: code,
            }),
          );
        } else resolve(codes);
      });
    });
  }

  /**
   * Opens an MQTT over QUIC data stream (EMQX multi-stream, EIP-0023; quic:// only, once connected): a
   * further QUIC stream of this connection with PUBLISH, SUBSCRIBE and UNSUBSCRIBE of its own, whose
   * subscriptions deliver on it, so one topic's backlog or losses do not hold up another's. It ends with
   * close(), with the connection, or when the broker ends it (its `max_data_streams` bounds how many may
   * be open at once: beyond it this waits for one to end). `priority`: what this client sends on it goes
   * before (0) or after (7) other streams' data, default 3 (QuicStream.setPriority).
   */
  async openDataStream(options: { priority?: number } = {}): Promise<MqttDataStream> {
    const quic = this.quicConnection;
    if (this.state !== 'connected' || quic === undefined) {
      throw new MqttClientError('ERR_INVALID_OPTION', this.state !== 'connected' ? 'Not connected' : `Data streams need a quic:// connection, not ${this.options.scheme}://`);
    }
    let stream: Duplex;
    try {
      stream = await quic.openStream(options.priority === undefined ? {} : { priority: options.priority });
    } catch (err) {
      if (err instanceof RangeError) throw new MqttClientError('ERR_INVALID_OPTION', err.message);
      throw connectionClosed(`Cannot open a data stream: ${err instanceof Error ? err.message : String(err)}`);
    }
    return new MqttDataStream(stream, this.options.protocolVersion, this.options.messageBufferSize);
  }

  /**
   * Messages from now on, as an async iterator. It ends after end(), throws the close error when the
   * connection is lost for good, and `break` detaches it. Each iterator buffers up to messageBufferSize
   * messages; beyond that the client stops reading from the connection until the consumer catches up.
   */
  messages(): AsyncIterableIterator<ReceivedMessage> {
    const queue = new MessageQueue<ReceivedMessage>(this.options.messageBufferSize, (q) => this.queues.delete(q));
    if (this.state === 'closed') queue.close();
    else this.queues.add(queue);
    return queue;
  }

  /**
   * Disconnects (DISCONNECT, then transport close) and resolves once everything is released. In-flight
   * QoS 1/2 publishes get `timeoutMs` to complete unless `force`. Safe to call more than once.
   */
  async end(options: EndOptions = {}): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'closing') {
      const wasConnecting = this.state === 'connecting';
      this.state = 'closing';
      if (wasConnecting) this.rejectOpened(connectionClosed(`Connection to ${this.target} closed by the client before CONNACK`));
      if (!this.engineStarted) {
        this.finish(undefined);
      } else {
        // MQTT.js waits for in-flight QoS 1/2 flows without a bound; cut the transport when time is up.
        this.endTimer = setTimeout(() => {
          this.engine.stream?.destroy();
          this.finish(undefined);
        }, options.timeoutMs ?? DEFAULT_END_TIMEOUT_MS);
        this.engine.end(options.force ?? false, this.disconnectPacket(options), () => this.finish(undefined));
      }
    }
    await this.closed;
  }

  private engineOptions(): IClientOptions {
    const o = this.options;
    const opts: IClientOptions = {
      protocolVersion: o.protocolVersion,
      // MQTT 3.1.1 §3.1.2.1 / MQTT 3.1: protocol name "MQTT", or "MQIsdp" for 3.1.
      protocolId: o.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      clientId: o.clientId,
      clean: o.cleanStart,
      keepalive: o.keepalive,
      reconnectPeriod: o.reconnectPeriodMs,
      connectTimeout: o.connectTimeoutMs,
      resubscribe: true,
      manualConnect: true,
      // QoS 0 is fire-and-forget: do not hold it for a connection that may never come back.
      queueQoSZero: false,
    };
    if (o.username !== undefined) opts.username = o.username;
    if (o.password !== undefined) opts.password = o.password;
    if (o.will !== undefined) {
      opts.will = {
        topic: o.will.topic,
        payload: toBuffer(o.will.payload ?? ''),
        qos: o.will.qos ?? 0,
        retain: o.will.retain ?? false,
      };
      if (o.will.properties !== undefined) opts.will.properties = o.will.properties;
    }
    if (o.protocolVersion === 5) {
      const properties: NonNullable<IClientOptions['properties']> = { ...o.connectProperties };
      if (o.sessionExpiryInterval !== undefined) properties.sessionExpiryInterval = o.sessionExpiryInterval;
      if (o.userProperties !== undefined) properties.userProperties = o.userProperties;
      if (Object.keys(properties).length > 0) opts.properties = properties;
    }
    return opts;
  }

  /** MQTT.js stream builder: one transport connection per (re)connect. It must never throw. */
  private openTransport(): Duplex {
    this.connackFailure = this.disconnectFailure = this.transportFailure = this.engineFailure = undefined;
    const o = this.options;
    const transportOptions: TransportConnectOptions = {
      scheme: o.scheme,
      host: o.host,
      port: o.port,
      path: o.path,
      protocolVersion: o.protocolVersion,
      tls: o.tls,
      transportOptions: o.transportOptions,
    };
    let stream: Duplex;
    try {
      stream = o.transport.connect(transportOptions);
    } catch (err) {
      // A factory that throws is reported like any transport failure.
      stream = new PassThrough();
      process.nextTick(() => stream.destroy(err instanceof Error ? err : new Error(String(err))));
    }
    stream.on('error', (err: Error) => {
      this.transportFailure ??= transportError(err, this.target);
    });
    stream.on('mqtt-datagram', (data: Uint8Array) => this.receiveDatagram(data));
    return stream;
  }

  /**
   * A QoS 0 PUBLISH in a QUIC DATAGRAM (transportOptions.datagrams, the broker's qos0_datagrams): one
   * complete packet each; anything else is dropped like damaged UDP.
   */
  private receiveDatagram(data: Uint8Array): void {
    // Exactly one whole packet, so the parser is left with nothing half read and can serve the next one.
    if (this.state !== 'connected' || packetLengthAt(data) !== data.length) return;
    const d = (this.datagramParser ??= this.newDatagramParser());
    d.packet = undefined;
    d.parser.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const packet = d.packet as Packet | undefined;
    if (packet === undefined || packet.cmd !== 'publish' || packet.qos !== 0) return;
    this.deliver(packet, () => undefined);
  }

  /** The parser of MQTT datagrams; one that failed is replaced, as its state is then unknown. */
  private newDatagramParser(): DatagramParser {
    const d: DatagramParser = { parser: mqttPacket.parser({ protocolVersion: this.options.protocolVersion }), packet: undefined };
    d.parser.on('packet', (p: Packet) => (d.packet ??= p));
    d.parser.on('error', () => {
      d.packet = undefined;
      if (this.datagramParser === d) this.datagramParser = undefined;
    });
    return d;
  }

  /** The QUIC connection of a quic:// client, once connected. */
  private get quicConnection(): QuicConnectionHandle | undefined {
    return (this.engine.stream as { quicConnection?: QuicConnectionHandle } | undefined)?.quicConnection;
  }

  /** Sends a QoS 0 PUBLISH as a DATAGRAM when the connection takes one; false: use the stream. */
  private publishDatagram(topic: string, payload: Buffer, options: PublishOptions): boolean {
    const quic = this.quicConnection;
    // Datagrams only when this client asked for them (transportOptions.datagrams) and the broker takes them.
    if (this.state !== 'connected' || quic === undefined || this.options.transportOptions['datagrams'] !== true) return false;
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos: 0, retain: options.retain ?? false, dup: false };
    if (options.properties !== undefined) packet.properties = options.properties;
    return quic.sendDatagram(mqttPacket.generate(packet, { protocolVersion: this.options.protocolVersion }));
  }

  private wireEngine(): void {
    const engine = this.engine;
    engine.on('packetsend', (packet) => this.emit('packetsend', packet));
    engine.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') {
        const code = (this.options.protocolVersion === 5 ? packet.reasonCode : packet.returnCode) ?? 0;
        if (code !== 0) this.connackFailure = connackRefused(code, this.options.protocolVersion);
      } else if (packet.cmd === 'disconnect') {
        // MQTT 5.0 §3.14: the broker says why it is closing the connection.
        const code = packet.reasonCode ?? NORMAL_DISCONNECTION;
        const reason = packet.properties?.reasonString;
        this.disconnectFailure = connectionClosed(
          `Connection closed by broker: ${describeReasonCode(code)}${reason ? ` "${reason}"` : ''}`,
          code,
        );
      }
      this.emit('packetreceive', packet);
    });
    engine.on('connect', (packet) => {
      this.connackInfo = {
        sessionPresent: packet.sessionPresent,
        reasonCode: packet.reasonCode ?? packet.returnCode ?? 0,
        properties: packet.properties ?? {},
      };
      const first = this.state === 'connecting';
      if (this.state === 'closing' || this.state === 'closed') return;
      this.state = 'connected';
      if (first) {
        this.deliveryGate = new Promise((resolve) => setImmediate(resolve));
        void this.deliveryGate.then(() => (this.deliveryGate = undefined));
        this.resolveOpened();
      } else this.emit('connect', this.connackInfo);
    });
    engine.on('error', (err) => {
      const mapped = this.engineError(err);
      if (mapped.code === 'ERR_CONNACK_REFUSED') return; // packetreceive recorded it, with the version-right text
      this.engineFailure ??= mapped;
      if (this.state === 'connected' && this.listenerCount('error') > 0) this.emit('error', mapped);
      // MQTT 5.0 §4.13.1: after a Malformed Packet or Protocol Error the connection is closed. MQTT.js
      // reports parser errors but keeps reading, so close the transport here (a no-op if already closed).
      if (mapped.code === 'ERR_PROTOCOL') this.engine.stream?.destroy();
    });
    engine.on('reconnect', () => {
      if (this.state === 'offline') this.emit('reconnect');
    });
    engine.on('close', () => this.onTransportClosed());
  }

  private onTransportClosed(): void {
    switch (this.state) {
      case 'connecting': {
        const failure =
          this.connackFailure ??
          this.transportFailure ??
          this.engineFailure ??
          this.disconnectFailure ??
          connectionClosed(`Connection closed by ${this.target} before CONNACK`);
        this.rejectOpened(failure);
        this.closeWith(failure);
        return;
      }
      case 'connected':
      case 'offline': {
        const failure =
          this.connackFailure ??
          this.disconnectFailure ??
          this.transportFailure ??
          this.engineFailure ??
          connectionClosed(`Connection to ${this.target} lost`);
        this.closeFailure = failure;
        if (this.options.reconnectPeriodMs > 0 && this.connackFailure === undefined) {
          if (this.state === 'connected') {
            this.state = 'offline';
            this.emit('offline');
          }
          return;
        }
        this.closeWith(failure);
        return;
      }
      default:
        // closing: the transport is gone, so in-flight flows cannot complete; end() need not wait.
        if (this.state === 'closing') this.finish(this.closingFailure);
        return;
    }
  }

  /** The connection failed for good: stop the engine (and its reconnect timer), then finish. */
  private closeWith(failure: MqttClientError): void {
    this.state = 'closing';
    this.closingFailure = failure;
    this.engine.end(true, () => this.finish(failure));
  }

  /** Final state: every promise settled, every iterator ended, 'close' emitted once. */
  private finish(failure: MqttClientError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.endTimer);
    const pendingError = failure ?? connectionClosed(`Connection to ${this.target} closed by the client`);
    for (const reject of [...this.pending]) reject(pendingError);
    this.pending.clear();
    for (const queue of this.queues) queue.close(failure);
    this.queues.clear();
    this.resolveClosed();
    this.emit('close', failure);
  }

  private deliver(packet: IPublishPacket, done: (err?: Error) => void): void {
    if (this.deliveryGate !== undefined) {
      // MQTT.js handles the next packet only after done(), so waiting here keeps the order.
      void this.deliveryGate.then(() => this.deliver(packet, done));
      return;
    }
    const message: ReceivedMessage = {
      topic: packet.topic,
      payload: toBuffer(packet.payload),
      qos: packet.qos,
      retain: packet.retain,
      dup: packet.dup,
      messageId: packet.messageId,
      properties: packet.properties ?? {},
    };
    try {
      this.emit('message', message);
    } catch (err) {
      // A throwing listener is the application's bug; it must not break the protocol flow.
      process.nextTick(() => {
        throw err;
      });
    }
    const full: Array<Promise<void>> = [];
    for (const queue of this.queues) {
      queue.push(message);
      if (queue.full) full.push(queue.waitForRoom());
    }
    if (full.length === 0) done();
    else void Promise.all(full).then(() => done());
  }

  /** Runs `start`, turning synchronous throws into rejections and failing the promise if the client closes. */
  private track<T>(start: (resolve: (value: T) => void, reject: (err: MqttClientError) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.state === 'closed' || this.state === 'closing' || this.state === 'connecting') {
        reject(connectionClosed(`Not connected to ${this.target}`));
        return;
      }
      const fail = (err: MqttClientError): void => {
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      try {
        start((value) => {
          this.pending.delete(fail);
          resolve(value);
        }, fail);
      } catch (err) {
        fail(err instanceof MqttClientError ? err : new MqttClientError('ERR_INVALID_OPTION', String(err)));
      }
    });
  }

  /**
   * MQTT.js fails queued operations ("Connection closed") just before it reports the close; wait one
   * macrotask so the rejection carries the reason found when the close is handled.
   */
  private rejectLater(reject: (err: MqttClientError) => void, err: Error): void {
    setImmediate(() => reject(this.engineError(err)));
  }

  private engineError(err: Error): MqttClientError {
    if (err instanceof MqttClientError) return err;
    if (err.message === 'connack timeout') {
      return new MqttClientError('ERR_CONNECT_TIMEOUT', `No CONNACK from ${this.target} within ${this.options.connectTimeoutMs} ms`, {
        cause: err,
      });
    }
    if (err.message === 'client disconnecting' || err.message === 'Connection closed') {
      return this.closeFailure ?? connectionClosed(`Connection to ${this.target} closed`);
    }
    if (err.message === 'Keepalive timeout') {
      // MQTT 5.0 §3.1.2.10: no PINGRESP within a reasonable time after PINGREQ: the connection is dead.
      return connectionClosed(`No answer from ${this.target} within the keepalive interval (${this.options.keepalive} s)`);
    }
    if (typeof (err as { code?: unknown }).code === 'string') return transportError(err, this.target);
    if (/^Connection refused: /.test(err.message)) {
      const code = reasonCodeOf(err);
      if (code !== undefined) return connackRefused(code, this.options.protocolVersion);
    }
    return new MqttClientError('ERR_PROTOCOL', `MQTT error with ${this.target}: ${err.message}`, { cause: err });
  }

  private subscribeProperties(options: SubscribeOptions): { subscriptionIdentifier?: number; userProperties?: UserProperties } | undefined {
    if (options.subscriptionIdentifier === undefined && options.userProperties === undefined) return undefined;
    if (this.options.protocolVersion !== 5) {
      throw new MqttClientError('ERR_INVALID_OPTION', 'Subscription identifiers and SUBSCRIBE user properties need MQTT 5');
    }
    const id = options.subscriptionIdentifier;
    // MQTT 5.0 §3.8.2.1.2: 1 to 268,435,455 (a Variable Byte Integer); 0 is a Protocol Error.
    if (id !== undefined && (!Number.isInteger(id) || id < 1 || id > 268_435_455)) {
      throw new MqttClientError('ERR_INVALID_OPTION', `subscriptionIdentifier must be 1..268435455, got ${id}`);
    }
    return {
      ...(id === undefined ? {} : { subscriptionIdentifier: id }),
      ...(options.userProperties === undefined ? {} : { userProperties: options.userProperties }),
    };
  }

  private disconnectPacket(options: EndOptions): { reasonCode?: number; properties?: Record<string, unknown> } {
    if (this.options.protocolVersion !== 5) return {};
    const properties: Record<string, unknown> = {};
    if (options.sessionExpiryInterval !== undefined) properties['sessionExpiryInterval'] = options.sessionExpiryInterval;
    if (options.userProperties !== undefined) properties['userProperties'] = options.userProperties;
    return {
      reasonCode: options.reasonCode ?? NORMAL_DISCONNECTION,
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    };
  }
}

/** SUBACK refused at least one filter; `grants` has the answer for every filter. */
export class SubscribeRefusedError extends MqttClientError {
  readonly grants: SubscriptionGrant[];

  constructor(grants: SubscriptionGrant[], refused: SubscriptionGrant[]) {
    const first = refused[0] as SubscriptionGrant;
    // MQTT 3.1.1 §3.9.3: 0x80 is its only failure code, the same value and name as MQTT 5's.
    super(
      'ERR_SUBSCRIBE_REFUSED',
      `Subscription to "${first.filter}" refused: ${describeReasonCode(first.reasonCode)}` +
        (refused.length > 1 ? ` (and ${refused.length - 1} more)` : ''),
      { reasonCode: first.reasonCode },
    );
    this.grants = grants;
  }
}

function reasonCodeOf(err: Error): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function toBuffer(value: string | Uint8Array | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return value;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
