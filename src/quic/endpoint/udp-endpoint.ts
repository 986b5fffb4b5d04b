// The Node shell around EndpointCore: one node:dgram socket (udp4 or udp6 from the bound address), one
// timer for the earliest connection deadline, and a bounded send loop. Every datagram, timer expiry and
// application call ends in drive(), which dispatches the core's events to connection handles and sends
// what the core polls, a bounded number per turn and with a bounded number of sends in flight, so one
// busy connection can neither block the event loop nor queue unbounded memory in the socket.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { EventEmitter } from 'node:events';
import { isIP, isIPv6 } from 'node:net';
import { recycleDatagram } from '../connection/packet-builder.js';
import type { ConnectionCloseInfo, PathAddress, QuicConnectionApi } from '../connection/api.js';
import { TransportErrorCode } from '../wire/errors.js';
import { EndpointCore, positiveInteger, type ClientConnectionParams, type EndpointConnection, type EndpointCoreOptions } from './endpoint-core.js';
import { QuicEndpointError } from './errors.js';
import { QuicConnectionHandle, type ConnectionDriver } from './connection-handle.js';

export const UDP_ENDPOINT_DEFAULTS = Object.freeze({
  /** Datagrams sent per turn of the event loop before yielding (setImmediate) to I/O and timers. */
  maxDatagramsPerTurn: 64,
  /**
   * Datagrams the socket may hold queued (the kernel's send buffer was full, so libuv keeps them until it
   * drains); at this many we stop polling connections until the queue is empty again.
   */
  maxSendsInFlight: 256,
  /** How often a send-blocked endpoint looks again whether the socket's queue has drained, ms. */
  sendQueueRecheckMs: 1,
  /** How long close() lets connections finish their closing period (RFC 9000 §10.2) before the socket goes. */
  closeGraceMs: 1000,
  /**
   * SO_RCVBUF / SO_SNDBUF asked for (the kernel caps them at net.core.rmem_max / wmem_max). The Linux
   * default (about 200 kB, some 90 datagrams) overflows under one congestion window of burst, and every
   * datagram dropped there costs a loss-recovery round trip.
   */
  socketBufferSize: 4 * 1024 * 1024,
});

export interface UdpEndpointOptions extends EndpointCoreOptions {
  /**
   * Servers: emit 'connection' as soon as a connection is created instead of when its handshake completes,
   * so 0-RTT stream data (RFC 9001 §4.6.1) reaches the application half a round trip earlier. Such data
   * may be a replay (RFC 9001 §9.2), and the handshake may still fail (the handle then closes).
   */
  emitConnectionBeforeHandshake?: boolean;
  maxDatagramsPerTurn?: number;
  maxSendsInFlight?: number;
  closeGraceMs?: number;
  /**
   * End each connection's closing or draining period (RFC 9000 §10.2, three PTOs) as soon as its
   * CONNECTION_CLOSE is out, instead of lingering to repeat it. For a socket that serves one connection and
   * is closed with it (connectQuic does this): RFC 9000 §10.2 allows ending these states early to an
   * endpoint that closes its UDP socket, as late packets then cannot draw a Stateless Reset. The cost: a
   * CONNECTION_CLOSE that is lost is not repeated, and the peer learns of the close from its idle timeout.
   * Default false.
   */
  endClosingEarly?: boolean;
  /** SO_RCVBUF / SO_SNDBUF, bytes. */
  receiveBufferSize?: number;
  sendBufferSize?: number;
}

export interface UdpEndpointEvents {
  /** A server connection completed its handshake (peer streams are delivered once this returns). */
  connection: [QuicConnectionHandle];
  /** A socket error after binding (send errors of single datagrams are counted, not reported). */
  error: [Error];
}

/** "ip:port", IPv6 in brackets (the PathAddress convention of connection/api.ts). */
export function formatAddress(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Splits "ip:port" / "[v6]:port". */
export function parseAddress(text: string): { address: string; port: number } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  return { address: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(text.slice(colon + 1)) };
}

