// What the tcp, ssl, ws and wss listeners share: binding a node:net server, enforcing max_connections
// at accept time, and closing.
import type { Server } from 'node:net';
import type { ListenerType } from '../connection-info.js';
import type { ListenerAddress } from './listener.js';
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
