// The QUIC benchmark's report: one table per section with each figure's ratio to the TLS-over-TCP
// baseline from the same run, then the targets with pass/fail. Targets are printed, never enforced.
import type { BulkResult } from './bulk.js';
import type { HandshakeResult } from './handshakes.js';
import type { IdleMemoryResult } from './idle-memory.js';
import type { LatencyResult, Qos0Result } from './mqtt-bench.js';

/** Bulk over QUIC at 1200-byte datagrams: at least this share of TLS over TCP. */
export const TARGET_BULK_VS_TLS = 0.4;
/** MQTT QoS 0 small messages over QUIC: at least this share of the TLS listener. */
export const TARGET_QOS0_VS_TLS = 0.8;
/** Full handshakes per second: at least Node TLS 1.3's. */
export const TARGET_HANDSHAKES_VS_TLS = 1;
/** Idle QUIC connections held by one server... */
export const TARGET_IDLE_CONNECTIONS = 10_000;
/** ...at under this much heap each. */
export const TARGET_IDLE_BYTES = 30 * 1024;

export type Verdict = 'pass' | 'fail' | 'not measured';

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  verdict: Verdict;
}

export interface QuicBenchReport {
  startedAt: string;
  durationSeconds: number;
  machine: string;
  /** quicmq's UDP payload sizes as seen on the wire (datagram-probe.ts), per path-MTU setting. */
  datagrams: Array<{ setting: string; largest: number; common: number; receiverPerSenderDatagram: number }>;
  handshakes: HandshakeResult[];
  latency: LatencyResult[];
  bulk: BulkResult[];
  qos0: Qos0Result[];
  idle: IdleMemoryResult[];
  notes: string[];
  targets: TargetCheck[];
}

const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const count = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const kib = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : '-');
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** a / b as "0.42x"; '-' when either is missing or b is zero. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fullRate = (hs: HandshakeResult[], transport: string, concurrency: number, resume = false): number | undefined =>
  hs.find((h) => h.transport === transport && h.concurrency === concurrency && h.resume === resume && h.completed > 0)?.perSecond;

function check(name: string, target: string, measured: string, ok: boolean | undefined): TargetCheck {
  return { name, target, measured, verdict: ok === undefined ? 'not measured' : ok ? 'pass' : 'fail' };
}

export function checkTargets(r: Omit<QuicBenchReport, 'targets'>, concurrency: number): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const c of [1, concurrency]) {
    const q = fullRate(r.handshakes, 'quicmq', c);
    const t = fullRate(r.handshakes, 'tls', c);
    out.push(
      check(
        `full handshakes/s, concurrency ${c}`,
        `quicmq >= ${TARGET_HANDSHAKES_VS_TLS}x Node TLS 1.3`,
        q !== undefined && t !== undefined ? `${fixed(q)} vs ${fixed(t)} (${ratio(q, t)})` : 'not measured',
        q !== undefined && t !== undefined ? q >= TARGET_HANDSHAKES_VS_TLS * t : undefined,
      ),
    );
    if (c === concurrency) break;
  }
  const ok = <T extends { error?: string }>(rows: T[], transport: string, key: 'transport'): T | undefined =>
    rows.find((x) => (x as unknown as Record<string, string>)[key] === transport && x.error === undefined);
  // The target is about the protected transport: the row without 1-RTT crypto is shown, never compared.
  const bq = r.bulk.find((b) => b.transport === 'quicmq' && b.label.includes('1200') && !b.label.includes('no 1-RTT crypto') && b.error === undefined)?.mbPerSecond;
  const bt = ok(r.bulk, 'tls', 'transport')?.mbPerSecond;
  out.push(
    check(
      'bulk, one stream, 1200-byte datagrams',
      `quicmq >= ${TARGET_BULK_VS_TLS}x TLS over TCP`,
      bq !== undefined && bt !== undefined ? `${fixed(bq)} vs ${fixed(bt)} MB/s (${ratio(bq, bt)})` : 'not measured',
      bq !== undefined && bt !== undefined ? bq >= TARGET_BULK_VS_TLS * bt : undefined,
    ),
  );
  const mq = ok(r.qos0, 'mqtt-quic', 'transport')?.deliveredPerSecond;
  const mt = ok(r.qos0, 'mqtt-tls', 'transport')?.deliveredPerSecond;
  out.push(
    check(
      'MQTT QoS 0 small messages delivered/s',
      `QUIC >= ${TARGET_QOS0_VS_TLS}x the TLS listener`,
      mq !== undefined && mt !== undefined ? `${count(mq)} vs ${count(mt)} (${ratio(mq, mt)})` : 'not measured',
      mq !== undefined && mt !== undefined ? mq >= TARGET_QOS0_VS_TLS * mt : undefined,
    ),
  );
  const idle = r.idle.find((x) => x.transport === 'quicmq');
  out.push(
    check(
      'idle QUIC connections held by one QuicServer',
      `>= ${count(TARGET_IDLE_CONNECTIONS)}`,
      idle ? `${count(idle.held)} (of ${count(idle.requested)} requested)` : 'not measured',
      idle ? idle.held >= TARGET_IDLE_CONNECTIONS : undefined,
    ),
  );
  out.push(
    check(
      'heap per idle QUIC connection',
      `< ${kib(TARGET_IDLE_BYTES)}`,
      idle && idle.held > 0 ? `${kib(idle.bytesPerConnection)} (over ${count(idle.held)})` : 'not measured',
      idle && idle.held > 0 ? idle.bytesPerConnection < TARGET_IDLE_BYTES : undefined,
    ),
  );
  return out;
}

