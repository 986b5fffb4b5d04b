// A deterministic simulated network for sans-IO protocol cores: a virtual clock, seeded randomness, and
// links that delay, drop, duplicate and reorder datagrams, with bounded bandwidth and queue, plus NAT
// rebinding (a node's packets suddenly arrive from a new address). No sockets, no timers: the same seed
// always produces the same run, so a failure can be replayed exactly.

/** What the simulator needs from a protocol node (a QuicConnection wrapper, an endpoint, ...). */
export interface SimNode {
  /** A datagram arrives. `from` is the sender's address as seen after any NAT rebinding. */
  receive(data: Uint8Array, from: string, to: string, now: number): void;
  /** Datagrams the node wants to send now. Called until it returns none. */
  poll(now: number): Array<{ data: Uint8Array; to: string; from?: string }>;
  /** Absolute virtual time of the node's next timer, or undefined. */
  nextTimeout(): number | undefined;
  handleTimeout(now: number): void;
}

export interface LinkProfile {
  /** One-way base delay. */
  delayMs: number;
  /** Extra uniform random delay in [0, jitterMs): jitter above the spacing between packets reorders them. */
  jitterMs?: number;
  /** Probability that a datagram is lost. */
  loss?: number;
  /** Probability that a datagram is delivered twice (the copy a little later). */
  duplicate?: number;
  /** Probability that a datagram is held back by `reorderDelayMs` extra (so later ones overtake it). */
  reorder?: number;
  reorderDelayMs?: number;
  /** Bytes per second; undefined = unlimited. Serialisation delay is added per datagram. */
  bandwidth?: number;
  /** Maximum bytes queued for serialisation; beyond it datagrams are tail-dropped. */
  queueBytes?: number;
  /** Datagrams larger than this are dropped (a path MTU). */
  mtu?: number;
}

export interface SimStats {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  queueDropped: number;
  mtuDropped: number;
  bytesDelivered: number;
}

