// One client connection: frames and decodes the byte stream, enforces the protocol (version rules,
// packet size, keepalive, flow control), talks to the session, and sends packets back. It does not know
// which transport carries the bytes (DESIGN.md, "The broker core").
import type { Duplex } from 'node:stream';
import { PacketFramer, packetLengthAt } from '../../mqtt/framer.js';
import { PacketDecoder, encodePacket, type Packet, type ProtocolVersion } from '../../mqtt/codec.js';
import { readConnectProtocol, supportedVersion } from '../../mqtt/protocol-version.js';
import { connectStringsAreWellFormed, propertyStringsAreWellFormed, publishTopicIsWellFormed, subscriptionFiltersAreWellFormed } from '../../mqtt/utf8.js';
import { findRepeatedProperty } from '../../mqtt/properties.js';
import { ReasonCode, ConnackReturnCode, MqttProtocolError, connackCodeForV4 } from '../../mqtt/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectionInfo } from '../connection-info.js';
import type { Session, SessionOutlet } from '../session.js';
import type { WillSpec } from '../session-registry.js';
import type { Delivery } from '../message.js';
import { SUBSCRIBER_SUFFIX_SEPARATOR } from '../router/router.js';
import { OutboundPublisher } from './outbound-publisher.js';
import { WriteBatcher } from './write-batcher.js';
import { PublisherFlow } from './publisher-flow.js';
import { handleConnect } from './handle-connect.js';
import { handlePublish } from './handle-publish.js';
import { handlePuback, handlePubrec, handlePubrel, handlePubcomp } from './handle-acks.js';
import { handleSubscribe } from './handle-subscribe.js';
import { handleUnsubscribe } from './handle-unsubscribe.js';
import { handleDisconnect } from './handle-disconnect.js';

export type ChannelState = 'awaiting_connect' | 'connecting' | 'connected' | 'closed';

/** How a channel ends: what to tell a 5.0 client, and whether the will is published. */
export interface CloseOptions {
  reason: string;
  /** 5.0 DISCONNECT reason code sent before closing (only once CONNECT has completed). */
  disconnectCode?: number;
  /** MQTT 5.0 §3.1.2.5: the will is published unless the client sent DISCONNECT 0x00. */
  publishWill: boolean;
}

/** MQTT 5.0 §3.1.2.22: no Receive Maximum means 65535. */
const DEFAULT_RECEIVE_MAXIMUM = 65535;
/** MQTT 5.0 §3.1.2.24: no Maximum Packet Size means no limit beyond the protocol's own (268435455+5). */
const PROTOCOL_MAX_PACKET_SIZE = 268435460;
/**
 * MQTT over QUIC data streams (EMQX multi-stream, EIP-0023) carry these packets only; CONNECT, PINGREQ,
 * DISCONNECT and AUTH belong to the control stream.
 */
const DATA_STREAM_PACKETS: ReadonlySet<Packet['cmd']> = new Set<Packet['cmd']>(['publish', 'puback', 'pubrec', 'pubrel', 'pubcomp', 'subscribe', 'unsubscribe']);

/** After sending our last packet, how long the peer gets to read it before the socket is destroyed. */
const CLOSE_GRACE_MS = 2000;
/**
 * Packets handled from one connection before the channel yields to the event loop (setImmediate): a
 * client that pipelines a large backlog must not starve other connections, nor our own writes, which
 * go out at the end of the turn (write-batcher.ts).
 */
export const MAX_PACKETS_PER_TURN = 256;

let channelSeq = 0;

export class Channel implements SessionOutlet {
  readonly id = ++channelSeq;
  state: ChannelState = 'awaiting_connect';
  version: ProtocolVersion = 4;
  clientId = '';
  username: string | undefined;
  superuser = false;
  session: Session | undefined;
  will: WillSpec | undefined;

