// An aedes broker behind a WebSocket server (ws:// or wss:// with the test PKI): Debian's mosquitto has
// no WebSocket support (no libwebsockets), so WebSocket tests use aedes.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Aedes } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { certFile } from '../helpers/certs.js';

export interface AedesWsBroker {
  port: number;
  /** Sub-protocols offered by each client that connected, in order. */
  offeredProtocols: string[];
  /** Request paths of each connection, in order. */
  paths: string[];
  close(): Promise<void>;
}

export async function startAedesWs(secure: boolean): Promise<AedesWsBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = secure
    ? createHttpsServer({ cert: certFile('server-ecdsa-chain.pem'), key: certFile('server-ecdsa-key.pem') })
    : createHttpServer();
  const offeredProtocols: string[] = [];
  const paths: string[] = [];
  const wss = new WebSocketServer({
    server,
    // MQTT 5.0 §6.0: the server selects "mqtt" from the client's list.
    handleProtocols: (protocols: Set<string>) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  wss.on('connection', (socket, request: IncomingMessage) => {
    offeredProtocols.push(String(request.headers['sec-websocket-protocol'] ?? ''));
    paths.push(request.url ?? '');
    const stream = createWebSocketStream(socket);
    stream.on('error', () => {});
    aedes.handle(stream, request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    offeredProtocols,
    paths,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
