// Plain MQTT over TCP (MQTT 5.0 §4.2).
import { createServer, type Server, type Socket } from 'node:net';
import type { TcpListenerConfig } from '../config/types.js';
import type { ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { NetServerListener } from './net-server.js';

export class TcpListener extends NetServerListener {
  readonly type = 'tcp' as const;
  readonly id: string;
  protected readonly server: Server;

  constructor(name: string, protected readonly config: TcpListenerConfig, deps: ListenerDeps) {
    super();
    this.id = `tcp:${name}`;
    this.server = createServer({ noDelay: true }, (socket: Socket) => {
      deps.accept(socket, { listener: this.id, remoteAddress: formatRemote(socket.remoteAddress, socket.remotePort) });
    });
    this.logErrors(this.server, deps.logger);
  }
}