  /** Limits the client announced in CONNECT (MQTT 5.0 §3.1.2.11). */
  clientReceiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  clientMaxPacketSize = PROTOCOL_MAX_PACKET_SIZE;
  clientTopicAliasMaximum = 0;
  /** Session Expiry Interval the CONNECT asked for, before the broker's cap (MQTT 5.0 §3.14.2.2.2). */
  connectSessionExpiry = 0;
  /** Request Problem Information (MQTT 5.0 §3.1.2.11.7). */
  problemInformation = true;
  /** Receive Maximum the broker announced: QoS 2 PUBLISHes the client may leave unreleased. */
  receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
  /** Topic Alias Maximum the broker announced. */
  topicAliasMaximum = 0;
  readonly inboundAliases = new Map<number, string>();
  /** UTF-8 bytes of the topics in inboundAliases, bounded by mqtt.max_topic_alias_bytes. */
  inboundAliasBytes = 0;

  private readonly framer: PacketFramer;
  readonly decoder = new PacketDecoder();
  private keepaliveMs = 0;
  private lastReceivedAt: number;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  /** True while an asynchronous step (authentication) holds further packets back. */
  private blocked = false;
  /** True while a destination session above its high-water mark holds this publisher (publisher-flow.ts). */
  private held = false;
  /** True while a continuation of processFrames is scheduled after MAX_PACKETS_PER_TURN packets. */
  private yielded = false;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly outbound = new OutboundPublisher(this);
  private readonly writer: WriteBatcher;
  /** This connection as the source of the messages it publishes: full destinations hold it. */
  readonly source = new PublisherFlow((held) => this.onHeldChange(held));
  private readonly continueFrames = (): void => {
    this.yielded = false;
    this.processFrames();
  };
  /** Control channel: its MQTT over QUIC data streams, waiting for CONNECT to complete or running. */
  private dataStreams: Set<Channel> | undefined;
  private dataStreamsOpened = 0;

  /**
   * `control`: this channel is an MQTT over QUIC data stream of that connection (EMQX multi-stream,
   * EIP-0023). It sends no CONNECT: once the control channel is connected it takes over its client's
   * identity, protocol version and limits, and gets a session of its own (expiry 0) for the subscriptions
   * made on it, whose messages it delivers, and for its QoS 1/2 state. It carries PUBLISH, the acks,
   * SUBSCRIBE and UNSUBSCRIBE; it ends with its stream or with the control channel, without a will.
   */
  constructor(
    readonly ctx: BrokerContext,
    readonly stream: Duplex,
    readonly info: ConnectionInfo,
    readonly control?: Channel,
  ) {
    this.framer = new PacketFramer(ctx.config.mqtt.max_packet_size);
    this.writer = new WriteBatcher(stream);
    this.lastReceivedAt = ctx.now();
    stream.on('data', this.onData);
    stream.on('end', () => this.close({ reason: 'peer closed the connection', publishWill: true }));
    stream.on('close', () => this.close({ reason: 'connection closed', publishWill: true }));
    stream.on('error', (err: Error) => this.close({ reason: `transport error: ${err.message}`, publishWill: true }));
    stream.on('drain', () => this.onDrain());
    info.datagrams?.onReceive((packet) => this.receiveDatagram(packet));
    if (control !== undefined) {
      // Read nothing until the control channel's CONNECT has completed (EIP-0023 lets clients open data
      // streams without waiting for CONNACK); its idle_timeout bounds the wait.
      this.blocked = true;
      control.adoptDataStream(this);
      return;
    }
    // MQTT 5.0 §4.13 / EMQX idle_timeout: a connection that does not send CONNECT in time is closed.
    this.connectTimer = setTimeout(
      () => this.close({ reason: 'CONNECT not completed within idle_timeout', publishWill: false }),
      ctx.config.mqtt.idle_timeout,
    );
  }

  get isDataStream(): boolean {
    return this.control !== undefined;
  }

  /** Control channel: a data stream of this connection; started now if CONNECT has completed. */
  private adoptDataStream(data: Channel): void {
    if (this.state === 'closed') {
      data.close({ reason: 'control stream closed', publishWill: false });
      return;
    }
    (this.dataStreams ??= new Set()).add(data);
    if (this.state === 'connected') this.startDataStream(data);
  }

