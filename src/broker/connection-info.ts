// What a listener tells the broker core about a connection it hands over.
export type ListenerType = 'tcp' | 'ssl' | 'ws' | 'wss' | 'quic';

export interface ConnectionInfo {
  /** "tcp:default", "ssl:default", "ws:default", "quic:default", ... */
  listener: string;
  /** "ip:port" of the peer. */
  remoteAddress: string;
  /** Common name of a verified client certificate (mutual TLS), if any. */
  certCommonName?: string;
}
