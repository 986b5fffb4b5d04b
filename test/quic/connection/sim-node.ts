// Test harness: QuicConnections wrapped as SimNetwork nodes (test/sim/network.ts), a client and a server
// over the test PKI with real certificate verification against ca.pem, and helpers to drive transfers.
import { certFile } from '../../helpers/certs.js';
import { SimNetwork, type LinkProfile, type SimNode } from '../../sim/network.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { ConnectionEvent } from '../../../src/quic/connection/api.js';
import type { QuicClientOptions, QuicServerOptions } from '../../../src/quic/connection/options.js';
import { parseInvariantHeader } from '../../../src/quic/wire/header.js';

export const CLIENT_ADDR = '10.0.0.1:5000';
export const SERVER_ADDR = '10.0.0.2:4433';

const pem = (name: string): string => certFile(name).toString('utf8');

/** One connection as a network node. `local` is always the node's real address (NAT is invisible to it). */
export class ConnNode implements SimNode {
  conn: QuicConnection | undefined;
  readonly events: ConnectionEvent[] = [];
  /** Every datagram this node sent, with its size (for amplification checks). */
  sent = 0;
  onEvent?: (ev: ConnectionEvent, node: ConnNode) => void;

  /** Addresses this node is attached at (a migrating client has more than one). */
  readonly addresses: Set<string>;

  constructor(
    readonly address: string,
    private readonly create?: (datagram: Uint8Array, from: string, now: number) => QuicConnection | undefined,
  ) {
    this.addresses = new Set([address]);
  }

  /** Attaches this node at another local address too (for active migration). */
  attachAlso(net: SimNetwork, address: string): void {
    net.attach(address, this);
    this.addresses.add(address);
  }

  receive(data: Uint8Array, from: string, to: string, now: number): void {
    if (this.conn === undefined && this.create !== undefined) this.conn = this.create(data, from, now);
    // A NAT's public address is not one of ours: the node sees its own address, as on a real host.
    const local = this.addresses.has(to) ? to : this.address;
    this.conn?.receive(data, { local, remote: from }, now);
    this.drain();
  }

  poll(now: number): Array<{ data: Uint8Array; to: string; from?: string }> {
    const d = this.conn?.poll(now);
    this.drain();
    if (d === undefined) return [];
    this.sent += d.data.length;
    return [{ data: d.data, to: d.path.remote, from: d.path.local }];
  }

  nextTimeout(): number | undefined {
    return this.conn?.nextTimeout();
  }

  handleTimeout(now: number): void {
    this.conn?.handleTimeout(now);
    this.drain();
  }

  drain(): void {
    const c = this.conn;
    if (c === undefined) return;
    for (let ev = c.pollEvent(); ev !== undefined; ev = c.pollEvent()) {
      this.events.push(ev);
      this.onEvent?.(ev, this);
    }
  }

  has(type: ConnectionEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }

  eventsOf<T extends ConnectionEvent['type']>(type: T): Array<Extract<ConnectionEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }

  get connection(): QuicConnection {
    if (this.conn === undefined) throw new Error(`no connection at ${this.address}`);
    return this.conn;
  }
}

export interface PairOptions {
  seed?: number;
  link?: LinkProfile;
  client?: Partial<QuicClientOptions>;
  server?: Partial<QuicServerOptions>;
  /** Build the server connection for the first datagram (default: a plain server, no Retry). */
  serverFactory?: (datagram: Uint8Array, from: string, now: number, net: SimNetwork) => QuicConnection | undefined;
}

export function serverOptions(net: SimNetwork, from: string, extra: Partial<QuicServerOptions> = {}): QuicServerOptions {
  return {
    alpn: ['mqtt'],
    path: { local: SERVER_ADDR, remote: from },
    random: (n) => net.random.bytes(n),
    statelessResetKey: new Uint8Array(32).fill(7),
    ...extra,
    tls: { certificateChain: pem('server-ecdsa-chain.pem'), privateKey: pem('server-ecdsa-key.pem'), ...extra.tls },
  };
}

export function clientOptions(net: SimNetwork, extra: Partial<QuicClientOptions> = {}): QuicClientOptions {
  return {
    alpn: ['mqtt'],
    path: { local: CLIENT_ADDR, remote: SERVER_ADDR },
    random: (n) => net.random.bytes(n),
    ...extra,
    tls: { serverName: 'localhost', ca: [pem('ca.pem')], ...extra.tls },
  };
}

export interface Pair {
  net: SimNetwork;
  client: ConnNode;
  server: ConnNode;
}

export function makePair(o: PairOptions = {}): Pair {
  const net = new SimNetwork({ seed: o.seed ?? 1, link: o.link ?? { delayMs: 10 } });
  const server = new ConnNode(SERVER_ADDR, (datagram, from, now) => {
    if (o.serverFactory) return o.serverFactory(datagram, from, now, net);
    const h = parseInvariantHeader(datagram, 8);
    if (h.form !== 'long') return undefined;
    return QuicConnection.server(serverOptions(net, from, o.server), now);
  });
  const client = new ConnNode(CLIENT_ADDR);
  net.attach(SERVER_ADDR, server);
  net.attach(CLIENT_ADDR, client);
  client.conn = QuicConnection.client(clientOptions(net, o.client), net.now);
  return { net, client, server };
}

/** Runs until both sides completed the handshake (or the step budget runs out). */
export function runHandshake(p: Pair, maxSteps = 20_000): void {
  p.net.run({ done: () => p.client.has('handshake-confirmed') && p.server.has('handshake-complete'), maxSteps, until: p.net.now + 60_000 });
}

/** Concatenates chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Sends `data` from the client on a new bidirectional stream (FIN at the end) and collects what the
 * server reads from it. Writes respect backpressure ('stream-writable').
 */
export function transfer(p: Pair, data: Uint8Array, opts: { maxSteps?: number; untilMs?: number } = {}): { received: Uint8Array; finished: boolean; streamId: number } {
  const client = p.client.connection;
  const sid = client.openStream(true);
  if (sid === undefined) throw new Error('cannot open a stream');
  let offset = 0;
  const pump = (): void => {
    while (offset < data.length) {
      const n = client.streamWrite(sid, data.subarray(offset, Math.min(data.length, offset + 64 * 1024)));
      if (n === 0) return;
      offset += n;
    }
    client.streamFinish(sid);
  };
  const chunks: Uint8Array[] = [];
  let finished = false;
  p.client.onEvent = (ev) => {
    if (ev.type === 'stream-writable' && ev.streamId === sid) pump();
  };
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable' && ev.streamId === sid) {
      for (let d = node.connection.streamRead(sid); d !== undefined; d = node.connection.streamRead(sid)) chunks.push(Uint8Array.from(d));
    }
    if (ev.type === 'stream-finished' && ev.streamId === sid) finished = true;
  };
  pump();
  p.net.run({ done: () => finished, maxSteps: opts.maxSteps ?? 200_000, until: p.net.now + (opts.untilMs ?? 600_000) });
  p.client.onEvent = undefined;
  p.server.onEvent = undefined;
  return { received: concat(chunks), finished, streamId: sid };
}
