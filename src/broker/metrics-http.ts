// The Prometheus scrape endpoint: GET /metrics in the text exposition format, 404 for other paths,
// 405 for other methods on /metrics. Bound to the prometheus.bind address (127.0.0.1:9464 by default).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { parseBind } from './config/units.js';

export interface MetricsServer {
  /** The bound port (the OS-chosen one when bind asked for port 0). */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Slow scrapers are cut off after this long, so idle sockets cannot pile up. */
const REQUEST_TIMEOUT_MS = 30_000;

export async function startMetricsServer(registry: Registry, bind: string): Promise<MetricsServer> {
  const addr = parseBind(bind);
  if (!addr) throw new RangeError(`invalid metrics bind address ${JSON.stringify(bind)}: expected "host:port"`);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        // A failing collector must not take the endpoint (or the broker) down.
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };

  const server = createServer(handle);
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
