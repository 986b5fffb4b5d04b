// Which UDP payload size a quicmq connection really uses, seen from outside: a short transfer through a
// plain UDP relay that records the largest datagram in each direction. 1200 bytes is the size every path
// must carry (RFC 9000 §14); a connection that probes the path (DPLPMTUD, RFC 8899; RFC 9000 §14.3) and
// finds loopback's 64 KiB limit sends larger ones, which this shows without asking the stack.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { measureBulk } from './bulk.js';
import type { Pki } from './pki.js';

/** Enough data for the congestion window to open and any path probing to finish. */
const PROBE_BYTES = 512 * 1024;
const PROBE_TIME_MS = 15_000;

export interface DatagramProbe {
  /** Largest datagram in each direction. */
  clientToServer: number;
  serverToClient: number;
  /** The client->server datagram size that carried the most bytes: the data-carrying size of the transfer. */
  commonClientToServer: number;
  /** Datagrams in each direction: the receiver's share is mostly acknowledgements (RFC 9000 §13.2). */
  sentByClient: number;
  sentByServer: number;
  error?: string;
}

async function bind(socket: Socket): Promise<number> {
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket.address().port;
}

/** Sends PROBE_BYTES through a relay with path MTU discovery on or off and reports what went over the wire. */
export async function probeDatagramSize(serverPort: number, pki: Pki, pathMtuDiscovery: boolean): Promise<DatagramProbe> {
  const result: DatagramProbe = { clientToServer: 0, serverToClient: 0, commonClientToServer: 0, sentByClient: 0, sentByServer: 0 };
  // Datagrams per size (at most 65,536 keys: bounded).
  const sizes = new Map<number, number>();
  const front = createSocket('udp4');
  const upstream = createSocket('udp4');
  front.on('error', () => undefined);
  upstream.on('error', () => undefined);
  let client: RemoteInfo | undefined;
  front.on('message', (msg, rinfo) => {
    client = rinfo;
    result.sentByClient++;
    result.clientToServer = Math.max(result.clientToServer, msg.length);
    sizes.set(msg.length, (sizes.get(msg.length) ?? 0) + 1);
    upstream.send(msg, serverPort, '127.0.0.1');
  });
  upstream.on('message', (msg) => {
    result.serverToClient = Math.max(result.serverToClient, msg.length);
    result.sentByServer++;
    if (client) front.send(msg, client.port, client.address);
  });
  try {
    const port = await bind(front);
    await bind(upstream);
    const r = await measureBulk('quicmq', port, pki, { bytes: PROBE_BYTES, durationMs: PROBE_TIME_MS, pathMtuDiscovery });
    if (r.error) result.error = r.error;
    // The data-carrying size is the one that carried the most bytes, not the most datagrams: once path
    // MTU discovery reaches 64 KiB on loopback, a handful of huge datagrams carry the transfer while small
    // control datagrams (ACKs, probes) outnumber them.
    let most = 0;
    for (const [size, n] of sizes) {
      if (size * n > most) {
        most = size * n;
        result.commonClientToServer = size;
      }
    }
  } finally {
    front.close();
    upstream.close();
  }
  return result;
}
