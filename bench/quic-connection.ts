// QuicConnection throughput without a network: a client and a server connection wired back to back in
// memory, every datagram from poll() handed straight to the peer's receive(). What remains is the
// connection's own cost per packet and per frame (packet building, AEAD, ACK processing, streams), which
// is what limits us on 127.0.0.1 (DESIGN.md, "Performance notes").
//
//   node --import tsx bench/quic-connection.ts [bulkMB] [messages] [pmtuMaxDatagramSize]
//   node --cpu-prof --cpu-prof-dir=test-output/prof --import tsx bench/quic-connection.ts
//
// Two workloads: one-stream bulk transfer (MB/s) and MQTT-like small writes (64-byte writes on one
// stream, many per packet; messages/s). The baseline, measured in the same run, is the bare AEAD seal +
// open of a packet of the datagram size the connection used: the ratio says how much of the per-packet
// budget the connection spends beyond packet protection.
//
// Rates are per second of this process's CPU time (user + system), not wall time: the machines are
// shared, and CPU time is what the connection costs. The connections' clock is real elapsed time, except that when neither side has anything to send the clock
// jumps to the next timer (ACK delay, pacing), so the run measures CPU, not waiting.
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIPHER_SUITES, derivePacketProtectionKeys } from '../src/quic/crypto/keys.js';
import { createPacketProtector, protectPacket, unprotectPacket } from '../src/quic/crypto/packet-protection.js';
import { QuicConnection } from '../src/quic/connection/connection.js';
import type { ConnectionLimits } from '../src/quic/connection/options.js';
import { BufferWriter } from '../src/quic/wire/buffer.js';
import { writeShortHeader } from '../src/quic/wire/header.js';
import { ensureTestCerts } from '../test/helpers/certs.js';

const BULK_BYTES = Number(process.argv[2] ?? 32) * 1024 * 1024;
const MESSAGES = Number(process.argv[3] ?? 200_000);
const MAX_DATAGRAM = Number(process.argv[4] ?? 65527);
const MESSAGE_SIZE = 64;
const WRITE_CHUNK = 64 * 1024;
/** Upper bound on driver iterations: a stalled connection ends the run instead of spinning. */
const MAX_ROUNDS = 10_000_000;

const certs = ensureTestCerts();
const pem = (name: string): string => readFileSync(join(certs, name), 'utf8');
const CLIENT = { local: '127.0.0.1:5000', remote: '127.0.0.1:4433' };
const SERVER = { local: '127.0.0.1:4433', remote: '127.0.0.1:5000' };

class Clock {
  private offset = 0;
  private readonly start = performance.now();
  now(): number {
    return performance.now() - this.start + this.offset;
  }
  /** Skips idle time up to `t`. */
  advanceTo(t: number): void {
    const n = this.now();
    if (t > n) this.offset += t - n;
  }
}

interface Stats {
  datagrams: number;
  bytes: number;
}

function makePair(clock: Clock, limits: Partial<ConnectionLimits>): { client: QuicConnection; server: QuicConnection; stats: Stats; step: () => boolean } {
  const transport = { initialMaxData: 16 * 1024 * 1024, initialMaxStreamDataBidiRemote: 8 * 1024 * 1024, initialMaxStreamDataBidiLocal: 8 * 1024 * 1024 };
  const client = QuicConnection.client(
    { alpn: ['mqtt'], path: CLIENT, tls: { serverName: 'localhost', ca: [pem('ca.pem')] }, transport, limits },
    clock.now(),
  );
  let server: QuicConnection | undefined;
  const stats: Stats = { datagrams: 0, bytes: 0 };
  const flush = (from: QuicConnection, to: () => QuicConnection, path: typeof CLIENT): boolean => {
    let any = false;
    for (let i = 0; i < 10_000; i++) {
      const d = from.poll(clock.now());
      if (d === undefined) break;
      any = true;
      stats.datagrams++;
      stats.bytes += d.data.length;
      to().receive(d.data, path, clock.now());
    }
    return any;
  };
  const serverConn = (): QuicConnection => {
    server ??= QuicConnection.server(
      { alpn: ['mqtt'], path: SERVER, tls: { certificateChain: pem('server-ecdsa-chain.pem'), privateKey: pem('server-ecdsa-key.pem') }, transport, limits },
      clock.now(),
    );
    return server;
  };
  /** One round: both sides send what they can; when neither can, the clock jumps to the next timer. */
  const step = (): boolean => {
    const a = flush(client, serverConn, SERVER);
    const b = server !== undefined && flush(server, () => client, CLIENT);
    if (a || b) return true;
    const timers = [client.nextTimeout(), server?.nextTimeout()].filter((t): t is number => t !== undefined);
    if (timers.length === 0) return false;
    clock.advanceTo(Math.min(...timers));
    client.handleTimeout(clock.now());
    server?.handleTimeout(clock.now());
    return true;
  };
  for (let i = 0; i < MAX_ROUNDS && !client.handshakeConfirmed; i++) {
    if (!step()) break;
    while (client.pollEvent() !== undefined);
  }
  if (server === undefined || !client.handshakeConfirmed) throw new Error('handshake did not complete');
  while (server.pollEvent() !== undefined);
  return { client, server, stats, step };
}

