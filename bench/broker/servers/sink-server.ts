// The load generator's own ceiling: a trivial MQTT 3.1.1 endpoint that does no routing at all. It accepts
// every CONNECT, parses and discards every PUBLISH (acknowledging QoS 1 at once), and answers a SUBSCRIBE by
// flooding that client with PUBLISHes on the subscribed topic as fast as the socket drains. Run with the
// same scenarios as the brokers, its publish rate is the most the publishers can send and its flood rate the
// most the subscribers can take in: a broker result close to these is limited by the generator.
//   argv: [payloadBytes]
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FrameScanner } from '../frame-scanner.js';
import { MAX_PACKET_ID, monotonicMicros, PacketType, PUBACK_BYTES, PublishTemplate, writePuback } from '../packets.js';
import { reportStartFailure, serveControl } from './control.js';

/** PUBLISHes per write and writes per event-loop turn, as in the load generator. */
const FLOOD_BATCH = 64;
const MAX_WRITES_PER_TURN = 16;
/** Largest packet accepted from a client. */
const MAX_PACKET_BYTES = 1 << 20;
/** MQTT 3.1.1 §3.2.2.3: CONNACK, session not present, connection accepted. */
const CONNACK_ACCEPTED = Buffer.from([0x20, 0x02, 0x00, 0x00]);
/** MQTT 3.1.1 §3.13: PINGRESP. */
const PINGRESP = Buffer.from([0xd0, 0x00]);

class SinkConnection {
  private readonly scanner = new FrameScanner((b, o, h, r) => this.onPacket(b, o, h, r), MAX_PACKET_BYTES);
  private readonly pendingAcks: number[] = [];
  private flood: PublishTemplate | undefined;
  private nextPacketId = 1;
  private flooding = false;
  private pumpScheduled = false;
  private waitingForDrain = false;

  constructor(
    private readonly socket: Socket,
    private readonly payloadBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.flooding = false;
    });
  }

  private onData(chunk: Buffer): void {
    try {
      this.scanner.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    const n = this.pendingAcks.length;
    if (n > 0) {
      const out = Buffer.allocUnsafe(n * PUBACK_BYTES);
      for (let i = 0; i < n; i++) writePuback(out, i * PUBACK_BYTES, this.pendingAcks[i]!);
      this.pendingAcks.length = 0;
      this.socket.write(out);
    }
  }

  private onPacket(buf: Buffer, offset: number, headerLength: number, remainingLength: number): void {
    const body = offset + headerLength;
    const end = body + remainingLength;
    switch (buf[offset]! >> 4) {
      case PacketType.CONNECT:
        this.socket.write(CONNACK_ACCEPTED);
        return;
      case PacketType.PUBLISH: {
        // MQTT 3.1.1 §3.3.2: the Packet Identifier follows the topic when QoS > 0.
        const qos = (buf[offset]! >> 1) & 3;
        if (qos === 1 && body + 2 <= end) {
          const idAt = body + 2 + buf.readUInt16BE(body);
          if (idAt + 2 <= end) this.pendingAcks.push(buf.readUInt16BE(idAt));
        }
        return;
      }
      case PacketType.SUBSCRIBE:
        this.onSubscribe(buf, body, end);
        return;
      case PacketType.PINGREQ:
        this.socket.write(PINGRESP);
        return;
      case PacketType.DISCONNECT:
        this.flooding = false;
        this.socket.end();
        return;
      default:
        return; // PUBACKs for the flood and anything else are discarded
    }
  }

  /** MQTT 3.1.1 §3.8.3: the payload is a list of (filter, requested QoS); the sink floods the first one. */
  private onSubscribe(buf: Buffer, body: number, end: number): void {
    if (body + 5 > end) {
      this.socket.destroy();
      return;
    }
    const packetId = buf.readUInt16BE(body);
    const filterLength = buf.readUInt16BE(body + 2);
    const qosAt = body + 4 + filterLength;
    if (qosAt >= end) {
      this.socket.destroy();
      return;
    }
    const filter = buf.toString('utf8', body + 4, qosAt);
    const qos = buf[qosAt]! >= 1 ? 1 : 0;
    // MQTT 3.1.1 §3.9: SUBACK echoes the Packet Identifier and grants the requested QoS.
    this.socket.write(Buffer.from([0x90, 0x03, packetId >> 8, packetId & 0xff, qos]));
    // A topic name matching the filter: wildcards (MQTT 3.1.1 §4.7.1) replaced by a plain level.
    const topic = filter.replace(/#$/, 'x').replace(/\+/g, 'x');
    this.flood = new PublishTemplate(topic, qos, this.payloadBytes);
    this.flooding = true;
    this.pump();
  }

  private pump(): void {
    const template = this.flood;
    if (!this.flooding || this.waitingForDrain || !template || this.socket.destroyed) return;
    for (let w = 0; w < MAX_WRITES_PER_TURN; w++) {
      const size = template.size;
      const batch = Buffer.allocUnsafe(FLOOD_BATCH * size);
      const now = monotonicMicros();
      for (let i = 0; i < FLOOD_BATCH; i++) {
        template.stamp(batch, i * size, this.nextPacketId, now);
        this.nextPacketId = this.nextPacketId === MAX_PACKET_ID ? 1 : this.nextPacketId + 1;
      }
      if (!this.socket.write(batch)) {
        this.waitingForDrain = true;
        this.socket.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }
}

try {
  const payloadBytes = Number(process.argv[2] ?? 64);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    new SinkConnection(socket, payloadBytes);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  serveControl((server.address() as AddressInfo).port, async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
} catch (e) {
  reportStartFailure(e);
}
