// MQTT over WebSocket (ws) and secure WebSocket (wss): MQTT 5.0 §6, subprotocol "mqtt".
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WsListenerConfig, WssListenerConfig } from '../config/types.js';
import type { ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { closeServer, NetServerListener } from './net-server.js';
import { admitTlsPeer, tlsServerOptions } from './tls-options.js';
import { WebSocketDuplex } from './websocket-duplex.js';

/** MQTT 5.0 §6.0 [MQTT-6.0.0-3]: the subprotocol is "mqtt"; MQTT 3.1 clients use "mqttv3.1". */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
/** Bytes beyond max_packet_size a WebSocket message may carry (a second packet's header, padding). */
const WS_MESSAGE_SLACK = 64 * 1024;

export class WsListener extends NetServerListener {
  readonly type: 'ws' | 'wss';
  readonly id: string;
  protected readonly server: HttpServer;
  private readonly wss: WebSocketServer;

  constructor(name: string, protected readonly config: WsListenerConfig | WssListenerConfig, deps: ListenerDeps) {
    super();
    const ssl = 'ssl_options' in config ? config.ssl_options : undefined;
    this.type = ssl ? 'wss' : 'ws';
    this.id = `${this.type}:${name}`;
    this.server = ssl ? createHttpsServer(tlsServerOptions(ssl, deps.handshakeTimeoutMs)) : createHttpServer();
    // Plain HTTP requests to the listener get 426 Upgrade Required.
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { connection: 'close' }).end();
    });
    this.wss = new WebSocketServer({
      server: this.server,
      path: config.websocket.mqtt_path,
      // No compression: MQTT payloads are often already compact, and inflating is a memory risk.
      perMessageDeflate: false,
      // ws buffers a whole message before handing it over; a message carries one MQTT packet (MQTT 5.0
      // §6.0 allows several, or parts), so the packet limit plus room for a header bounds it.
      maxPayload: deps.maxPacketSize + WS_MESSAGE_SLACK,
      handleProtocols: (offered: Set<string>) => {
        for (const p of SUBPROTOCOLS) if (offered.has(p)) return p;
        return false;
      },
    });
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const socket = req.socket;
      const remoteAddress = formatRemote(socket.remoteAddress, socket.remotePort);
      const peer = ssl ? admitTlsPeer(socket as TLSSocket, ssl, { logger: deps.logger, listener: this.id, remote: remoteAddress }) : {};
      if (peer === undefined) {
        ws.terminate();
        return;
      }
      deps.accept(new WebSocketDuplex(ws), { listener: this.id, remoteAddress, ...peer });
    });
    this.logErrors(this.wss, deps.logger);
    this.logErrors(this.server, deps.logger);
  }

  override async stop(): Promise<void> {
    const closed = closeServer(this.server);
    // HTTP keep-alive connections that never upgraded would hold close() open.
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closed;
  }
}
