// MQTT over TLS (MQTT 5.0 §4.2; TLS 1.2/1.3 via node:tls, optional mutual TLS).
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { SslListenerConfig } from '../config/types.js';
import type { Listener, ListenerAddress, ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { boundAddress, closeServer, listen } from './net-server.js';
import { peerCheck, tlsServerOptions } from './tls-options.js';

export class SslListener implements Listener {
  readonly type = 'ssl' as const;
  readonly id: string;
  private readonly server: Server;

  constructor(name: string, private readonly config: SslListenerConfig, deps: ListenerDeps) {
    this.id = `ssl:${name}`;
    this.server = createServer(tlsServerOptions(config.ssl_options, deps.handshakeTimeoutMs), (socket: TLSSocket) => {
      const remoteAddress = formatRemote(socket.remoteAddress, socket.remotePort);
      const check = peerCheck(socket, config.ssl_options);
      if (!check.ok) {
        deps.logger.info({ listener: this.id, remote: remoteAddress, reason: check.reason }, 'TLS client refused');
        socket.destroy();
        return;
      }
      deps.accept(socket, { listener: this.id, remoteAddress, ...(check.commonName !== undefined ? { certCommonName: check.commonName } : {}) });
    });
    this.server.on('tlsClientError', (err, socket) => {
      deps.logger.debug({ listener: this.id, remote: formatRemote(socket.remoteAddress, socket.remotePort), err: err.message }, 'TLS handshake failed');
    });
    this.server.on('error', (err) => deps.logger.error({ listener: this.id, err }, 'listener error'));
  }

  start(): Promise<void> {
    return listen(this.server, this.config.bind, this.config.max_connections);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  address(): ListenerAddress | undefined {
    return boundAddress(this.server, this.id, this.type);
  }
}
