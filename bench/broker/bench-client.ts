// One load-generator MQTT 3.1.1 client on a raw TCP socket: connects, subscribes, publishes pipelined
// batches (QoS 0 as fast as the socket takes them, QoS 1 within a bounded window of unacknowledged
// PUBLISHes), and counts and timestamps what it receives. Built for throughput: a batch of PUBLISHes is one
// write, received packets are read in place, and PUBACKs for one chunk go out as one write.
import { connect, type Socket } from 'node:net';
import { FrameError, FrameScanner } from './frame-scanner.js';
import type { LoadStats } from './load-stats.js';
import {
  connectPacket,
  disconnectPacket,
  MAX_PACKET_ID,
  monotonicMicros,
  PacketType,
  PUBACK_BYTES,
  PublishTemplate,
  readPublish,
  subscribePacket,
  writePuback,
  type PublishView,
} from './packets.js';
import type { ClientSpec, LoadSettings } from './protocol.js';

/** PUBLISHes per write: enough to amortise the system call, small enough to keep latency honest. */
const PUBLISH_BATCH = 64;
/** Writes per event-loop turn before yielding, so reads, timers and IPC keep their turn. */
const MAX_WRITES_PER_TURN = 16;
/** Largest packet a broker may send us; the scanner refuses bigger ones (bounded memory). */
const MAX_INCOMING_PACKET_BYTES = 1 << 20;
/** With a rate limit, how often a publisher that is ahead of its schedule looks again. */
const RATE_RECHECK_MS = 1;
/**
 * How long close() waits for the broker to close its side before destroying the socket. Short: a broker
 * still working through a backlog of pipelined PUBLISHes may take long to reach the DISCONNECT, and the
 * reset that follows is what lets it drop that backlog before the next run.
 */
const CLOSE_TIMEOUT_MS = 500;
/** MQTT 3.1.1 §3.9.3: a SUBACK return code of 0x80 is a failure. */
const SUBACK_FAILURE = 0x80;

export class BenchClientError extends Error {
  override readonly name = 'BenchClientError';
  constructor(
    readonly code: 'CONNECT_FAILED' | 'CONNECT_REFUSED' | 'SUBSCRIBE_REFUSED' | 'TIMEOUT' | 'PROTOCOL',
    message: string,
  ) {
    super(message);
  }
}

type Awaited = 'connack' | 'suback';

export class BenchClient {
  private socket: Socket | undefined;
  private readonly scanner = new FrameScanner((b, o, h, r) => this.onPacket(b, o, h, r), MAX_INCOMING_PACKET_BYTES);
  private readonly template: PublishTemplate | undefined;
  private readonly view: PublishView = { qos: 0, packetId: 0, timestampUs: NaN };
  private waiter: { what: Awaited; resolve: () => void; reject: (e: Error) => void } | undefined;
  private receivedAtUs = 0;
  private readonly pendingAcks: number[] = [];
  private inflight = 0;
  private nextPacketId = 1;
  private publishing = false;
  private waitingForDrain = false;
  private pumpScheduled = false;
  private rateTimer: NodeJS.Timeout | undefined;
  private rateStartUs = 0;
  private rateSent = 0;
  private closing = false;
  private closed = false;

  constructor(
    readonly spec: ClientSpec,
    private readonly settings: LoadSettings,
    private readonly stats: LoadStats,
  ) {
    if (spec.role === 'publisher') this.template = new PublishTemplate(spec.topic, spec.qos, settings.payloadBytes);
  }

