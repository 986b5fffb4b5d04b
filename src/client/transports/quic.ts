// MQTT over QUIC for the client (EMQX-compatible, DESIGN.md "MQTT over QUIC"): `quic://host:14567`
// opens a QUIC connection with ALPN "mqtt", then one bidirectional stream that carries every MQTT packet.
// MQTT.js gets a Duplex at once (it writes CONNECT immediately) that buffers until the stream exists.
// Closing either one closes the other: the stream ending ends the connection, the connection closing
// (error, idle timeout, stateless reset) ends the stream, which MQTT.js sees as a lost connection.
//
// `transportOptions` (ConnectOptions.transportOptions) may carry, for QUIC:
//   sessionTicket  a ticket from an earlier connection (onSessionTicket), for resumption and 0-RTT
//   enableEarlyData  with sessionTicket: send CONNECT in 0-RTT (RFC 9001 §4.6.1; replayable)
//   token          a NEW_TOKEN token from an earlier connection (onNewToken), skips a Retry round trip
//   onSessionTicket(ticket) / onNewToken(token)  called when the server issues them
//   idleTimeoutMs, keepAliveIntervalMs, handshakeTimeoutMs
//   spinBit        false: no latency spin bit (RFC 9000 §17.4)
//   datagrams      true: accept QoS 0 PUBLISHes in DATAGRAM frames (RFC 9221; the broker's qos0_datagrams)
import { Duplex } from 'node:stream';
import type { QuicConnectOptions } from '../../quic/endpoint/client.js';
import type { QuicConnectionHandle } from '../../quic/endpoint/connection-handle.js';
import type { QuicStream } from '../../quic/endpoint/quic-stream.js';
import type { SessionTicket } from '../../quic/tls/types.js';
import { registerTransport, type TransportConnectOptions, type TransportFactory } from '../transports.js';

/** EMQX MQTT over QUIC: ALPN "mqtt", default port 14567. */
export const MQTT_QUIC_ALPN = 'mqtt';
export const MQTT_QUIC_DEFAULT_PORT = 14567;
/** max_datagram_frame_size with `datagrams`: any DATAGRAM a UDP datagram can carry. */
const MQTT_QUIC_MAX_DATAGRAM_FRAME_SIZE = 65535;
/** Application error code of CONNECTION_CLOSE when the MQTT stream ends normally / is aborted. */
const CLOSE_NO_ERROR = 0x0;
const CLOSE_STREAM_ABORTED = 0x1;
/**
 * After a graceful end (our FIN follows the last MQTT packet, e.g. DISCONNECT) we wait this long for the
 * broker's FIN before closing the connection: CONNECTION_CLOSE right away could overtake the
 * retransmission of a lost last packet, and the broker would see a lost connection instead of DISCONNECT.
 */
export const MQTT_QUIC_CLOSE_LINGER_MS = 2_000;

/** The QUIC connection options a transport call turns into. Exported for tests and custom transports. */
export function quicConnectOptions(o: TransportConnectOptions): QuicConnectOptions {
  const t = o.tls;
  const extra = o.transportOptions;
  const opts: QuicConnectOptions = {
    host: o.host,
    port: o.port,
    alpn: t.alpnProtocols !== undefined && t.alpnProtocols.length > 0 ? t.alpnProtocols : [MQTT_QUIC_ALPN],
  };
  if (t.servername !== undefined) opts.serverName = t.servername;
  if (t.ca !== undefined) opts.ca = t.ca;
  if (!t.rejectUnauthorized) opts.insecure = true;
  if (t.cert !== undefined) opts.cert = t.cert;
  if (t.key !== undefined) opts.key = t.key.toString('utf8');
  const ticket = extra['sessionTicket'];
  if (ticket !== undefined && ticket !== null && typeof ticket === 'object') opts.sessionTicket = ticket as SessionTicket;
  if (extra['enableEarlyData'] === true) opts.enableEarlyData = true;
  // draft-banks-quic-disable-encryption: 1-RTT without packet protection if the broker offers it too.
  if (extra['disable1RttEncryption'] === true) opts.transport = { ...opts.transport, disable1RttEncryption: true };
  // RFC 9000 §17.4: the latency spin bit lets on-path observers measure the RTT; false turns it off.
  if (extra['spinBit'] === false) opts.limits = { ...opts.limits, spinBit: false };
  // RFC 9221 §3: advertising max_datagram_frame_size is how the client accepts MQTT datagrams.
  if (extra['datagrams'] === true) opts.transport = { ...opts.transport, maxDatagramFrameSize: MQTT_QUIC_MAX_DATAGRAM_FRAME_SIZE };
  const token = extra['token'];
  if (token instanceof Uint8Array) opts.token = token;
  for (const key of ['idleTimeoutMs', 'keepAliveIntervalMs', 'handshakeTimeoutMs'] as const) {
    const v = extra[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) opts[key] = v;
  }
  return opts;
}

