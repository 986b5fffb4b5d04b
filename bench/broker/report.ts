// Turns the measurements into the printed report: the results table (with the generator's ceiling), the
// quicmq/aedes and quicmq/mosquitto ratios, memory, and the targets with pass/fail text. Targets are
// information for the reader; they never change the exit code.
import type { IdleMemoryResult } from './idle-memory.js';
import type { ScenarioResult } from './scenario-runner.js';
import type { ScenarioName } from './scenarios.js';
import type { TargetName } from './targets.js';

/** quicmq must deliver at least this multiple of aedes's throughput... */
export const TARGET_VS_AEDES = 1.5;
/** ...and at least this multiple of mosquitto's. */
export const TARGET_VS_MOSQUITTO = 0.5;
/** quicmq's heap after the throughput scenarios (all clients gone, after GC) may exceed the heap before by this much. */
export const RETAINED_HEAP_LIMIT_BYTES = 16 * 1024 * 1024;
/** A broker delivering at least this share of the generator's ceiling may be limited by the generator. */
export const NEAR_CEILING_SHARE = 0.8;

export interface TargetHeap {
  target: TargetName;
  heapBefore: number | undefined;
  heapAfter: number | undefined;
  peakRss: number | undefined;
}

export interface RatioRow {
  scenario: ScenarioName;
  vsAedes: number | undefined;
  vsMosquitto: number | undefined;
}

export type Verdict = 'pass' | 'fail' | 'not measured';

export interface TargetCheck {
  target: string;
  verdict: Verdict;
  detail: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string; loadBefore: number[]; loadAfter: number[] };
  settings: Record<string, unknown>;
  /** True when publishers sent as fast as the brokers took messages (no --rate): throughput is comparable. */
  saturated: boolean;
  results: ScenarioResult[];
  ratios: RatioRow[];
  brokerMemory: TargetHeap[];
  idleMemory: IdleMemoryResult[];
  targets: TargetCheck[];
  notes: string[];
}

function find(results: ScenarioResult[], scenario: ScenarioName, target: TargetName): ScenarioResult | undefined {
  return results.find((r) => r.scenario === scenario && r.target === target && r.errors.length === 0 && r.deliveredPerSec > 0);
}

export function computeRatios(results: ScenarioResult[], scenarios: ScenarioName[]): RatioRow[] {
  return scenarios.map((scenario) => {
    const q = find(results, scenario, 'quicmq');
    const ratio = (other: TargetName): number | undefined => {
      const o = find(results, scenario, other);
      return q && o ? q.deliveredPerSec / o.deliveredPerSec : undefined;
    };
    return { scenario, vsAedes: ratio('aedes'), vsMosquitto: ratio('mosquitto') };
  });
}

function geometricMean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

function ratioTarget(rows: RatioRow[], key: 'vsAedes' | 'vsMosquitto', other: string, minimum: number): TargetCheck {
  const measured = rows.filter((r) => r[key] !== undefined);
  const name = `quicmq >= ${minimum}x ${other} throughput`;
  if (measured.length === 0) return { target: name, verdict: 'not measured', detail: `no scenario ran on both quicmq and ${other}` };
  const mean = geometricMean(measured.map((r) => r[key]!))!;
  const failing = measured.filter((r) => r[key]! < minimum).map((r) => `${r.scenario} ${r[key]!.toFixed(2)}x`);
  const verdict: Verdict = mean >= minimum && failing.length === 0 ? 'pass' : 'fail';
  const detail = `geometric mean ${mean.toFixed(2)}x over ${measured.length} scenario(s)` + (failing.length > 0 ? `; below target: ${failing.join(', ')}` : '; every scenario meets it');
  return { target: name, verdict, detail };
}

function memoryTarget(heaps: TargetHeap[], idle: IdleMemoryResult[]): TargetCheck {
  const name = 'quicmq bounded memory';
  const q = heaps.find((h) => h.target === 'quicmq');
  const qi = idle.find((m) => m.target === 'quicmq');
  const parts: string[] = [];
  let verdict: Verdict = 'not measured';
  if (q?.heapBefore !== undefined && q.heapAfter !== undefined) {
    const grew = q.heapAfter - q.heapBefore;
    verdict = grew <= RETAINED_HEAP_LIMIT_BYTES ? 'pass' : 'fail';
    parts.push(`heap after the scenarios ${mib(q.heapAfter)} vs ${mib(q.heapBefore)} before (limit +${mib(RETAINED_HEAP_LIMIT_BYTES)})`);
    if (q.peakRss !== undefined) parts.push(`peak RSS under load ${mib(q.peakRss)}`);
  }
  if (qi) {
    if (qi.error || qi.heapPerClient === undefined) {
      verdict = 'fail';
      parts.push(`idle-client test failed: ${qi.error ?? 'no heap figure'}`);
    } else {
      parts.push(`${kib(qi.heapPerClient)} heap per idle client at ${qi.clients} clients`);
      if (verdict === 'not measured') verdict = 'pass';
    }
  }
  return { target: name, verdict, detail: parts.length > 0 ? parts.join('; ') : 'quicmq did not run' };
}

/**
 * @param saturated false when publishers were held to a fixed --rate: every broker then delivers the offered
 * load, so throughput ratios say nothing and the throughput targets are not judged.
 */