  /** Control channel, once connected: gives a data stream the client's identity and a session of its own. */
  private startDataStream(data: Channel): void {
    if (data.state !== 'awaiting_connect') return;
    data.version = this.version;
    data.decoder.setProtocolVersion(this.version);
    data.clientId = this.clientId;
    data.username = this.username;
    data.superuser = this.superuser;
    data.clientReceiveMaximum = this.clientReceiveMaximum;
    data.clientMaxPacketSize = this.clientMaxPacketSize;
    data.clientTopicAliasMaximum = this.clientTopicAliasMaximum;
    data.problemInformation = this.problemInformation;
    data.receiveMaximum = this.receiveMaximum;
    data.topicAliasMaximum = this.topicAliasMaximum;
    data.session = this.ctx.sessions.openDataStream(`${this.clientId}${SUBSCRIBER_SUFFIX_SEPARATOR}${++this.dataStreamsOpened}`, data);
    data.state = 'connected';
    data.blocked = false;
    this.ctx.metrics.dataStreams.inc({ listener: data.info.listener });
    this.ctx.metrics.dataStreamsTotal.inc({ listener: data.info.listener });
    data.processFrames();
  }

  /** QoS 0 PUBLISH packets may go out in QUIC DATAGRAM frames (ConnectionInfo.datagrams). */
  get datagramsEnabled(): boolean {
    return this.info.datagrams?.send !== undefined;
  }

  /** Sends one encoded QoS 0 PUBLISH as a DATAGRAM; false when it must go on the stream instead. */
  sendDatagram(bytes: Buffer): boolean {
    const send = this.info.datagrams?.send;
    if (this.state !== 'connected' || send === undefined || !send(bytes)) return false;
    this.ctx.metrics.countBytesSent(bytes.length);
    this.ctx.metrics.datagramsOut++;
    return true;
  }

  /**
   * One MQTT packet in a QUIC DATAGRAM (qos0_datagrams): only a complete QoS 0 PUBLISH without a Topic
   * Alias (aliases need ordered delivery) is taken; anything else is dropped like damaged UDP, never a
   * reason to close the connection. Rules of the stream apply otherwise (authorization, packet size).
   */
  private receiveDatagram(packet: Uint8Array): void {
    if (this.state !== 'connected') return;
    const frame = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
    this.ctx.metrics.countBytesReceived(frame.length);
    const drop = (why: string): void => {
      this.ctx.metrics.datagramsDropped++;
      this.ctx.logger.debug({ clientId: this.clientId, size: frame.length, why }, 'MQTT datagram dropped');
    };
    // PUBLISH (type 3) at QoS 0 (flag bits 1-2 clear), MQTT 5.0 §3.3.1.
    if (frame.length < 2 || frame[0]! >> 4 !== 3 || (frame[0]! & 0x06) !== 0) return drop('not a QoS 0 PUBLISH');
    if (frame.length > this.ctx.config.mqtt.max_packet_size) return drop('larger than mqtt.max_packet_size');
    // Exactly one whole packet: the decoder is shared with the stream, and a partial packet would stay in it.
    if (packetLengthAt(frame) !== frame.length) return drop('not exactly one packet');
    if (!this.stringsAreWellFormed(3, frame)) return drop('ill-formed UTF-8');
    const decoded = this.decoder.decode(frame);
    if (!decoded.ok || decoded.packet.cmd !== 'publish') return drop(decoded.ok ? 'not a PUBLISH' : decoded.error);
    if (decoded.packet.properties?.topicAlias !== undefined) return drop('Topic Alias in a datagram');
    // DATAGRAM frames escape stream flow control (RFC 9221 §5): while full subscriber queues hold this
    // publisher (publisher-flow.ts), its datagram messages are dropped, as QoS 0 allows, not queued.
    if (this.held) return drop('publisher held by full subscriber queues');
    this.ctx.metrics.datagramsIn++;
    this.lastReceivedAt = this.ctx.now();
    try {
      handlePublish(this, decoded.packet);
    } catch (e) {
      this.ctx.logger.error({ clientId: this.clientId, err: e }, 'unexpected error while handling a datagram PUBLISH');
    }
  }

  /** A packet arrived on one of this connection's data streams: the client is alive (keepalive). */
  private touch(now: number): void {
    this.lastReceivedAt = now;
  }

