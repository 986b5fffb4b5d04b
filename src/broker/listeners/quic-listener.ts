// MQTT over QUIC, EMQX-compatible (DESIGN.md "MQTT over QUIC"; EMQX 5 "MQTT over QUIC"): ALPN "mqtt";
// the client opens one bidirectional stream after the handshake and every MQTT packet of the connection
// travels on it. That stream is handed to the broker core as a Duplex, like a TCP socket. Closing the
// stream (either side) closes the connection; the connection closing (error, idle timeout, stateless
// reset) ends the stream, which the broker sees as a transport loss (will, session expiry), as over TCP.
// Multi-stream (EMQX EIP-0023): that first stream is the control stream; further client bidirectional
// streams, up to max_data_streams at once, are data streams, handed to the broker with the control
// stream they belong to. A data stream ending does not end the connection.
import { readFileSync } from 'node:fs';
import type { QuicListenerConfig } from '../config/types.js';
import type { Listener, ListenerAddress, ListenerDeps } from './listener.js';
import { parseBind } from './bind.js';
import { TlsConfigError } from './tls-options.js';
import { QuicServer } from '../../quic/endpoint/server.js';
import type { QuicConnectionHandle } from '../../quic/endpoint/connection-handle.js';
import type { UdpEndpoint } from '../../quic/endpoint/udp-endpoint.js';
import type { QuicStream } from '../../quic/endpoint/quic-stream.js';
import type { QuicListenerSnapshot } from '../quic-metrics.js';
import type { ConnectionInfo } from '../connection-info.js';

/** RFC 9000 §2.1: bit 0x2 of a stream ID marks a unidirectional stream. */
const STREAM_UNIDIRECTIONAL_BIT = 0x2;

/** max_datagram_frame_size with qos0_datagrams: any DATAGRAM a UDP datagram can carry. */
const MAX_DATAGRAM_FRAME_SIZE = 65535;

/** EMQX MQTT over QUIC: the TLS ALPN protocol name. */
export const MQTT_QUIC_ALPN = 'mqtt';

export const QUIC_LISTENER_DEFAULTS = Object.freeze({
  /** A connection that opens no stream in this long after its handshake is closed (it can never send CONNECT). */
  firstStreamTimeoutMs: 10_000,
  /**
   * After the broker ends the MQTT stream (its FIN follows its last packet, e.g. a DISCONNECT or a refusing
   * CONNACK) the client is expected to close the connection; if it does not within this long, we do. The
   * wait lets the last packet be delivered (and retransmitted) before CONNECTION_CLOSE ends the stream.
   */
  closeLingerMs: 2_000,
  /**
   * After stop(), the socket stays open for the broker to close its MQTT connections (DISCONNECT, FIN,
   * connection close); connections still open after this long are closed by the listener.
   */
  stopDrainMs: 10_000,
});

/** Application error codes this listener closes connections and streams with. */
export const MqttQuicErrorCode = {
  /** Normal close: the MQTT stream ended. */
  NO_ERROR: 0x0,
  /** The MQTT stream was reset or failed. */
  STREAM_ABORTED: 0x1,
  /** No MQTT stream was opened in time. */
  NO_STREAM: 0x2,
  /** A stream this listener does not take: a unidirectional one, or any beyond the first in single-stream mode. */
  EXTRA_STREAM_REFUSED: 0x3,
} as const;

export interface QuicListenerOptions {
  firstStreamTimeoutMs?: number;
  closeLingerMs?: number;
  stopDrainMs?: number;
}

export class QuicListener implements Listener {
  readonly type = 'quic' as const;
  readonly id: string;
  private readonly server: QuicServer;
  private readonly firstStreamTimeoutMs: number;
  private readonly closeLingerMs: number;
  private readonly stopDrainMs: number;
  private stopped: Promise<void> | undefined;
  /** The endpoint once bound, kept so its counters stay readable after stop(). */
  private endpoint: UdpEndpoint | undefined;

  constructor(name: string, private readonly config: QuicListenerConfig, private readonly deps: ListenerDeps, options: QuicListenerOptions = {}) {
    this.id = `quic:${name}`;
    this.firstStreamTimeoutMs = options.firstStreamTimeoutMs ?? QUIC_LISTENER_DEFAULTS.firstStreamTimeoutMs;
    this.closeLingerMs = options.closeLingerMs ?? QUIC_LISTENER_DEFAULTS.closeLingerMs;
    this.stopDrainMs = options.stopDrainMs ?? QUIC_LISTENER_DEFAULTS.stopDrainMs;
    this.server = new QuicServer({
      cert: readPem(config.certfile, 'certfile'),
      key: readPem(config.keyfile, 'keyfile'),
      alpn: [MQTT_QUIC_ALPN],
      maxConnections: config.max_connections,
      maxHandshakes: config.max_handshakes,
      retry: config.retry,
      enableEarlyData: config.enable_0rtt,
      idleTimeoutMs: config.idle_timeout,
      congestionControl: config.congestion_control,
      spinBit: config.spin_bit,
      transport: {
        disable1RttEncryption: config.disable_1rtt_encryption,
        // RFC 9221 §3: accept DATAGRAM frames up to the largest UDP payload (an MQTT packet each).
        ...(config.qos0_datagrams ? { maxDatagramFrameSize: MAX_DATAGRAM_FRAME_SIZE } : {}),
        // The control stream plus the data streams (RFC 9000 §4.6: MAX_STREAMS is raised as streams end).
        ...(config.max_data_streams > 0 ? { initialMaxStreamsBidi: 1 + config.max_data_streams } : {}),
      },
    });
    this.server.on('connection', (conn) => this.onConnection(conn));
    this.server.on('error', (err) => deps.logger.error({ listener: this.id, err }, 'listener error'));
    deps.quicMetrics?.register(this.id, () => this.transportSnapshot());
  }