export function checkTargets(ratios: RatioRow[], heaps: TargetHeap[], idle: IdleMemoryResult[], saturated = true): TargetCheck[] {
  const unjudged = (minimum: number, other: string): TargetCheck => ({
    target: `quicmq >= ${minimum}x ${other} throughput`,
    verdict: 'not measured',
    detail: 'publishers were held to a fixed --rate, so every broker delivers the offered load',
  });
  return [
    saturated ? ratioTarget(ratios, 'vsAedes', 'aedes', TARGET_VS_AEDES) : unjudged(TARGET_VS_AEDES, 'aedes'),
    saturated ? ratioTarget(ratios, 'vsMosquitto', 'mosquitto', TARGET_VS_MOSQUITTO) : unjudged(TARGET_VS_MOSQUITTO, 'mosquitto'),
    memoryTarget(heaps, idle),
  ];
}

const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (us: number | undefined): string => (us === undefined ? '-' : (us / 1000).toFixed(us < 10_000 ? 2 : 1));
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function resultRows(report: BenchReport): string[][] {
  const rows: string[][] = [];
  for (const r of report.results) {
    const ceiling = report.results.find((c) => c.scenario === r.scenario && c.target === 'sink');
    const nearCeiling =
      r.target !== 'sink' && ceiling && ceiling.deliveredPerSec > 0 && r.deliveredPerSec >= NEAR_CEILING_SHARE * ceiling.deliveredPerSec ? ' *' : '';
    if (r.errors.length > 0 && r.deliveredPerSec === 0) {
      rows.push([r.scenario, r.target === 'sink' ? 'generator ceiling' : r.target, 'error', '', '', '', '', '']);
      continue;
    }
    const sink = r.target === 'sink';
    rows.push([
      r.scenario,
      sink ? 'generator ceiling' : r.target,
      thousands(r.deliveredPerSec) + nearCeiling,
      thousands(r.sentPerSec),
      sink || r.deliveryRatio === undefined ? '-' : `${(r.deliveryRatio * 100).toFixed(1)}%`,
      sink ? '-' : ms(r.latency?.p50Us),
      sink ? '-' : ms(r.latency?.p99Us),
      sink ? '-' : ms(r.latency?.maxUs),
    ]);
  }
  return rows;
}

export function formatReport(report: BenchReport): string {
  const out: string[] = [];
  const saturated = report.saturated;
  const m = report.machine;
  out.push(`quicmq broker benchmark, ${report.startedAt}`);
  out.push(`machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB.toFixed(0)} GiB, Node ${m.node}, ${m.platform}`);
  out.push(`load average before ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${m.loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  out.push(`settings: ${Object.entries(report.settings).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  out.push('');
  out.push('Throughput (messages delivered to subscribers per second) and latency (publish to delivery)');
  out.push(table(['scenario', 'broker', 'delivered/s', 'sent/s', 'deliv%', 'p50 ms', 'p99 ms', 'max ms'], resultRows(report), [false, false, true, true, true, true, true, true]));
  if (report.results.some((r) => r.target === 'sink')) {
    out.push('generator ceiling = the load generator against a sink that routes nothing: sent/s is what the publishers');
    out.push('can send, delivered/s what the subscribers can take in; * marks a result within 80% of that ceiling.');
  }
  out.push('deliv% = delivered / (sent x subscribers per message) in the window: below 100% the broker dropped');
  out.push('messages (queue limits), above 100% it was still delivering a backlog accepted before the window.');
  if (saturated) {
    out.push('Publishers send as fast as the broker reads, so latency is the queueing delay of a saturated broker;');
    out.push('use --rate <msgs/s per publisher> for latency at a fixed load.');
  }
  for (const r of report.results) for (const e of r.errors) out.push(`  ${r.scenario} ${r.target}: ${e}`);
  out.push('');
  out.push(saturated ? 'Ratios (delivered/s)' : 'Ratios (delivered/s; at a fixed --rate they only show that every broker kept up)');
  out.push(
    table(
      ['scenario', 'quicmq/aedes', `>= ${TARGET_VS_AEDES}`, 'quicmq/mosquitto', `>= ${TARGET_VS_MOSQUITTO}`],
      report.ratios.map((r) => [
        r.scenario,
        r.vsAedes === undefined ? '-' : `${r.vsAedes.toFixed(2)}x`,
        r.vsAedes === undefined || !saturated ? '-' : r.vsAedes >= TARGET_VS_AEDES ? 'pass' : 'FAIL',
        r.vsMosquitto === undefined ? '-' : `${r.vsMosquitto.toFixed(2)}x`,
        r.vsMosquitto === undefined || !saturated ? '-' : r.vsMosquitto >= TARGET_VS_MOSQUITTO ? 'pass' : 'FAIL',
      ]),
      [false, true, false, true, false],
    ),
  );
  out.push('');
  out.push('Memory');
  const memRows: string[][] = [];
  for (const h of report.brokerMemory) {
    memRows.push([h.target, 'after the scenarios', h.heapBefore === undefined ? '-' : mib(h.heapBefore), h.heapAfter === undefined ? '-' : mib(h.heapAfter), h.peakRss === undefined ? '-' : mib(h.peakRss)]);
  }
  if (memRows.length > 0) out.push(table(['broker', '', 'heap before', 'heap after (GC)', 'peak RSS'], memRows, [false, false, true, true, true]));
  for (const i of report.idleMemory) {
    if (i.error) out.push(`${i.target}: idle-client test failed: ${i.error}`);
    else {
      const heap = i.heapPerClient === undefined ? '' : `heap ${kib(i.heapPerClient)}/client, `;
      out.push(`${i.target}: ${i.clients} idle MQTT 3.1.1 clients: ${heap}RSS ${i.rssPerClient === undefined ? '-' : kib(i.rssPerClient)}/client`);
    }
  }
  out.push('');
  out.push('Targets (information only; the exit code does not depend on them)');
  for (const t of report.targets) out.push(`  [${t.verdict === 'pass' ? 'PASS' : t.verdict === 'fail' ? 'FAIL' : 'n/a '}] ${t.target}: ${t.detail}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}
