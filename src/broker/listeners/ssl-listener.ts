// MQTT over TLS (MQTT 5.0 §4.2; TLS 1.2/1.3 via node:tls, optional mutual TLS).
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { SslListenerConfig } from '../config/types.js';
import type { ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { NetServerListener } from './net-server.js';
import { admitTlsPeer, tlsServerOptions } from './tls-options.js';

export class SslListener extends NetServerListener {
  readonly type = 'ssl' as const;
  readonly id: string;
  protected readonly server: Server;

  constructor(name: string, protected readonly config: SslListenerConfig, deps: ListenerDeps) {
    super();
    this.id = `ssl:${name}`;
    // noDelay as on the TCP listener: without it Nagle holds a small write (CONNACK right after the TLS 1.3
    // session tickets, a PUBACK) until the previous segment is acknowledged, a delayed ACK away (40 ms).
    this.server = createServer({ ...tlsServerOptions(config.ssl_options, deps.handshakeTimeoutMs), noDelay: true }, (socket: TLSSocket) => {
      const remoteAddress = formatRemote(socket.remoteAddress, socket.remotePort);
      const peer = admitTlsPeer(socket, config.ssl_options, { logger: deps.logger, listener: this.id, remote: remoteAddress });
      if (peer === undefined) {
        socket.destroy();
        return;
      }
      deps.accept(socket, { listener: this.id, remoteAddress, ...peer });
    });
    this.server.on('tlsClientError', (err, socket) => {
      deps.logger.debug({ listener: this.id, remote: formatRemote(socket.remoteAddress, socket.remotePort), err: err.message }, 'TLS handshake failed');
    });
    this.logErrors(this.server, deps.logger);
  }
}
