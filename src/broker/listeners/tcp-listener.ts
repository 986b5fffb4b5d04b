// Plain MQTT over TCP (MQTT 5.0 §4.2).
import { createServer, type Server, type Socket } from 'node:net';
import type { TcpListenerConfig } from '../config/types.js';
import type { Listener, ListenerAddress, ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { boundAddress, closeServer, listen } from './net-server.js';

export class TcpListener implements Listener {
  readonly type = 'tcp' as const;
  readonly id: string;
  private readonly server: Server;

  constructor(name: string, private readonly config: TcpListenerConfig, deps: ListenerDeps) {
    this.id = `tcp:${name}`;
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      deps.accept(socket, { listener: this.id, remoteAddress: formatRemote(socket.remoteAddress, socket.remotePort) });
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