interface Result {
  seconds: number;
  datagrams: number;
  bytes: number;
}

/** Writes `total` bytes in chunks of `chunk` on one stream and reads them at the server. */
function run(total: number, chunk: number, limits: Partial<ConnectionLimits>): Result {
  const clock = new Clock();
  const { client, server, stats, step } = makePair(clock, limits);
  const sid = client.openStream(true)!;
  const data = new Uint8Array(Math.max(chunk, WRITE_CHUNK)).fill(0x61);
  let written = 0;
  let received = 0;
  let finished = false;
  const pump = (): void => {
    // A bounded number of writes per round, as an application reacting to 'stream-writable' would.
    for (let i = 0; i < 4096 && written < total; i++) {
      const n = client.streamWrite(sid, data.subarray(0, Math.min(chunk, total - written)));
      if (n === 0) return;
      written += n;
    }
    if (written >= total) client.streamFinish(sid);
  };
  stats.datagrams = 0;
  stats.bytes = 0;
  const cpu0 = process.cpuUsage();
  pump();
  for (let round = 0; round < MAX_ROUNDS && !finished; round++) {
    const progressed = step();
    for (let ev = client.pollEvent(); ev !== undefined; ev = client.pollEvent()) {
      if (ev.type === 'stream-writable') pump();
    }
    for (let ev = server.pollEvent(); ev !== undefined; ev = server.pollEvent()) {
      if (ev.type === 'stream-readable') for (let d = server.streamRead(sid); d !== undefined; d = server.streamRead(sid)) received += d.length;
      if (ev.type === 'stream-finished') finished = true;
    }
    if (written < total) pump();
    if (!progressed && !finished) throw new Error(`transfer stalled at ${received}/${total} bytes`);
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (cpu.user + cpu.system) / 1e6;
  if (received !== total) throw new Error(`received ${received} of ${total} bytes`);
  client.close(0);
  server.close(0);
  return { seconds, datagrams: stats.datagrams, bytes: stats.bytes };
}

/** Baseline: AEAD seal + open of one packet of `size` bytes, per second (the irreducible per-packet cost). */
function sealOpenRate(size: number, packets: number): number {
  const suite = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;
  const keys = derivePacketProtectionKeys(suite, Buffer.alloc(32, 9));
  const tx = createPacketProtector(keys);
  const rx = createPacketProtector(keys);
  const buf = new Uint8Array(size);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const cpu0 = process.cpuUsage();
    for (let pn = 1; pn <= packets; pn++) {
      const w = new BufferWriter(buf);
      const pnOffset = writeShortHeader(w, { dcid: Buffer.alloc(8, 1), keyPhase: 0, packetNumber: pn, packetNumberLength: 4 });
      const end = protectPacket(tx, buf, 0, pnOffset, 4, size - tx.tagLength, pn);
      if (unprotectPacket(rx, buf, 0, pnOffset, end, pn - 1) === null) throw new Error('open failed');
    }
    const cpu = process.cpuUsage(cpu0);
    best = Math.max(best, packets / ((cpu.user + cpu.system) / 1e6));
  }
  return best;
}

function report(name: string, r: Result, unit: string, amount: number): void {
  const avg = r.bytes / r.datagrams;
  const pps = r.datagrams / r.seconds;
  const base = sealOpenRate(Math.round(avg), 3000);
  console.log(
    `${name.padEnd(40)} ${(amount / r.seconds).toFixed(1).padStart(10)} ${unit.padEnd(6)} ${r.datagrams.toString().padStart(8)} datagrams ` +
      `(avg ${avg.toFixed(0)} B, ${pps.toFixed(0)}/s)  baseline seal+open ${base.toFixed(0)}/s  ratio ${(pps / base).toFixed(2)}`,
  );
}

console.log(`QuicConnection back to back in memory (Node ${process.version}); datagrams counted in both directions`);
// Warm-up (not reported): lets the JIT compile the hot paths before anything is measured.
run(2 * 1024 * 1024, WRITE_CHUNK, {});
run(20_000 * MESSAGE_SIZE, MESSAGE_SIZE, {});
// Three paths: no PMTU discovery (1200-byte datagrams), discovery up to the IPv4/Ethernet default (1452),
// and up to the configured maximum (default 65527, what loopback carries).
const configs: Array<{ name: string; limits: Partial<ConnectionLimits> }> = [
  { name: '1200 B, no PMTUD', limits: { pmtuDiscovery: false } },
  { name: 'PMTUD to 1452 B', limits: { pmtuMaxDatagramSize: 1452 } },
  { name: `PMTUD to ${MAX_DATAGRAM} B`, limits: { pmtuMaxDatagramSize: MAX_DATAGRAM } },
];
for (const { name, limits } of configs) {
  const bulk = run(BULK_BYTES, WRITE_CHUNK, limits);
  report(`bulk 1 stream, ${name}`, bulk, 'MB/s', BULK_BYTES / (1024 * 1024));
  const small = run(MESSAGES * MESSAGE_SIZE, MESSAGE_SIZE, limits);
  report(`${MESSAGE_SIZE} B writes, ${name}`, small, 'msg/s', MESSAGES);
}
