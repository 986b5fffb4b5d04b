// What a listener tells the broker core about a connection it hands over.
import type { Duplex } from 'node:stream';

export type ListenerType = 'tcp' | 'ssl' | 'ws' | 'wss' | 'quic';

export interface ConnectionInfo {
  /** "tcp:default", "ssl:default", "ws:default", "quic:default", ... */
  listener: string;
  /** "ip:port" of the peer. */
  remoteAddress: string;
  /** Common name of a verified client certificate (mutual TLS), if any. */
  certCommonName?: string;
  /**
   * MQTT over QUIC data stream (EMQX multi-stream, EIP-0023): the control stream of the same QUIC
   * connection, whose channel this stream belongs to.
   */
  controlStream?: Duplex;
  /**
   * MQTT over QUIC with `qos0_datagrams` and a client that accepts DATAGRAM frames (RFC 9221): QoS 0
   * PUBLISH packets may travel one per DATAGRAM, unordered and unreliable, both ways.
   */
  datagrams?: MqttDatagrams;
}

/** One MQTT packet per QUIC DATAGRAM frame. */
export interface MqttDatagrams {
  /**
   * Present when the client accepts DATAGRAM frames (it advertised max_datagram_frame_size). false: not
   * sent (too large for a datagram on this path, or the datagram queue is full).
   */
  send?: (packet: Uint8Array) => boolean;
  /** Registers the receiver of the client's datagrams. */
  onReceive(handler: (packet: Uint8Array) => void): void;
}