/**
 * The socket's address lookup. Every peer address here is an IP literal, and node:dgram resolves even
 * those through dns.lookup, which answers on the next tick: each datagram then paid a closure and a
 * nextTick before it reached the socket. Literals are answered at once; names still go to dns.lookup.
 */
function lookupLiteral(hostname: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

/** Monotonic milliseconds on the wall-clock scale (address tokens carry expiry times across restarts). */
const clock = (): number => performance.timeOrigin + performance.now();

export class UdpEndpoint extends EventEmitter<UdpEndpointEvents> implements ConnectionDriver {
  readonly core: EndpointCore;
  /** Datagrams handed to node:dgram. */
  datagramsSent = 0;
  /**
   * Sends that failed (the kernel refused them: EMSGSIZE, ENOBUFS, ENETUNREACH, EPERM from a firewall; or a
   * closed socket): counted, never fatal, the datagram lost as UDP may lose it and recovered by QUIC.
   */
  sendErrors = 0;
  /** The error code (errno name) of the last failed send, for diagnosis. */
  lastSendError: string | undefined;
  private readonly socket: Socket;
  private readonly maxPerTurn: number;
  private readonly maxInFlight: number;
  private readonly closeGraceMs: number;
  private readonly emitEarly: boolean;
  private readonly endClosingEarly: boolean;
  private local = '';
  /** Waiting for the socket's send queue to drain (see sendBlocked). */
  private sendRecheck: NodeJS.Timeout | undefined;
  private scheduled = false;
  private receiveFlush: NodeJS.Immediate | undefined;
  /** The last peer address seen and sent to, with its parsed and formatted forms (one-entry caches). */
  private lastRemoteAddress = '';
  private lastRemotePort = -1;
  private lastRemote = '';
  private lastSendRemote = '';
  private lastSendTarget: { address: string; port: number } = { address: '', port: 0 };
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private readonly drainWaiters = new Set<() => void>();
  /** Connections the application gave work since the last drive (at most one entry per connection). */
  private readonly woken = new Set<EndpointConnection>();
  private readonly idleWaiters = new Set<() => void>();

  private constructor(socket: Socket, options: UdpEndpointOptions) {
    super();
    this.socket = socket;
    this.core = new EndpointCore(options);
    this.maxPerTurn = positiveInteger('maxDatagramsPerTurn', options.maxDatagramsPerTurn ?? UDP_ENDPOINT_DEFAULTS.maxDatagramsPerTurn);
    this.maxInFlight = positiveInteger('maxSendsInFlight', options.maxSendsInFlight ?? UDP_ENDPOINT_DEFAULTS.maxSendsInFlight);
    this.closeGraceMs = options.closeGraceMs ?? UDP_ENDPOINT_DEFAULTS.closeGraceMs;
    this.emitEarly = options.emitConnectionBeforeHandshake ?? false;
    this.endClosingEarly = options.endClosingEarly ?? false;
  }

  /** Binds a UDP socket on host:port (port 0 = OS-chosen); IPv6 hosts get a udp6 socket. */
  static async open(host: string, port: number, options: UdpEndpointOptions = {}): Promise<UdpEndpoint> {
    const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', lookup: lookupLiteral, ...(isIPv6(host) ? { ipv6Only: false } : {}) });
    let endpoint: UdpEndpoint;
    try {
      endpoint = new UdpEndpoint(socket, options);
    } catch (err) {
      socket.close(); // invalid options: nothing may stay open
      throw err;
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(new QuicEndpointError('ERR_QUIC_SOCKET', `cannot bind UDP ${formatAddress(host, port)}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    try {
      socket.setRecvBufferSize(options.receiveBufferSize ?? UDP_ENDPOINT_DEFAULTS.socketBufferSize);
      socket.setSendBufferSize(options.sendBufferSize ?? UDP_ENDPOINT_DEFAULTS.socketBufferSize);
    } catch {
      // Not permitted here (sandboxes, some platforms): the kernel defaults still work, only with more loss.
    }
    const a = socket.address();
    endpoint.local = formatAddress(a.address, a.port);
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => endpoint.onMessage(msg, rinfo));
    socket.on('error', (err: Error) => {
      // A socket error must not take the process down; report it only to whoever listens.
      if (endpoint.listenerCount('error') > 0) endpoint.emit('error', err);
    });
    return endpoint;
  }

  /** The bound address. */
  address(): { address: string; port: number; family: string } {
    const a = this.socket.address();
    return { address: a.address, port: a.port, family: a.family };
  }

  get localAddress(): string {
    return this.local;
  }

  get isClosed(): boolean {
    return this.state !== 'open';
  }

  /** Starts a client connection to address:port (an IP literal); the handle's `ready` resolves on handshake. */
  connect(address: string, port: number, create: (params: ClientConnectionParams) => QuicConnectionApi): QuicConnectionHandle {
    if (this.state !== 'open') throw new QuicEndpointError('ERR_QUIC_ENDPOINT_CLOSED', 'endpoint is closed');
    const path: PathAddress = { local: this.local, remote: formatAddress(address, port) };
    const entry = this.core.connect(path, clock(), create);
    const handle = new QuicConnectionHandle(this, entry);
    entry.app = handle;
    this.schedule();
    return handle;
  }

  /** @internal ConnectionDriver: the application gave a connection work. */
  wake(entry: EndpointConnection): void {
    if (this.state === 'closed') return;
    // Streams wake their connection on every write; the core services it (events, timer) once per drive.
    this.woken.add(entry);
    this.schedule();
  }

  /**
   * Stops accepting and closes the socket once the existing connections have ended on their own, or
   * after `timeoutMs` with close(). For servers whose connections belong to someone else (the broker
   * closes its MQTT streams, which closes their connections).
   */
  closeWhenIdle(timeoutMs: number): Promise<void> {
    this.core.stopAccepting();
    if (this.closing !== undefined) return this.closing;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.idleWaiters.delete(onIdle);
        resolve();
      };
      const onIdle = (): void => {
        void this.close({ graceMs: 0 }).then(done);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(onIdle);
        void this.close().then(done);
      }, timeoutMs);
      if (this.core.connectionCount === 0) onIdle();
      else this.idleWaiters.add(onIdle);
    });
  }

  /**
   * Stops accepting, closes every connection (application code 0 unless given) and waits for their closing
   * periods, at most closeGraceMs, then closes the socket. Connections still open then are closed
   * locally with their 'close' event.
   */
  close(options: { code?: number; reason?: string; graceMs?: number } = {}): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.state = 'closing';
    this.core.stopAccepting();
    for (const entry of this.core.allConnections()) {
      try {
        entry.connection.close(options.code ?? 0, options.reason ?? 'endpoint closing', true);
      } catch {
        // A connection that cannot close is forgotten below like any other leftover.
      }
      this.core.wake(entry);
    }
    this.drive();
    const grace = options.graceMs ?? this.closeGraceMs;
    this.closing = new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(graceTimer);
        this.drainWaiters.delete(finish);
        this.shutdown();
        resolve();
      };
      const graceTimer = setTimeout(finish, grace);
      if (this.core.connectionCount === 0) finish();
      else this.drainWaiters.add(finish);
    });
    return this.closing;
  }

  /**
   * Closes the socket at once without telling any peer, as a crash would: peers find out by a Stateless
   * Reset (RFC 9000 §10.3) from whoever gets their packets next, or by their idle timeout. Local handles
   * get their 'close' event.
   */
  abort(): void {
    this.core.stopAccepting();
    this.shutdown();
    for (const w of [...this.drainWaiters, ...this.idleWaiters]) w();
  }

  // -------------------------------------------------------------------------------------------------

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.state === 'closed') return;
    // Bursts come from one peer: reuse its formatted address rather than rebuild it per datagram.
    if (rinfo.port !== this.lastRemotePort || rinfo.address !== this.lastRemoteAddress) {
      this.lastRemoteAddress = rinfo.address;
      this.lastRemotePort = rinfo.port;
      this.lastRemote = formatAddress(rinfo.address, rinfo.port);
    }
    this.core.receive(msg, { local: this.local, remote: this.lastRemote }, clock());
    this.scheduleAfterReceive();
  }

  /**
   * Node runs microtasks after every single 'message' event, so a microtask here would poll connections
   * between two datagrams of the same burst: each poll answers with its own ACK (RFC 9000 §13.2.2, one per
   * two ack-eliciting packets) and sends data packets half full. setImmediate runs once libuv has handed us
   * every datagram already queued on the socket (its poll phase reads them in one go), so one ACK covers
   * the whole burst and the replies fill whole packets.
   */
  private scheduleAfterReceive(): void {
    if (this.receiveFlush !== undefined || this.state === 'closed') return;
    this.receiveFlush = setImmediate(() => {
      this.receiveFlush = undefined;
      this.drive();
    });
  }

  private schedule(): void {
    // A receive flush is due in this turn already; it polls everything the application did meanwhile too.
    if (this.scheduled || this.receiveFlush !== undefined || this.state === 'closed') return;
    this.scheduled = true;
    // A microtask coalesces everything the application does in one tick into as few packets as possible.
    queueMicrotask(() => {
      this.scheduled = false;
      this.drive();
    });
  }

  private drive(): void {
    if (this.state === 'closed') return;
    const now = clock();
    for (const entry of this.woken) this.core.wake(entry);
    this.woken.clear();
    this.dispatchEvents();
    let sent = 0;
    let blocked = this.sendBlocked();
    while (sent < this.maxPerTurn && !blocked) {
      const datagram = this.core.poll(now);
      if (datagram === undefined) break;
      blocked = this.send(datagram.data, datagram.path.remote);
      sent++;
    }
    // After the loop, and only once the socket holds nothing queued: closing it would cancel a queued
    // CONNECTION_CLOSE. Otherwise the closing period runs its normal course.
    if (this.endClosingEarly && this.queuedSends() === 0) this.core.endClosingPeriods(now);
    this.dispatchEvents();
    // More to send but this turn's budget is used: continue after I/O had its turn.
    if (this.core.hasPendingOutput && !blocked && sent >= this.maxPerTurn) {
      setImmediate(() => this.drive());
    }
    this.armTimer(now);
    if (this.core.connectionCount === 0) {
      if (this.state === 'closing') for (const w of [...this.drainWaiters]) w();
      else if (!this.core.isAccepting) for (const w of [...this.idleWaiters]) w();
    }
  }

  /**
   * Sends one datagram; returns whether the socket is now too backed up to take more (sendBlocked).
   *
   * With the literal lookup above, send() reaches the kernel synchronously, so an empty socket queue
   * afterwards means the kernel has copied the bytes, and the datagram's buffer can be reused. Sends that
   * fail are lost like any UDP datagram and recovered by QUIC (RFC 9002), and counted in sendErrors:
   * node:dgram reports a failed send only to a completion callback (without one it drops even the
   * kernel's synchronous error), so every send has the one shared callback, about 0.15 µs a datagram
   * measured here (a nextTick per send).
   */
  private send(data: Uint8Array, remote: string): boolean {
    if (remote !== this.lastSendRemote) {
      this.lastSendRemote = remote;
      this.lastSendTarget = parseAddress(remote);
    }
    const { address, port } = this.lastSendTarget;
    try {
      this.socket.send(data, port, address, this.onSendComplete);
    } catch (err) {
      // Thrown synchronously only for a closed socket or an invalid address: the datagram is lost, as UDP may.
      this.onSendComplete(err as Error);
      return false;
    }
    this.datagramsSent++;
    const queued = this.queuedSends();
    if (queued === 0) {
      recycleDatagram(data);
      return false;
    }
    return this.blockIfFull(queued);
  }

  private readonly onSendComplete = (err: Error | null): void => {
    if (err === null || err === undefined) return;
    this.sendErrors++;
    this.lastSendError = (err as NodeJS.ErrnoException).code ?? err.name;
  };

  /** Datagrams node:dgram holds for the kernel; 0 once the socket is closed (nothing will go out). */
  private queuedSends(): number {
    try {
      return this.socket.getSendQueueCount();
    } catch {
      return 0; // ERR_SOCKET_DGRAM_NOT_RUNNING
    }
  }

  /**
   * Whether the socket holds maxSendsInFlight queued datagrams (its kernel buffer is full); if so, a short
   * timer looks again and drives the endpoint once the queue has room, so polling resumes by itself.
   */
  private sendBlocked(): boolean {
    return this.blockIfFull(this.queuedSends());
  }

  /** sendBlocked() for a queue length already read. */
  private blockIfFull(queued: number): boolean {
    if (queued < this.maxInFlight) return false;
    if (this.sendRecheck === undefined) {
      this.sendRecheck = setTimeout(() => {
        this.sendRecheck = undefined;
        this.drive();
      }, UDP_ENDPOINT_DEFAULTS.sendQueueRecheckMs);
    }
    return true;
  }

  private dispatchEvents(): void {
    for (let e = this.core.pollEvent(); e !== undefined; e = this.core.pollEvent()) {
      if (e.type === 'incoming') {
        const handle = new QuicConnectionHandle(this, e.connection, { holdPeerStreams: !this.emitEarly });
        e.connection.app = handle;
        if (this.emitEarly) this.announce(handle);
        continue;
      }
      const handle = e.connection.app as QuicConnectionHandle | undefined;
      if (handle === undefined) continue;
      try {
        handle.dispatch(e.event);
        // Server connections reach the application once the handshake is complete (RFC 9001 §4.1.1).
        if (e.event.type === 'handshake-complete' && e.connection.incoming && !this.emitEarly) this.announce(handle);
      } catch (err) {
        // An application listener threw: that is the application's bug, not the peer's; report it
        // like Node reports listener errors, without stalling this endpoint's other connections.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private announce(handle: QuicConnectionHandle): void {
    try {
      this.emit('connection', handle);
      handle.releaseStreams();
    } catch (err) {
      // A throwing 'connection' listener is the application's bug; surface it as Node would.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private armTimer(now: number): void {
    const at = this.core.nextTimeout();
    if (at === this.timerAt) return;
    // A timer already due no later than the new deadline stays: it fires early, handleTimeout() finds
    // nothing due and drive() re-arms it. Most deadline moves are postponements (ACK delay, idle timeout,
    // PTO pushed back by each ACK), and clearTimeout + setTimeout per datagram burst costs more than one
    // spurious wake-up. Without any deadline the timer goes, so an idle endpoint keeps no timer alive.
    if (at !== undefined && this.timer !== undefined && this.timerAt !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = undefined;
      if (this.state === 'closed') return;
      this.core.handleTimeout(clock());
      this.drive();
    }, Math.max(0, Math.ceil(at - now)));
  }

  private shutdown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.receiveFlush !== undefined) clearImmediate(this.receiveFlush);
    this.receiveFlush = undefined;
    if (this.sendRecheck !== undefined) clearTimeout(this.sendRecheck);
    this.sendRecheck = undefined;
    this.woken.clear();
    const leftover: ConnectionCloseInfo = { code: TransportErrorCode.NO_ERROR, application: false, reason: 'endpoint closed', remote: false, cause: 'close' };
    for (const entry of this.core.allConnections()) (entry.app as QuicConnectionHandle | undefined)?.dispatch({ type: 'closed', info: leftover });
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }
}
