// MQTT over WebSocket (ws) and secure WebSocket (wss): MQTT 5.0 §6, subprotocol "mqtt".
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WsListenerConfig, WssListenerConfig } from '../config/types.js';
import type { Listener, ListenerAddress, ListenerDeps } from './listener.js';
import { formatRemote } from './listener.js';
import { boundAddress, closeServer, listen } from './net-server.js';
import { peerCheck, tlsServerOptions } from './tls-options.js';
import { WebSocketDuplex } from './websocket-duplex.js';

/** MQTT 5.0 §6.0 [MQTT-6.0.0-3]: the subprotocol is "mqtt"; MQTT 3.1 clients use "mqttv3.1". */
const SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
/** Bytes beyond max_packet_size a WebSocket message may carry (a second packet's header, padding). */
const WS_MESSAGE_SLACK = 64 * 1024;

export class WsListener implements Listener {
  readonly type: 'ws' | 'wss';
  readonly id: string;
  private readonly server: HttpServer;
  private readonly wss: WebSocketServer;

  constructor(name: string, private readonly config: WsListenerConfig | WssListenerConfig, deps: ListenerDeps) {
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
      let certCommonName: string | undefined;
      if (ssl) {
        const check = peerCheck(socket as TLSSocket, ssl);
        if (!check.ok) {
          deps.logger.info({ listener: this.id, remote: remoteAddress, reason: check.reason }, 'TLS client refused');
          ws.terminate();
          return;
        }
        certCommonName = check.commonName;
      }
      deps.accept(new WebSocketDuplex(ws), { listener: this.id, remoteAddress, ...(certCommonName !== undefined ? { certCommonName } : {}) });
    });
    this.wss.on('error', (err) => deps.logger.error({ listener: this.id, err }, 'listener error'));
    this.server.on('error', (err) => deps.logger.error({ listener: this.id, err }, 'listener error'));
  }

  start(): Promise<void> {
    return listen(this.server, this.config.bind, this.config.max_connections);
  }

  async stop(): Promise<void> {
    const closed = closeServer(this.server);
    // HTTP keep-alive connections that never upgraded would hold close() open.
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await closed;
  }

  address(): ListenerAddress | undefined {
    return boundAddress(this.server, this.id, this.type);
  }
}