  get isV5(): boolean {
    return this.version === 5;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** The transport's buffer is above its high-water mark; cleared on 'drain'. */
  get congested(): boolean {
    return this.writer.isCongested;
  }

  /** Bytes in from the transport. */
  private receive(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.countBytesReceived(chunk.length);
    this.framer.push(chunk);
    this.processFrames();
  }

  private processFrames(): void {
    let handled = 0;
    while (this.state !== 'closed' && !this.blocked && !this.held && !this.yielded) {
      if (handled === MAX_PACKETS_PER_TURN) {
        this.yielded = true;
        setImmediate(this.continueFrames);
        break;
      }
      let frame: Buffer | undefined;
      try {
        frame = this.framer.next();
      } catch (e) {
        if (e instanceof MqttProtocolError) this.protocolViolation(e.code, e.message);
        else this.protocolViolation(ReasonCode.MalformedPacket, String(e));
        return;
      }
      if (!frame) break;
      handled++;
      this.lastReceivedAt = this.ctx.now();
      this.control?.touch(this.lastReceivedAt);
      try {
        this.handleFrame(frame);
      } catch (e) {
        // A bug of ours must cost this one connection, never the process (DESIGN.md conventions).
        this.ctx.logger.error({ clientId: this.clientId, err: e }, 'unexpected error while handling a packet');
        this.protocolViolation(ReasonCode.UnspecifiedError, 'internal error');
        return;
      }
    }
    if (this.state === 'closed') return;
    // Hold input back while the socket cannot take our output (a client that does not read must not
    // make us buffer acknowledgements without bound), while a full subscriber queue holds this
    // publisher, and until the rest of a long backlog gets its turn.
    if (this.blocked || this.writer.isCongested || this.held || this.yielded) this.stream.pause();
    else if (this.stream.isPaused()) this.stream.resume();
  }

  /** PublisherFlow: the first destination holding this publisher arrived, or the last one left. */
  private onHeldChange(held: boolean): void {
    this.held = held;
    // The time held is ours, not the client's (see armKeepalive).
    if (!held) this.lastReceivedAt = this.ctx.now();
    // Resume from a fresh turn: the release comes from inside another channel's pump.
    if (!held && !this.yielded && this.state !== 'closed') {
      this.yielded = true;
      setImmediate(this.continueFrames);
    }
  }

  private handleFrame(frame: Buffer): void {
    const type = frame[0]! >> 4;
    if (this.state === 'awaiting_connect') {
      // MQTT 5.0 §3.1 [MQTT-3.1.0-1]: the first packet from the client MUST be CONNECT, else close.
      if (type !== 1) {
        this.close({ reason: 'first packet is not CONNECT', publishWill: false });
        return;
      }
      const proto = readConnectProtocol(frame);
      const version = proto && supportedVersion(proto);
      if (proto && version === undefined) {
        // MQTT 3.1.1 §3.1.2.2 / 5.0 §3.1.2.2: refuse an unsupported level with return code 0x01
        // (a 5.0 server MAY use 0x84; a client of an unknown version only understands the 3.1.1 form).
        this.writePacket({ cmd: 'connack', returnCode: ConnackReturnCode.UnacceptableProtocolVersion, sessionPresent: false }, 4);
        this.close({ reason: `unsupported protocol ${proto.name} level ${proto.level}`, publishWill: false });
        return;
      }
      if (version !== undefined) {
        this.version = version;
        this.decoder.setProtocolVersion(version);
      }
    } else if (type === 1) {
      // MQTT 5.0 §3.1 [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
      this.protocolViolation(ReasonCode.ProtocolError, 'second CONNECT');
      return;
    }
    if (!this.stringsAreWellFormed(type, frame)) {
      this.protocolViolation(ReasonCode.MalformedPacket, 'ill-formed UTF-8 in a string');
      return;
    }
    const decoded = this.decoder.decode(frame);
    if (!decoded.ok) {
      this.protocolViolation(ReasonCode.MalformedPacket, `malformed packet: ${decoded.error}`);
      return;
    }
    if (this.isV5) {
      // MQTT 5.0 §2.2.2.2: a property other than User Property appearing twice is a Protocol Error.
      const repeated = findRepeatedProperty(decoded.packet);
      if (repeated !== undefined) {
        this.protocolViolation(ReasonCode.ProtocolError, `property ${repeated} appears more than once`);
        return;
      }
    }
    this.dispatch(decoded.packet);
  }

  /** MQTT 5.0 §1.5.4 [MQTT-1.5.4-1]: checked on the raw bytes, which the decoder does not do. */
  private stringsAreWellFormed(type: number, frame: Buffer): boolean {
    if (this.isV5 && !propertyStringsAreWellFormed(frame)) return false;
    switch (type) {
      case 1:
        return connectStringsAreWellFormed(frame, this.isV5);
      case 3:
        return publishTopicIsWellFormed(frame);
      case 8:
      case 10:
        return subscriptionFiltersAreWellFormed(frame, this.isV5);
      default:
        return true;
    }
  }

  private dispatch(packet: Packet): void {
    if (this.state === 'awaiting_connect') {
      if (packet.cmd !== 'connect') return this.close({ reason: 'first packet is not CONNECT', publishWill: false });
      // The idle_timeout keeps running until CONNACK: it also bounds an authenticator that never answers.
      this.state = 'connecting';
      this.blocked = true;
      handleConnect(this, packet)
        .catch((e: unknown) => {
          this.ctx.logger.error({ clientId: this.clientId, err: e }, 'unexpected error while handling CONNECT');
          if (this.state === 'connected') this.protocolViolation(ReasonCode.UnspecifiedError, 'internal error');
          else this.refuseConnect(ReasonCode.UnspecifiedError, 'internal error');
        })
        .finally(() => {
          if (this.connectTimer) clearTimeout(this.connectTimer);
          this.connectTimer = undefined;
          this.blocked = false;
          if (this.state !== 'connected') return;
          if (this.dataStreams !== undefined) for (const d of this.dataStreams) this.startDataStream(d);
          this.processFrames();
        });
      return;
    }
    if (this.control !== undefined && !DATA_STREAM_PACKETS.has(packet.cmd)) {
      return this.protocolViolation(ReasonCode.ProtocolError, `${packet.cmd} on a data stream (EIP-0023 allows PUBLISH, its acks, SUBSCRIBE and UNSUBSCRIBE)`);
    }
    switch (packet.cmd) {
      case 'publish':
        return handlePublish(this, packet);
      case 'puback':
        return handlePuback(this, packet);
      case 'pubrec':
        return handlePubrec(this, packet);
      case 'pubrel':
        return handlePubrel(this, packet);
      case 'pubcomp':
        return handlePubcomp(this, packet);
      case 'subscribe':
        return handleSubscribe(this, packet);
      case 'unsubscribe':
        return handleUnsubscribe(this, packet);
      case 'pingreq':
        // MQTT 5.0 §3.12.4: the server MUST answer PINGREQ with PINGRESP.
        this.send({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        return handleDisconnect(this, packet);
      case 'auth':
        // MQTT 5.0 §4.12: AUTH without an Authentication Method negotiated in CONNECT is a Protocol Error.
        return this.protocolViolation(ReasonCode.ProtocolError, 'AUTH without enhanced authentication');
      default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP are server-to-client only (MQTT 5.0 §2.1.2).
        return this.protocolViolation(ReasonCode.ProtocolError, `${packet.cmd} sent by a client`);
    }
  }

  /**
   * The spec's reaction to a bad packet: before CONNACK a 5.0 client gets CONNACK with the reason code,
   * after it a DISCONNECT (MQTT 5.0 §4.13.1); 3.1/3.1.1 clients are just disconnected (MQTT 3.1.1 §4.8).
   */
  protocolViolation(code: number, message: string): void {
    if (this.state === 'awaiting_connect' || this.state === 'connecting') {
      if (this.isV5) this.writePacket({ cmd: 'connack', reasonCode: code, sessionPresent: false }, 5);
      this.close({ reason: message, publishWill: false });
      return;
    }
    this.close({ reason: message, disconnectCode: code, publishWill: true });
  }

  /** Refuses a CONNECT with a 5.0 reason code (translated for 3.1/3.1.1) and closes. */
  refuseConnect(code: number, message: string): void {
    if (this.isV5) {
      this.writePacket({ cmd: 'connack', reasonCode: code, sessionPresent: false, properties: this.problemInformation ? { reasonString: message } : {} }, 5);
    } else {
      const rc = connackCodeForV4(code);
      if (rc !== undefined) this.writePacket({ cmd: 'connack', returnCode: rc, sessionPresent: false }, this.version);
    }
    this.close({ reason: `connect refused: ${message}`, publishWill: false });
  }

  /** Starts the keepalive watchdog: keepalive x keepalive_multiplier (MQTT 5.0 §3.1.2.10). */
  startKeepalive(keepaliveSeconds: number): void {
    if (keepaliveSeconds <= 0) return;
    this.keepaliveMs = keepaliveSeconds * 1000 * this.ctx.config.mqtt.keepalive_multiplier;
    this.armKeepalive(this.keepaliveMs);
  }

  private armKeepalive(ms: number): void {
    this.keepaliveTimer = setTimeout(() => {
      // A publisher held by full subscriber queues is not idle: we stopped reading it, not the other
      // way round, so its time held does not count against its keepalive (MQTT 5.0 §3.1.2.10).
      if (this.held) this.lastReceivedAt = this.ctx.now();
      const idle = this.ctx.now() - this.lastReceivedAt;
      if (idle >= this.keepaliveMs) {
        this.close({ reason: 'keepalive timeout', disconnectCode: ReasonCode.KeepAliveTimeout, publishWill: true });
      } else {
        this.armKeepalive(this.keepaliveMs - idle);
      }
    }, Math.max(1, ms));
  }

  // ---- outgoing ---------------------------------------------------------------------------------

  /** Encodes and writes a packet in this connection's protocol version. */
  send(packet: Packet): boolean {
    return this.writePacket(packet, this.version);
  }

  private writePacket(packet: Packet, version: ProtocolVersion): boolean {
    if (this.state === 'closed') return false;
    let bytes: Buffer;
    try {
      bytes = encodePacket(packet, version);
      if (version === 5 && bytes.length > this.clientMaxPacketSize && 'properties' in packet && packet.properties) {
        // MQTT 5.0 §3.1.2.11.4 [MQTT-3.1.2-25]: drop the Reason String and User Properties first if
        // that makes it fit.
        const props = { ...packet.properties } as Record<string, unknown>;
        delete props['reasonString'];
        delete props['userProperties'];
        bytes = encodePacket({ ...packet, properties: props } as Packet, version);
      }
    } catch (e) {
      this.ctx.logger.error({ clientId: this.clientId, err: e }, 'cannot encode packet');
      return false;
    }
    if (version === 5 && bytes.length > this.clientMaxPacketSize) {
      // MQTT 5.0 §3.1.2.11.4 [MQTT-3.1.2-24]: the server MUST NOT send a packet larger than the
      // client's Maximum Packet Size, whatever its type. Only an Application Message may be discarded
      // "as if sent" ([MQTT-3.1.2-25], OutboundPublisher); a SUBACK, UNSUBACK or acknowledgement the
      // client waits for cannot, or the client waits forever. The spec's reason for that case is 0x95
      // Packet too large (§3.14.2.1), so the connection is closed with it: the DISCONNECT goes out in
      // its minimal form (no Reason String, stripped above) when that fits, else the connection just
      // closes. A DISCONNECT that does not fit is therefore never retried.
      this.ctx.logger.warn(
        { clientId: this.clientId, cmd: packet.cmd, size: bytes.length, max: this.clientMaxPacketSize },
        "packet exceeds the client's Maximum Packet Size; not sent",
      );
      if (packet.cmd !== 'publish' && packet.cmd !== 'disconnect') {
        // No DISCONNECT in place of a CONNACK: the client has not seen the connection accepted (§3.14).
        this.close({
          reason: `${packet.cmd} of ${bytes.length} bytes exceeds the client's Maximum Packet Size (${this.clientMaxPacketSize})`,
          ...(packet.cmd === 'connack' ? {} : { disconnectCode: ReasonCode.PacketTooLarge }),
          publishWill: packet.cmd !== 'connack',
        });
      }
      return false;
    }
    return this.writeBytes(bytes);
  }

  /** Writes encoded bytes; false (and congested) once the transport buffers more than its high-water mark. */
  writeBytes(bytes: Buffer): boolean {
    this.ctx.metrics.countBytesSent(bytes.length);
    // Batched with the other packets of this event-loop turn; false once the transport is congested.
    return this.writer.write(bytes);
  }

  private onDrain(): void {
    this.writer.onDrain();
    if (this.state !== 'connected') return;
    this.pump();
    if (!this.blocked && !this.writer.isCongested && this.stream.isPaused()) this.processFrames();
  }

  /** SessionOutlet: sends now if the window and the socket allow, else queues (bounded) in the session. */
  offer(delivery: Delivery): void {
    this.outbound.offer(delivery);
  }

  /** Sends queued messages while the window and the socket allow (after an ack or a drain). */
  pump(): void {
    this.outbound.pump();
  }

  /** On resuming a session: re-send what is in flight, then the queue (MQTT 5.0 §4.4). */
  resumeInflight(): void {
    this.outbound.resumeInflight();
  }

  /** 3.1/3.1.1 re-send after retry_interval on the same connection. */
  retryInflight(now: number): void {
    this.outbound.retryInflight(now);
  }

  /** SessionOutlet: a new connection took this session over (MQTT 5.0 §3.1.4). */
  takeOver(): void {
    this.close({ reason: 'session taken over', disconnectCode: ReasonCode.SessionTakenOver, publishWill: true });
  }

  // ---- closing ----------------------------------------------------------------------------------

  close(opts: CloseOptions): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    // A data stream carries no DISCONNECT (EIP-0023): it just ends, and the connection goes on.
    if (wasConnected && this.isV5 && opts.disconnectCode !== undefined && this.control === undefined) {
      this.send({ cmd: 'disconnect', reasonCode: opts.disconnectCode, properties: { reasonString: opts.reason } });
    }
    this.state = 'closed';
    for (const t of [this.keepaliveTimer, this.connectTimer]) if (t) clearTimeout(t);
    // Our last packets (e.g. DISCONNECT) leave before the FIN; sessions stop holding this publisher.
    this.writer.flush();
    this.source.dispose();
    this.stream.off('data', this.onData);
    if (!this.stream.destroyed) {
      // Half-close after our last packet and let the peer close its side: destroying at once could
      // reset the connection and lose that packet (e.g. a DISCONNECT reason code) at the peer. Input
      // still flows (and is discarded) so the peer's FIN is seen; a peer that never closes is cut off
      // after a grace period.
      this.stream.end();
      this.closeTimer = setTimeout(() => this.stream.destroy(), CLOSE_GRACE_MS);
      this.closeTimer.unref();
      this.stream.once('close', () => clearTimeout(this.closeTimer));
      if (this.stream.isPaused()) this.stream.resume();
    }
    this.ctx.onChannelClosed(this, wasConnected);
    if (wasConnected && this.session) {
      this.ctx.sessions.detach(this.session, opts.publishWill ? this.will : undefined);
    }
    this.control?.dataStreams?.delete(this);
    if (this.control !== undefined && wasConnected) this.ctx.metrics.dataStreams.dec({ listener: this.info.listener });
    if (this.dataStreams !== undefined) {
      // The control stream's end is the connection's (EIP-0023): its data streams go with it.
      const streams = [...this.dataStreams];
      this.dataStreams = undefined;
      for (const d of streams) d.close({ reason: 'control stream closed', publishWill: false });
    }
    this.will = undefined;
    const log = { clientId: this.clientId || undefined, listener: this.info.listener, remote: this.info.remoteAddress, reason: opts.reason };
    if (this.control !== undefined) this.ctx.logger.debug(log, 'data stream closed');
    else if (wasConnected) this.ctx.logger.info(log, 'client disconnected');
    else this.ctx.logger.debug(log, 'connection closed before CONNECT completed');
  }
}
