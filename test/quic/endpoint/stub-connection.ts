// A scripted QuicConnectionApi for endpoint tests: records what the endpoint feeds it and returns the
// datagrams, events and timers a test queues. No protocol logic.
import { createHash } from 'node:crypto';
import type { ConnectionEvent, ConnectionState, OutgoingDatagram, PathAddress, QuicConnectionApi } from '../../../src/quic/connection/api.js';
import type { ConnectionStats } from '../../../src/quic/connection/connection-stats.js';
import type { TransportParameters } from '../../../src/quic/wire/transport-parameters.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { QUIC_VERSION_1, writeLongHeader, finishLongHeader } from '../../../src/quic/wire/header.js';

export class StubConnection implements QuicConnectionApi {
  state: ConnectionState = 'handshaking';
  readonly received: Array<{ datagram: Uint8Array; path: PathAddress; now: number }> = [];
  readonly outgoing: OutgoingDatagram[] = [];
  readonly events: ConnectionEvent[] = [];
  readonly timeouts: number[] = [];
  readonly closes: Array<{ code: number; reason?: string; application?: boolean }> = [];
  timer: number | undefined;
  throwOnReceive = false;
  peerTransportParameters: TransportParameters | undefined = undefined;
  /** What stats() reports; tests set the fields they look at. */
  statsValue: ConnectionStats = {
    datagramsSent: 0, bytesSent: 0, datagramsReceived: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0,
    packetsLost: 0, probeTimeouts: 0, smoothedRttMs: 333, minRttMs: 0, latestRttMs: 0, rttVarianceMs: 166.5,
    congestionWindow: 12_000, bytesInFlight: 0, pathMtu: 1200, keyUpdates: 0, pathMigrations: 0, handshakeMs: undefined,
  };

  receive(datagram: Uint8Array, path: PathAddress, now: number): void {
    if (this.throwOnReceive) throw new Error('stub receive failure');
    this.received.push({ datagram: Uint8Array.from(datagram), path, now });
  }
  poll(_now: number): OutgoingDatagram | undefined {
    return this.outgoing.shift();
  }
  nextTimeout(): number | undefined {
    return this.timer;
  }
  handleTimeout(now: number): void {
    this.timeouts.push(now);
    this.timer = undefined;
  }
  pollEvent(): ConnectionEvent | undefined {
    return this.events.shift();
  }
  streamSetPriority(_streamId: number, _urgency: number): void {}
  stats(): ConnectionStats {
    return { ...this.statsValue };
  }
  openStream(_bidirectional: boolean): number | undefined {
    return undefined;
  }
  streamWrite(_streamId: number, data: Uint8Array): number {
    return data.length;
  }
  streamRead(_streamId: number, _maxBytes?: number): Uint8Array | undefined {
    return undefined;
  }
  streamFinish(_streamId: number): void {}
  streamReset(_streamId: number, _errorCode: number): void {}
  streamStopSending(_streamId: number, _errorCode: number): void {}
  sendDatagram(): boolean {
    return false;
  }
  close(code: number, reason?: string, application?: boolean): void {
    const c: { code: number; reason?: string; application?: boolean } = { code };
    if (reason !== undefined) c.reason = reason;
    if (application !== undefined) c.application = application;
    this.closes.push(c);
  }
  /** Times endClosingPeriod() was called (the endpoint ends closing periods early when asked to). */
  readonly closingPeriodsEnded: number[] = [];
  endClosingPeriod(now: number): void {
    this.closingPeriodsEnded.push(now);
  }
}

/** Reproducible randomness: SHA-256 of a seed and a counter. */
export function seededRandom(seed = 1): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - i)), i);
    }
    return out;
  };
}

/** A long-header Initial (payload not encrypted: the endpoint never decrypts) padded to `size` bytes. */
export function initialDatagram(o: { dcid: Uint8Array; scid: Uint8Array; token?: Uint8Array; version?: number; size?: number; type?: 'initial' | 'handshake' | '0rtt' }): Uint8Array {
  const size = o.size ?? 1200;
  const buf = new Uint8Array(size);
  const w = new BufferWriter(buf);
  const type = o.type ?? 'initial';
  const h = { type, version: o.version ?? QUIC_VERSION_1, dcid: o.dcid, scid: o.scid, packetNumber: 0, packetNumberLength: 1 as const };
  const layout = writeLongHeader(w, type === 'initial' ? { ...h, token: o.token ?? new Uint8Array(0) } : h, 2);
  w.zeros(size - w.offset - 16);
  finishLongHeader(w, layout, 16);
  return buf;
}

/** A short-header datagram to `dcid`, `size` bytes. */
export function shortDatagram(dcid: Uint8Array, size: number, firstByte = 0x41): Uint8Array {
  const buf = new Uint8Array(size).fill(0x5a);
  buf[0] = firstByte;
  buf.set(dcid.subarray(0, Math.min(dcid.length, size - 1)), 1);
  return buf;
}

export const cid = (hexText: string): Uint8Array => Uint8Array.from(Buffer.from(hexText, 'hex'));