  /** The transport figures behind the quicmq_quic_* metrics; undefined before the socket is bound. */
  transportSnapshot(): QuicListenerSnapshot | undefined {
    const endpoint = this.endpoint;
    if (endpoint === undefined) return undefined;
    const core = endpoint.core;
    return {
      endpoint: core.stats,
      datagramsSent: endpoint.datagramsSent,
      sendErrors: endpoint.sendErrors,
      connections: core.connectionCount,
      handshaking: core.handshakeCount,
      totals: core.connectionTotals(),
    };
  }

  async start(): Promise<void> {
    const { host, port } = parseBind(this.config.bind);
    await this.server.listen(port, host);
    this.endpoint = this.server.udpEndpoint;
  }

  /**
   * Stops accepting at once. Open MQTT connections are the broker's (Listener contract): it ends their
   * streams, which closes each connection; the socket closes when the last one is gone (bounded by
   * stopDrainMs), in the background so the broker can go on to disconnect its clients.
   */
  async stop(): Promise<void> {
    if (this.server.udpEndpoint === undefined) return;
    this.stopped ??= this.server.closeWhenIdle(this.stopDrainMs).catch((err: unknown) => this.deps.logger.warn({ listener: this.id, err }, 'QUIC listener close failed'));
  }

  /** Resolves when the socket is closed after stop(). */
  whenClosed(): Promise<void> {
    return this.stopped ?? Promise.resolve();
  }

  address(): ListenerAddress | undefined {
    const a = this.server.address();
    return a === undefined ? undefined : { id: this.id, type: this.type, host: a.address, port: a.port };
  }

  private onConnection(conn: QuicConnectionHandle): void {
    const remote = conn.remoteAddress;
    const log = this.deps.logger;
    // With 0-RTT a connection reaches us before its handshake completes.
    const observeHandshake = (): void => {
      const ms = conn.stats().handshakeMs;
      if (ms !== undefined) this.deps.quicMetrics?.handshakeDuration.observe({ listener: this.id }, ms / 1000);
    };
    if (conn.handshake !== undefined) observeHandshake();
    else conn.once('handshake', observeHandshake);
    let mqttStream: QuicStream | undefined;
    const noStream = setTimeout(() => {
      log.debug({ listener: this.id, remote }, 'no MQTT stream opened; closing');
      conn.close(MqttQuicErrorCode.NO_STREAM, 'no MQTT stream');
    }, this.firstStreamTimeoutMs);
    let linger: NodeJS.Timeout | undefined;
    conn.on('close', (info) => {
      clearTimeout(noStream);
      clearTimeout(linger);
      log.debug({ listener: this.id, remote, code: info.code, application: info.application, reason: info.reason, cause: info.cause }, 'QUIC connection closed');
    });
    conn.on('stream', (stream) => {
      // EMQX: the first client-initiated bidirectional stream carries MQTT (the control stream); further
      // bidirectional ones are data streams (EIP-0023), unless max_data_streams is 0.
      const bidirectional = (stream.id & STREAM_UNIDIRECTIONAL_BIT) === 0;
      if (!bidirectional || (mqttStream !== undefined && this.config.max_data_streams === 0)) {
        stream.abort(MqttQuicErrorCode.EXTRA_STREAM_REFUSED);
        return;
      }
      if (mqttStream !== undefined) {
        this.deps.accept(stream, { listener: this.id, remoteAddress: remote, controlStream: mqttStream });
        return;
      }
      clearTimeout(noStream);
      mqttStream = stream;
      stream.on('close', () => {
        if (conn.isClosed) return;
        if (stream.writableFinished) {
          // We sent FIN after our last MQTT packet: give the client time to read it and close.
          linger = setTimeout(() => conn.close(MqttQuicErrorCode.NO_ERROR, 'MQTT stream closed'), this.closeLingerMs);
        } else {
          conn.close(MqttQuicErrorCode.STREAM_ABORTED, 'MQTT stream aborted');
        }
      });
      const info: ConnectionInfo = { listener: this.id, remoteAddress: remote };
      if (this.config.qos0_datagrams) {
        // We take the client's datagrams (we advertised them); we send ours only if it advertised them too.
        info.datagrams = { onReceive: (handler) => conn.on('datagram', handler) };
        if (conn.peerAcceptsDatagrams) info.datagrams.send = (packet) => conn.sendDatagram(packet);
      }
      this.deps.accept(stream, info);
    });
  }
}

/** The broker's QuicListenerFactory (Broker option `quicListenerFactory`). */
export function createQuicListener(name: string, config: QuicListenerConfig, deps: ListenerDeps): QuicListener {
  return new QuicListener(name, config, deps);
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsConfigError(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
