// What the tcp, ssl, ws and wss listeners share: binding a node:net server (node:tls and node:http servers
// are ones), enforcing max_connections at accept time, closing, and logging server errors.
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { ListenerCommon } from '../config/types.js';
import type { ListenerType } from '../connection-info.js';
import type { Listener, ListenerAddress } from './listener.js';
import { parseBind } from './bind.js';

/** Starts listening on the configured bind address; max_connections is refused by the kernel accept path. */
export function listen(server: Server, bind: string, maxConnections: number): Promise<void> {
  const { host, port } = parseBind(bind);
  // node:net closes connections above maxConnections right after accepting them (before any TLS or
  // WebSocket handshake), which is what "refused at accept time" asks for.
  server.maxConnections = maxConnections;
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export function boundAddress(server: Server, id: string, type: ListenerType): ListenerAddress | undefined {
  const a = server.address();
  if (!a || typeof a === 'string') return undefined;
  return { id, type, host: a.address, port: a.port };
}

/** A listener over one node:net server: start, stop and address follow from `server` and `config`. */
export abstract class NetServerListener implements Listener {
  abstract readonly type: ListenerType;
  abstract readonly id: string;
  protected abstract readonly server: Server;
  protected abstract readonly config: ListenerCommon;

  start(): Promise<void> {
    return listen(this.server, this.config.bind, this.config.max_connections);
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  address(): ListenerAddress | undefined {
    return boundAddress(this.server, this.id, this.type);
  }

  /** Logs the 'error' events of the server (or of a server over it) instead of letting them crash the broker. */
  protected logErrors(emitter: { on(event: 'error', listener: (err: Error) => void): unknown }, logger: Logger): void {
    emitter.on('error', (err) => logger.error({ listener: this.id, err }, 'listener error'));
  }
}