  /** Connects, sends CONNECT and (for a subscriber) SUBSCRIBE; resolves once both are acknowledged. */
  async open(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BenchClientError('TIMEOUT', `${this.spec.clientId}: not connected and subscribed within ${this.settings.connectTimeoutMs} ms`)),
        this.settings.connectTimeoutMs,
      );
    });
    const handshake = this.handshake();
    handshake.catch(() => undefined); // a loser of the race below must not become an unhandled rejection
    try {
      await Promise.race([handshake, timeout]);
    } catch (e) {
      this.waiter = undefined;
      this.closing = true;
      this.socket?.destroy();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async handshake(): Promise<void> {
    await this.connectSocket();
    await this.exchange('connack', connectPacket(this.spec.clientId, this.settings.keepaliveSeconds));
    if (this.spec.role === 'subscriber') await this.exchange('suback', subscribePacket(this.spec.topic, this.spec.qos, 1));
  }

  startPublishing(): void {
    if (!this.template || this.publishing) return;
    this.publishing = true;
    this.rateStartUs = monotonicMicros();
    this.rateSent = 0;
    this.pump();
  }

  stopPublishing(): void {
    this.publishing = false;
    clearTimeout(this.rateTimer);
    this.rateTimer = undefined;
  }

  /** Sends DISCONNECT (MQTT 3.1.1 §3.14) and closes; destroys the socket if the broker does not close. */
  async close(): Promise<void> {
    this.stopPublishing();
    this.closing = true;
    const socket = this.socket;
    if (!socket || this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.writable) socket.end(disconnectPacket());
      else socket.destroy();
    });
  }

  private connectSocket(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.settings.host, port: this.settings.port });
      this.socket = socket;
      socket.setNoDelay(true);
      const onError = (e: Error): void => reject(new BenchClientError('CONNECT_FAILED', `${this.spec.clientId}: ${e.message}`));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        socket.on('error', (e) => this.fail(e));
        socket.on('close', () => this.onClose());
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        resolve();
      });
    });
  }

  private exchange(what: Awaited, packet: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiter = { what, resolve, reject };
      this.socket!.write(packet);
    });
  }

  private settle(what: Awaited, error?: Error): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.stats.noteError(`${this.spec.clientId}: unexpected ${what.toUpperCase()}`);
      return;
    }
    if (waiter.what !== what) error ??= new BenchClientError('PROTOCOL', `${this.spec.clientId}: got ${what.toUpperCase()} while waiting for ${waiter.what.toUpperCase()}`);
    this.waiter = undefined;
    if (error) waiter.reject(error);
    else waiter.resolve();
  }

  private fail(error: Error): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.reject(error);
    } else if (!this.closing) this.stats.noteError(`${this.spec.clientId}: ${error.message}`);
    this.socket?.destroy();
  }

  private onClose(): void {
    this.closed = true;
    this.stopPublishing();
    if (this.waiter) this.fail(new BenchClientError('PROTOCOL', `${this.spec.clientId}: connection closed by the broker`));
    else if (!this.closing) this.stats.noteError(`${this.spec.clientId}: connection closed by the broker`);
  }

  private onData(chunk: Buffer): void {
    // Everything in one chunk arrived at the same moment: one clock read serves all its messages.
    this.receivedAtUs = monotonicMicros();
    try {
      this.scanner.push(chunk);
    } catch (e) {
      this.fail(e instanceof FrameError ? new BenchClientError('PROTOCOL', `${this.spec.clientId}: ${e.message}`) : (e as Error));
      return;
    }
    this.flushAcks();
    if (this.publishing && this.spec.qos === 1) this.pump();
  }

  private onPacket(buf: Buffer, offset: number, headerLength: number, remainingLength: number): void {
    const type = buf[offset]! >> 4;
    const body = offset + headerLength;
    switch (type) {
      case PacketType.PUBLISH: {
        if (!readPublish(buf, offset, headerLength, remainingLength, this.view)) {
          this.fail(new BenchClientError('PROTOCOL', `${this.spec.clientId}: malformed PUBLISH`));
          return;
        }
        if (this.view.qos === 1) this.pendingAcks.push(this.view.packetId);
        else if (this.view.qos !== 0) {
          this.fail(new BenchClientError('PROTOCOL', `${this.spec.clientId}: PUBLISH with QoS ${this.view.qos} on a QoS ${this.spec.qos} subscription`));
          return;
        }
        if (!Number.isNaN(this.view.timestampUs)) {
          this.stats.received++;
          this.stats.histogram.record(this.receivedAtUs - this.view.timestampUs);
        }
        return;
      }
      case PacketType.PUBACK:
        if (this.inflight > 0) this.inflight--;
        this.stats.acked++;
        return;
      case PacketType.CONNACK: {
        // MQTT 3.1.1 §3.2.2.3: the second byte of the variable header is the return code; 0 = accepted.
        const code = remainingLength >= 2 ? buf[body + 1]! : -1;
        this.settle('connack', code === 0 ? undefined : new BenchClientError('CONNECT_REFUSED', `${this.spec.clientId}: CONNACK return code ${code}`));
        return;
      }
      case PacketType.SUBACK: {
        // MQTT 3.1.1 §3.9.3: one return code per filter, after the Packet Identifier.
        const granted = remainingLength >= 3 ? buf[body + 2]! : SUBACK_FAILURE;
        let error: Error | undefined;
        if (granted === SUBACK_FAILURE) error = new BenchClientError('SUBSCRIBE_REFUSED', `${this.spec.clientId}: SUBSCRIBE ${this.spec.topic} refused`);
        else if (granted !== this.spec.qos) error = new BenchClientError('SUBSCRIBE_REFUSED', `${this.spec.clientId}: asked for QoS ${this.spec.qos}, granted ${granted}`);
        this.settle('suback', error);
        return;
      }
      case PacketType.PINGRESP:
        return;
      default:
        this.fail(new BenchClientError('PROTOCOL', `${this.spec.clientId}: unexpected packet type ${type}`));
    }
  }

  private flushAcks(): void {
    const n = this.pendingAcks.length;
    if (n === 0 || !this.socket || this.closed) {
      this.pendingAcks.length = 0;
      return;
    }
    const out = Buffer.allocUnsafe(n * PUBACK_BYTES);
    for (let i = 0; i < n; i++) writePuback(out, i * PUBACK_BYTES, this.pendingAcks[i]!);
    this.pendingAcks.length = 0;
    this.socket.write(out);
  }

  private allocatePacketId(): number {
    const id = this.nextPacketId;
    this.nextPacketId = id === MAX_PACKET_ID ? 1 : id + 1;
    return id;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Writes batches until the socket pushes back, the QoS 1 window is full or the rate says wait. */
  private pump(): void {
    const template = this.template;
    const socket = this.socket;
    if (!this.publishing || this.waitingForDrain || this.rateTimer || !template || !socket || this.closed) return;
    const qos1 = template.qos === 1;
    const rate = this.settings.ratePerPublisher;
    for (let w = 0; w < MAX_WRITES_PER_TURN; w++) {
      let n = PUBLISH_BATCH;
      if (qos1) n = Math.min(n, this.settings.window - this.inflight);
      if (n <= 0) return; // the next PUBACK calls pump() again
      if (rate > 0) {
        const due = Math.floor(((monotonicMicros() - this.rateStartUs) * rate) / 1e6) - this.rateSent;
        n = Math.min(n, due);
        if (n <= 0) {
          this.rateTimer = setTimeout(() => {
            this.rateTimer = undefined;
            this.pump();
          }, RATE_RECHECK_MS);
          return;
        }
      }
      const size = template.size;
      const batch = Buffer.allocUnsafe(n * size);
      const now = monotonicMicros();
      for (let i = 0; i < n; i++) template.stamp(batch, i * size, qos1 ? this.allocatePacketId() : 0, now);
      if (qos1) this.inflight += n;
      this.stats.sent += n;
      this.rateSent += n;
      if (!socket.write(batch)) {
        this.waitingForDrain = true;
        socket.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
    this.schedulePump();
  }
}
