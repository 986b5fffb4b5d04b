// The npm aedes broker under test, in a process of its own, with its default (in-memory) persistence and
// emitter. aedes-server-factory is not installed, so a plain net server hands sockets to aedes.handle.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { reportStartFailure, serveControl } from './control.js';

try {
  const aedes = await Aedes.createBroker();
  const server = createServer((socket) => {
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  serveControl((server.address() as AddressInfo).port, async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      aedes.close();
    });
  });
} catch (e) {
  reportStartFailure(e);
}