/** Seeded PRNG (xoshiro128**): fast, good enough statistics, reproducible. */
export class SimRandom {
  private s: Uint32Array;
  constructor(seed: number) {
    this.s = new Uint32Array(4);
    let x = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < 4; i++) {
      // splitmix32 to spread the seed
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  /** Uniform integer in [0, 2^32). */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Random bytes (for injecting into protocol cores). */
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.nextU32();
      for (let j = 0; j < 4 && i + j < n; j++) b[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return b;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

interface Delivery {
  at: number;
  seq: number;
  data: Uint8Array;
  from: string;
  to: string;
}

/** Binary min-heap of deliveries ordered by (at, seq) so equal times keep their send order. */
class DeliveryQueue {
  private heap: Delivery[] = [];
  get size(): number {
    return this.heap.length;
  }
  peek(): Delivery | undefined {
    return this.heap[0];
  }
  push(d: Delivery): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Delivery | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Delivery, b: Delivery): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class SimNetwork {
  now = 0;
  readonly random: SimRandom;
  readonly stats: SimStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    queueDropped: 0,
    mtuDropped: 0,
    bytesDelivered: 0,
  };
  private nodes = new Map<string, SimNode>();
  private links = new Map<string, LinkProfile>();
  private defaultLink: LinkProfile;
  /** Per directed link: time the serialiser is busy until (bandwidth model). */
  private busyUntil = new Map<string, number>();
  /** NAT: the address a node's traffic appears from, by its real address. */
  private natFrom = new Map<string, string>();
  /** Reverse NAT: packets to the public address go to the node's real address. */
  private natTo = new Map<string, string>();
  private queue = new DeliveryQueue();
  private seq = 0;
  /** Optional hook to inspect or rewrite each datagram in flight (return null to drop it). */
  tap?: (d: { data: Uint8Array; from: string; to: string; now: number }) => Uint8Array | null;

  constructor(opts: { seed: number; link?: LinkProfile }) {
    this.random = new SimRandom(opts.seed);
    this.defaultLink = opts.link ?? { delayMs: 10 };
  }

  /** Attach a node at an address such as "127.0.0.1:4433" (virtual: nothing is bound). */
  attach(address: string, node: SimNode): void {
    if (this.nodes.has(address)) throw new Error(`address ${address} already attached`);
    this.nodes.set(address, node);
  }

  /** Impairments for one direction (from -> to); others use the default profile. */
  setLink(from: string, to: string, profile: LinkProfile): void {
    this.links.set(`${from}>${to}`, profile);
  }

  setDefaultLink(profile: LinkProfile): void {
    this.defaultLink = profile;
  }

  /**
   * NAT rebinding: from now on, datagrams sent by the node at `realAddress` appear to come from
   * `publicAddress`, and datagrams sent to `publicAddress` reach it. Datagrams already in flight keep
   * their old addresses (as on a real network).
   */
  rebind(realAddress: string, publicAddress: string): void {
    const old = this.natFrom.get(realAddress);
    if (old !== undefined) this.natTo.delete(old);
    this.natFrom.set(realAddress, publicAddress);
    this.natTo.set(publicAddress, realAddress);
  }

  private linkFor(from: string, to: string): LinkProfile {
    return this.links.get(`${from}>${to}`) ?? this.defaultLink;
  }

  /** Drain every node's output into the network. */
  private flush(): void {
    for (const [addr, node] of this.nodes) {
      for (let guard = 0; guard < 100000; guard++) {
        const out = node.poll(this.now);
        if (out.length === 0) break;
        for (const d of out) this.send(d.data, d.from ?? addr, d.to);
      }
    }
  }

  private send(data: Uint8Array, realFrom: string, to: string): void {
    this.stats.sent++;
    const from = this.natFrom.get(realFrom) ?? realFrom;
    const link = this.linkFor(from, to);
    if (link.mtu !== undefined && data.length > link.mtu) {
      this.stats.mtuDropped++;
      return;
    }
    const r = this.random;
    if (link.loss && r.next() < link.loss) {
      this.stats.lost++;
      return;
    }
    let start = this.now;
    if (link.bandwidth) {
      const key = `${from}>${to}`;
      const busy = Math.max(this.busyUntil.get(key) ?? 0, this.now);
      const queued = (busy - this.now) * (link.bandwidth / 1000);
      if (link.queueBytes !== undefined && queued + data.length > link.queueBytes) {
        this.stats.queueDropped++;
        return;
      }
      start = busy + (data.length * 1000) / link.bandwidth;
      this.busyUntil.set(key, start);
    }
    let at = start + link.delayMs + (link.jitterMs ? r.next() * link.jitterMs : 0);
    if (link.reorder && r.next() < link.reorder) {
      this.stats.reordered++;
      at += link.reorderDelayMs ?? link.delayMs;
    }
    const copy = Uint8Array.from(data); // the sender may reuse its buffer
    this.queue.push({ at, seq: this.seq++, data: copy, from, to });
    if (link.duplicate && r.next() < link.duplicate) {
      this.stats.duplicated++;
      this.queue.push({ at: at + r.next() * (link.delayMs || 1), seq: this.seq++, data: Uint8Array.from(copy), from, to });
    }
  }

  /** Time of the next event (delivery or node timer), or undefined when nothing is pending. */
  private nextEventTime(): number | undefined {
    let t = this.queue.peek()?.at;
    for (const node of this.nodes.values()) {
      const n = node.nextTimeout();
      if (n !== undefined && (t === undefined || n < t)) t = n;
    }
    return t;
  }

  /**
   * Runs until `done()` is true, nothing is pending, the virtual clock passes `untilMs`, or `maxSteps`
   * events have been processed (then it throws, so a livelock fails a test instead of hanging it).
   * Returns the virtual time reached.
   */
  run(opts: { until?: number; done?: () => boolean; maxSteps?: number } = {}): number {
    const maxSteps = opts.maxSteps ?? 1_000_000;
    this.flush();
    for (let step = 0; step < maxSteps; step++) {
      if (opts.done?.()) return this.now;
      const t = this.nextEventTime();
      if (t === undefined) return this.now;
      if (opts.until !== undefined && t > opts.until) {
        this.now = opts.until;
        return this.now;
      }
      this.now = Math.max(this.now, t);
      const head = this.queue.peek();
      if (head && head.at <= this.now) {
        this.queue.pop();
        this.deliver(head);
      } else {
        for (const node of this.nodes.values()) {
          const n = node.nextTimeout();
          if (n !== undefined && n <= this.now) node.handleTimeout(this.now);
        }
      }
      this.flush();
    }
    throw new Error(`simulation did not settle within ${maxSteps} steps (t=${this.now} ms)`);
  }

  private deliver(d: Delivery): void {
    const realTo = this.natTo.get(d.to) ?? d.to;
    const node = this.nodes.get(realTo);
    if (!node) return; // nobody there: the datagram vanishes, as on a real network
    let data: Uint8Array | null = d.data;
    if (this.tap) data = this.tap({ data, from: d.from, to: d.to, now: this.now });
    if (!data) return;
    this.stats.delivered++;
    this.stats.bytesDelivered += data.length;
    node.receive(data, d.from, d.to, this.now);
  }
}
