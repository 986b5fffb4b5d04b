// A userspace "netem" for real UDP on 127.0.0.1: a relay between clients and one server that delays,
// drops, duplicates and reorders datagrams, and can rebind (a new source port towards the server, as a
// NAT does when its mapping times out). The kernel here has no tc netem, so tests and benchmarks use this.
import { createSocket, type Socket, type RemoteInfo } from 'node:dgram';
import { SimRandom } from '../sim/network.js';

export interface RelayImpairment {
  delayMs?: number;
  jitterMs?: number;
  loss?: number;
  duplicate?: number;
  reorder?: number;
  reorderDelayMs?: number;
  /** Datagrams larger than this many bytes are dropped, as by a path with this MTU (no ICMP either). */
  mtu?: number;
}

export interface RelayStats {
  forwarded: number;
  dropped: number;
  /** Of `dropped`, those larger than the path MTU. */
  tooLarge: number;
  duplicated: number;
  reordered: number;
}

interface Mapping {
  client: RemoteInfo;
  upstream: Socket;
  upstreamPort: number;
}

export class UdpRelay {
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, tooLarge: 0, duplicated: 0, reordered: 0 };
  /** Impairments per direction; change them at any time. */
  toServer: RelayImpairment;
  toClient: RelayImpairment;
  private front!: Socket;
  private mappings = new Map<string, Mapping>();
  private timers = new Set<NodeJS.Timeout>();
  private random: SimRandom;
  private closed = false;

  private constructor(
    private readonly target: { host: string; port: number },
    opts: { seed?: number; toServer?: RelayImpairment; toClient?: RelayImpairment },
  ) {
    this.random = new SimRandom(opts.seed ?? 1);
    this.toServer = opts.toServer ?? {};
    this.toClient = opts.toClient ?? {};
  }

  /** Starts a relay on 127.0.0.1 (OS-chosen port) in front of target. */
  static async start(
    target: { host: string; port: number },
    opts: { seed?: number; toServer?: RelayImpairment; toClient?: RelayImpairment } = {},
  ): Promise<UdpRelay> {
    const r = new UdpRelay(target, opts);
    r.front = createSocket('udp4');
    r.front.on('message', (msg, rinfo) => r.fromClient(msg, rinfo));
    r.front.on('error', () => {});
    await new Promise<void>((res) => r.front.bind(0, '127.0.0.1', res));
    return r;
  }

  /** The address clients should send to. */
  get port(): number {
    return this.front.address().port;
  }

  /** Source ports the server currently sees, one per client. */
  upstreamPorts(): number[] {
    return [...this.mappings.values()].map((m) => m.upstreamPort);
  }

  private key(r: RemoteInfo): string {
    return `${r.address}:${r.port}`;
  }

  private async newUpstream(client: RemoteInfo): Promise<Mapping> {
    const upstream = createSocket('udp4');
    upstream.on('error', () => {});
    const m: Mapping = { client, upstream, upstreamPort: 0 };
    upstream.on('message', (msg) => this.impair(msg, this.toClient, () => this.sendFront(msg, m.client)));
    await new Promise<void>((res) => upstream.bind(0, '127.0.0.1', res));
    m.upstreamPort = upstream.address().port;
    return m;
  }

  private pending = new Map<string, Promise<Mapping>>();

  private fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    const k = this.key(rinfo);
    let m = this.mappings.get(k);
    if (m) {
      const mm = m;
      this.impair(msg, this.toServer, () => this.sendUpstream(msg, mm));
      return;
    }
    let p = this.pending.get(k);
    if (!p) {
      p = this.newUpstream(rinfo).then((created) => {
        this.mappings.set(k, created);
        this.pending.delete(k);
        return created;
      });
      this.pending.set(k, p);
    }
    void p.then((mm) => this.impair(msg, this.toServer, () => this.sendUpstream(msg, mm)));
  }

  /** Sees every datagram forwarded, in either direction (tests that look at what is on the wire). */
  observe: ((datagram: Buffer, direction: 'to-server' | 'to-client') => void) | undefined;

  private sendUpstream(msg: Buffer, m: Mapping): void {
    if (this.closed) return;
    this.observe?.(msg, 'to-server');
    this.stats.forwarded++;
    m.upstream.send(msg, this.target.port, this.target.host);
  }

  private sendFront(msg: Buffer, client: RemoteInfo): void {
    if (this.closed) return;
    this.observe?.(msg, 'to-client');
    this.stats.forwarded++;
    this.front.send(msg, client.port, client.address);
  }

  private impair(msg: Buffer, imp: RelayImpairment, deliver: () => void): void {
    const r = this.random;
    if (imp.mtu !== undefined && msg.length > imp.mtu) {
      this.stats.dropped++;
      this.stats.tooLarge++;
      return;
    }
    if (imp.loss && r.next() < imp.loss) {
      this.stats.dropped++;
      return;
    }
    let delay = (imp.delayMs ?? 0) + (imp.jitterMs ? r.next() * imp.jitterMs : 0);
    if (imp.reorder && r.next() < imp.reorder) {
      this.stats.reordered++;
      delay += imp.reorderDelayMs ?? Math.max(1, imp.delayMs ?? 1);
    }
    this.later(delay, deliver);
    if (imp.duplicate && r.next() < imp.duplicate) {
      this.stats.duplicated++;
      this.later(delay + 1, deliver);
    }
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /**
   * NAT rebinding: every client's traffic towards the server now leaves from a new source port
   * (the old upstream socket is closed, so late replies to it are lost, as with a real NAT).
   */
  async rebind(): Promise<void> {
    for (const [k, m] of this.mappings) {
      const fresh = await this.newUpstream(m.client);
      this.mappings.set(k, fresh);
      m.upstream.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const m of this.mappings.values()) m.upstream.close();
    this.mappings.clear();
    await new Promise<void>((res) => this.front.close(() => res()));
  }
}
