// A minimal MQTT 3.1.1 client on any byte stream (mqtt-link.ts), built for measuring: CONNECT/CONNACK,
// SUBSCRIBE/SUBACK, QoS 0 PUBLISHes pipelined in batches, and a count of the PUBLISHes received. Packets
// come from the broker benchmark's builders (bench/broker/packets.ts) and are framed in place
// (bench/broker/frame-scanner.ts), so the client costs little next to the transport under test.
import type { Duplex } from 'node:stream';
import { FrameScanner } from '../broker/frame-scanner.js';
import { connectPacket, disconnectPacket, monotonicMicros, PacketType, PublishTemplate, subscribePacket } from '../broker/packets.js';

/** Largest packet the broker may send us; the scanner refuses bigger ones (bounded memory). */
const MAX_INCOMING_PACKET_BYTES = 1 << 20;
/** MQTT 3.1.1 §3.2.2.3: CONNACK return code 0 is "accepted"; §3.9.3: SUBACK 0x80 is a failure. */
const CONNACK_ACCEPTED = 0;
const SUBACK_FAILURE = 0x80;

export class RawMqttError extends Error {
  override readonly name = 'RawMqttError';
  constructor(
    readonly code: 'REFUSED' | 'PROTOCOL' | 'CLOSED' | 'TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

type Expected = 'connack' | 'suback';

export class RawMqttClient {
  /** QoS 0 PUBLISHes received so far. */
  received = 0;
  /** When the last PUBLISH arrived (µs of the monotonic clock). */
  lastReceivedUs = 0;
  private readonly scanner = new FrameScanner((b, o, h, r) => this.onPacket(b, o, h, r), MAX_INCOMING_PACKET_BYTES);
  private waiter: { what: Expected; resolve: () => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly stream: Duplex,
    readonly clientId: string,
  ) {
    stream.on('data', (chunk: Buffer) => {
      try {
        this.scanner.push(chunk);
      } catch (e) {
        this.fail(new RawMqttError('PROTOCOL', `${clientId}: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
    stream.on('error', (e: Error) => this.fail(new RawMqttError('CLOSED', `${clientId}: ${e.message}`)));
    stream.on('close', () => this.fail(new RawMqttError('CLOSED', `${clientId}: connection closed by the broker`)));
  }

  /** MQTT 3.1.1 §3.1: CONNECT (clean session, keepalive 0 = off) until CONNACK, bounded by timeoutMs. */
  connect(timeoutMs: number): Promise<void> {
    return this.exchange('connack', connectPacket(this.clientId, 0), timeoutMs);
  }

  /** MQTT 3.1.1 §3.8: SUBSCRIBE at QoS 0 until SUBACK. */
  subscribe(filter: string, timeoutMs: number): Promise<void> {
    return this.exchange('suback', subscribePacket(filter, 0, 1), timeoutMs);
  }

  /**
   * Publishes `count` QoS 0 messages in batches of `batch` per write, waiting for 'drain' whenever the
   * stream's buffer is full (the transport's backpressure is the only brake), until `deadlineUs`.
   * Returns how many were written.
   */
  async publishQos0(topic: string, payloadBytes: number, count: number, batch: number, deadlineUs: number): Promise<number> {
    const template = new PublishTemplate(topic, 0, payloadBytes);
    let sent = 0;
    while (sent < count && this.failure === undefined && monotonicMicros() < deadlineUs) {
      const n = Math.min(batch, count - sent);
      const buf = Buffer.allocUnsafe(n * template.size);
      const now = monotonicMicros();
      for (let i = 0; i < n; i++) template.stamp(buf, i * template.size, 0, now);
      sent += n;
      if (!this.stream.write(buf)) await this.drained();
    }
    if (this.failure) throw this.failure;
    return sent;
  }

  /** Resolves on 'drain' or when the stream closes, leaving no listener behind. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** MQTT 3.1.1 §3.14: DISCONNECT, best effort (the link's close follows). */
  disconnect(): void {
    if (this.failure === undefined && this.stream.writable) this.stream.write(disconnectPacket());
    this.failure = new RawMqttError('CLOSED', `${this.clientId}: disconnected`);
  }

  private exchange(what: Expected, packet: Buffer, timeoutMs: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new RawMqttError('TIMEOUT', `${this.clientId}: no ${what.toUpperCase()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        what,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.stream.write(packet);
    });
  }

  private settle(what: Expected, error?: RawMqttError): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    if (waiter.what !== what) waiter.reject(new RawMqttError('PROTOCOL', `${this.clientId}: got ${what.toUpperCase()} while waiting for ${waiter.what.toUpperCase()}`));
    else if (error) waiter.reject(error);
    else waiter.resolve();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private onPacket(buf: Buffer, offset: number, headerLength: number, remainingLength: number): void {
    const type = buf[offset]! >> 4;
    if (type === PacketType.PUBLISH) {
      this.received++;
      this.lastReceivedUs = monotonicMicros();
    } else if (type === PacketType.CONNACK) {
      // MQTT 3.1.1 §3.2.2: session-present flags byte, then the return code.
      const code = remainingLength >= 2 ? buf[offset + headerLength + 1]! : -1;
      this.settle('connack', code === CONNACK_ACCEPTED ? undefined : new RawMqttError('REFUSED', `${this.clientId}: CONNACK return code ${code}`));
    } else if (type === PacketType.SUBACK) {
      // MQTT 3.1.1 §3.9: Packet Identifier (2 bytes), then one return code per filter.
      const code = remainingLength >= 3 ? buf[offset + headerLength + 2]! : SUBACK_FAILURE;
      this.settle('suback', code === SUBACK_FAILURE ? new RawMqttError('REFUSED', `${this.clientId}: SUBACK refused the subscription`) : undefined);
    }
  }
}