/**
 * The MQTT.js stream for one QUIC connection: writes wait (one chunk, Node buffers the rest up to its
 * highWaterMark) until the stream is open, then everything is forwarded with backpressure both ways.
 */
export class MqttQuicStream extends Duplex {
  private connection: QuicConnectionHandle | undefined;
  private stream: QuicStream | undefined;
  private pendingWrite: { chunk: Buffer; callback: (error?: Error | null) => void } | undefined;
  private pendingFinal: ((error?: Error | null) => void) | undefined;
  /**
   * What went out on a stream opened on 0-RTT, kept until the server accepts or rejects the early data: a
   * rejection discards it (RFC 9001 §4.6.2), and it is sent again on a new stream after the handshake.
   */
  private earlyChunks: Buffer[] | undefined;
  private earlyFinal = false;

  constructor(opening: Promise<{ connection: QuicConnectionHandle; stream: QuicStream }>) {
    super({ allowHalfOpen: true });
    opening.then(
      ({ connection, stream }) => this.attach(connection, stream),
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** The QUIC connection, once open (for its 'session-ticket' / 'new-token' events). */
  get quicConnection(): QuicConnectionHandle | undefined {
    return this.connection;
  }

  private attach(connection: QuicConnectionHandle, stream: QuicStream): void {
    this.connection = connection;
    if (this.destroyed) {
      connection.close(CLOSE_NO_ERROR, 'MQTT client closed');
      return;
    }
    connection.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
    // MQTT packets in DATAGRAM frames (one each), for the client to parse beside the stream.
    connection.on('datagram', (data: Uint8Array) => this.emit('mqtt-datagram', data));
    if (connection.handshake === undefined) {
      // Opened on 0-RTT. The 'handshake' event comes before the reset of a rejected early stream.
      this.earlyChunks = [];
      connection.once('handshake', (info: { earlyData: string }) => {
        const chunks = this.earlyChunks ?? [];
        const final = this.earlyFinal;
        this.earlyChunks = undefined;
        this.earlyFinal = false;
        if (info.earlyData === 'rejected' && !this.destroyed) this.resend(connection, chunks, final);
      });
    }
    this.useStream(connection, stream);
  }

  /** Forwards `stream` both ways; events of a stream that is no longer the current one are ignored. */
  private useStream(connection: QuicConnectionHandle, stream: QuicStream): void {
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => {
      // After we were destroyed the stream is only drained (to reach the broker's FIN), not forwarded.
      if (this.destroyed || stream !== this.stream) return;
      if (!this.push(chunk)) stream.pause();
    });
    stream.on('end', () => {
      if (stream === this.stream) this.push(null);
    });
    stream.on('error', (err: Error) => {
      if (stream === this.stream) this.destroy(err);
    });
    stream.on('close', () => {
      if (stream !== this.stream) return;
      // The MQTT stream is over: the connection goes with it (EMQX: a closed stream closes the connection).
      connection.close(stream.writableFinished && stream.readableEnded ? CLOSE_NO_ERROR : CLOSE_STREAM_ABORTED, 'MQTT stream closed');
      if (!this.destroyed) this.destroy();
    });
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    if (pending !== undefined) this.send(pending.chunk, pending.callback);
    const final = this.pendingFinal;
    this.pendingFinal = undefined;
    if (final !== undefined) this.finish(final);
  }

  /** The server rejected 0-RTT: the early bytes again, in order, on a new stream, then whatever waited. */
  private resend(connection: QuicConnectionHandle, chunks: Buffer[], final: boolean): void {
    this.stream = undefined; // writes from now on wait (pendingWrite) for the new stream
    connection.openStream().then(
      (s) => {
        if (this.destroyed) {
          s.destroy();
          return;
        }
        for (const c of chunks) s.write(c);
        if (final) s.end();
        this.useStream(connection, s);
      },
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private send(chunk: Buffer, callback: (error?: Error | null) => void): void {
    const stream = this.stream!;
    this.earlyChunks?.push(chunk);
    // A rejected early stream fails its unfinished writes; their bytes are resent, so that is no error here.
    stream.write(chunk, (err) => callback(err !== null && err !== undefined && stream === this.stream ? err : null));
  }

  private finish(callback: (error?: Error | null) => void): void {
    if (this.earlyChunks !== undefined) this.earlyFinal = true;
    this.stream!.end(() => callback());
  }

  override _read(): void {
    this.stream?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.stream === undefined) {
      this.pendingWrite = { chunk, callback };
      return;
    }
    this.send(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.stream === undefined) {
      this.pendingFinal = callback;
      return;
    }
    this.finish(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const pending = this.pendingWrite;
    this.pendingWrite = undefined;
    if (pending !== undefined) pending.callback(error ?? new Error('stream destroyed'));
    const stream = this.stream;
    if (stream !== undefined && !stream.destroyed && error === null && stream.writableFinished) {
      // Graceful: our FIN is on its way; the stream's 'close' (broker FIN or linger) closes the connection.
      const linger = setTimeout(() => stream.destroy(), MQTT_QUIC_CLOSE_LINGER_MS);
      stream.once('close', () => clearTimeout(linger));
      stream.resume();
    } else {
      if (stream !== undefined && !stream.destroyed) stream.destroy(error ?? undefined);
      this.connection?.close(error === null ? CLOSE_NO_ERROR : CLOSE_STREAM_ABORTED, 'MQTT client closed');
    }
    callback(error);
  }
}

/** The `quic` transport: connection, then the MQTT stream; session tickets and tokens go to the callbacks. */
export const quicTransport: TransportFactory = (o) => {
  const extra = o.transportOptions;
  const onTicket = extra['onSessionTicket'];
  const onToken = extra['onNewToken'];
  const options = quicConnectOptions(o);
  if (typeof onTicket === 'function') options.onSessionTicket = (t) => (onTicket as (t: SessionTicket) => void)(t);
  if (typeof onToken === 'function') options.onNewToken = (t) => (onToken as (t: Uint8Array) => void)(t);
  // 0-RTT (RFC 9001 §4.6.1): with a ticket that allows early data, CONNECT leaves in the first flight.
  const early = options.enableEarlyData === true && options.sessionTicket !== undefined;
  if (early) options.waitForHandshake = false;
  const opening = (async () => {
    // The QUIC stack loads on first use, so TCP, TLS and WebSocket clients (and `quicmq pub` over them)
    // do not pay for loading it: importing `quicmq pub` took 254 ms with it, 189 ms without (measured here).
    const { connectQuic } = await import('../../quic/endpoint/client.js');
    const connection = await connectQuic(options);
    try {
      return { connection, stream: await connection.openStream({ early }) };
    } catch (e) {
      connection.close(CLOSE_STREAM_ABORTED, 'cannot open the MQTT stream');
      throw e;
    }
  })();
  return new MqttQuicStream(opening);
};

registerTransport('quic', quicTransport, { defaultPort: MQTT_QUIC_DEFAULT_PORT, secure: true });
