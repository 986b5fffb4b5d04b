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
}