function handshakeSection(hs: HandshakeResult[]): string {
  const rows = hs.map((h) => {
    const base = fullRate(hs, 'tls', h.concurrency, h.resume);
    return [h.transport, h.resume ? 'resumed' : 'full', String(h.concurrency), fixed(h.perSecond), count(h.completed), count(h.failed + h.notResumed), ratio(h.perSecond, base)];
  });
  return table(['transport', 'handshake', 'concurrency', 'handshakes/s', 'completed', 'failed', 'vs TLS'], rows);
}

function latencySection(ls: LatencyResult[]): string {
  // Each row against Node TLS in the same mode: full handshakes against full, resumed against resumed.
  const tls = (mode: LatencyResult['mode']) => ls.find((l) => l.transport === 'mqtt-tls' && l.mode === mode);
  const handshake = (l: LatencyResult): string => (l.mode === 'full' ? 'full' : l.transport === 'mqtt-quic' ? 'resumed, 0-RTT' : 'resumed');
  return table(
    ['transport', 'handshake', 'connections', 'p50 ms', 'p99 ms', 'failed', 'not resumed', 'p50 vs TLS'],
    ls.map((l) => [l.transport, handshake(l), count(l.samples), fixed(l.p50Ms, 2), fixed(l.p99Ms, 2), count(l.failed), l.mode === 'full' ? '-' : count(l.notResumed), ratio(l.p50Ms, tls(l.mode)?.p50Ms)]),
  );
}

function bulkSection(bs: BulkResult[]): string {
  const tls = bs.find((b) => b.transport === 'tls' && b.error === undefined);
  return table(
    ['transport', 'MB sent', 'seconds', 'MB/s', 'vs TLS'],
    bs.map((b) => [
      b.label,
      `${fixed(b.sent / 1e6, 1)}${b.timeBounded ? ' (time bound)' : ''}`,
      fixed(b.elapsedMs / 1000, 2),
      b.error ? 'error' : fixed(b.mbPerSecond, 2),
      b.error ? '-' : ratio(b.mbPerSecond, tls?.mbPerSecond),
    ]),
  );
}

function qos0Section(qs: Qos0Result[]): string {
  const tls = qs.find((q) => q.transport === 'mqtt-tls' && q.error === undefined);
  return table(
    ['transport', 'sent', 'delivered', 'sent/s', 'delivered/s', 'deliv%', 'vs TLS'],
    qs.map((q) => [
      q.transport,
      count(q.sent),
      count(q.received),
      count(q.sentPerSecond),
      q.error ? 'error' : count(q.deliveredPerSecond),
      q.sent > 0 ? fixed((100 * q.received) / q.sent, 1) : '-',
      q.error ? '-' : ratio(q.deliveredPerSecond, tls?.deliveredPerSecond),
    ]),
  );
}

function idleSection(is: IdleMemoryResult[]): string {
  const tls = is.find((i) => i.transport === 'tls' && i.held > 0);
  return table(
    ['transport', 'requested', 'held', 'open s', 'heap 0 conns', 'heap N conns', 'heap/conn', 'vs TLS'],
    is.map((i) => [i.transport, count(i.requested), count(i.held), fixed(i.openSeconds, 1), mib(i.heapBefore), mib(i.heapAfter), kib(i.bytesPerConnection), ratio(i.bytesPerConnection, tls?.bytesPerConnection)]),
  );
}

function errorsOf(label: string, rows: Array<{ transport: string; errors?: string[]; error?: string }>): string[] {
  const out: string[] = [];
  for (const r of rows) {
    for (const e of [...(r.errors ?? []), ...(r.error ? [r.error] : [])]) out.push(`  ${label} ${r.transport}: ${e}`);
  }
  return out;
}

export function formatReport(r: QuicBenchReport): string {
  const parts: string[] = [];
  parts.push(`QUIC benchmark  ${r.startedAt}  ${r.durationSeconds.toFixed(0)} s  ${r.machine}`);
  for (const d of r.datagrams) {
    parts.push(`quicmq datagrams on the wire, ${d.setting}: most ${d.common} bytes, largest ${d.largest} bytes; receiver sent ${fixed(d.receiverPerSenderDatagram, 2)} per sender datagram`);
  }
  if (r.handshakes.length) parts.push(`\n1. Handshakes per second (connect to handshake complete, then close)\n${handshakeSection(r.handshakes)}`);
  if (r.latency.length) parts.push(`\n2. MQTT connect-to-CONNACK latency, fresh connections, one broker\n${latencySection(r.latency)}`);
  if (r.bulk.length) parts.push(`\n3. One-stream bulk throughput (MB = 10^6 bytes)\n${bulkSection(r.bulk)}`);
  if (r.qos0.length) parts.push(`\n4. MQTT QoS 0 small messages, 1 publisher -> 1 subscriber, one broker\n${qos0Section(r.qos0)}`);
  if (r.idle.length) parts.push(`\n5. Heap per idle connection (server process, after full GCs; handshake done, nothing sent)\n${idleSection(r.idle)}`);
  const errors = [
    ...errorsOf('handshakes', r.handshakes),
    ...errorsOf('latency', r.latency),
    ...errorsOf('bulk', r.bulk),
    ...errorsOf('qos0', r.qos0),
    ...errorsOf('idle', r.idle),
  ];
  if (errors.length) parts.push(`\nErrors\n${errors.join('\n')}`);
  if (r.notes.length) parts.push(`\nNotes\n${r.notes.map((n) => `  - ${n}`).join('\n')}`);
  parts.push(
    `\nTargets (printed, not enforced)\n${table(
      ['target', 'wanted', 'measured', 'result'],
      r.targets.map((t) => [t.name, t.target, t.measured, t.verdict.toUpperCase()]),
    )}`,
  );
  return `${parts.join('\n')}\n`;
}
