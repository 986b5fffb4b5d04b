// The broker benchmark: QoS 0 and QoS 1 fan-in, fan-out and 1:1 throughput and latency over TCP for quicmq,
// aedes and mosquitto in the same run, next to the load generator's own ceiling, then memory per idle
// client. Every broker and every load generator is a process of its own.
//   node --import tsx bench/broker/run.ts [options]      (or, after the build, node dist/bench/broker/run.js)
// See --help and docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { measureIdleMemory, type IdleMemoryResult } from './idle-memory.js';
import { OptionsError, parseBenchArgs, USAGE, type BenchOptions } from './options.js';
import { openFilesLimit } from './processes.js';
import { checkTargets, computeRatios, formatReport, type BenchReport, type TargetHeap } from './report.js';
import { runScenario, type ScenarioResult, type ScenarioSettings } from './scenario-runner.js';
import { describeScenario, scenarioByName, type Scenario } from './scenarios.js';
import { startTarget, targetAvailable, type Target, type TargetName, type TargetOptions } from './targets.js';
import { WorkerPool } from './worker-pool.js';

/** Pause between runs so a broker still discarding the last run's backlog does not slow the next one. */
const SETTLE_BETWEEN_RUNS_MS = 300;
/** File descriptors kept free for everything that is not a client connection. */
const FD_RESERVE = 256;

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const tag = (): string => randomBytes(3).toString('hex');

async function stopAll(targets: Target[]): Promise<void> {
  await Promise.all(targets.map((t) => t.stop().catch(() => undefined)));
}

/**
 * The load generator against the sink, one side at a time (half the measured time each): publishers alone
 * give the most the generator can send, subscribers alone (flooded by the sink) the most it can take in.
 * Run together, the sink's own work would hide the generator's limit.
 */
async function generatorCeiling(pool: WorkerPool, sink: Target, scenario: Scenario, settings: ScenarioSettings): Promise<ScenarioResult> {
  const half = { ...settings, durationMs: settings.durationMs / 2 };
  const send = await runScenario(pool, sink, scenario, half, tag(), 'publishers');
  const receive = await runScenario(pool, sink, scenario, half, tag(), 'subscribers');
  return {
    ...receive,
    sentPerSec: send.sentPerSec,
    deliveryRatio: undefined,
    errors: [...send.errors, ...receive.errors],
  };
}

/** Starts the targets side by side (their start-up is mostly compiling); a failure becomes a note. */
async function startTargets(names: TargetName[], options: TargetOptions, notes: string[], purpose: string): Promise<Target[]> {
  const settled = await Promise.allSettled(names.map((name) => startTarget(name, options)));
  const started: Target[] = [];
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') started.push(s.value);
    else notes.push(`${names[i]} ${purpose} not measured: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`);
  });
  return started;
}

async function throughput(pool: WorkerPool, opts: BenchOptions, names: TargetName[], notes: string[]): Promise<{ results: ScenarioResult[]; heaps: TargetHeap[] }> {
  const targetOptions: TargetOptions = { payloadBytes: opts.payloadBytes, ...(opts.cpuProfileDir ? { cpuProfileDir: opts.cpuProfileDir } : {}) };
  const results: ScenarioResult[] = [];
  const heaps: TargetHeap[] = [];
  const settings: ScenarioSettings = {
    clients: opts.clients,
    warmupMs: opts.warmupMs,
    durationMs: opts.durationMs,
    payloadBytes: opts.payloadBytes,
    window: opts.window,
    ratePerPublisher: opts.ratePerPublisher,
  };
  const targets = await startTargets(names, targetOptions, notes, 'throughput');
  try {
    const before = new Map<TargetName, number | undefined>();
    for (const t of targets) before.set(t.name, (await t.memory())?.heapUsed);
    const crashed = new Set<TargetName>();
    // Scenario by scenario, each target in turn: a change in machine load hits all of them alike.
    for (const name of opts.scenarios) {
      const scenario = scenarioByName(name);
      progress(`${name}: ${describeScenario(scenario, opts.clients)}`);
      for (let i = 0; i < targets.length; i++) {
        let t = targets[i]!;
        if (!t.alive()) {
          // A broker that died in the previous scenario gets a fresh process, and the crash is reported.
          crashed.add(t.name);
          notes.push(`${t.name} exited during the run before ${name}; restarted (its memory figures after the scenarios do not cover the whole run)`);
          try {
            t = targets[i] = await startTarget(t.name, targetOptions);
          } catch (e) {
            notes.push(`${t.name} could not be restarted: ${e instanceof Error ? e.message : String(e)}`);
            continue;
          }
        }
        const r = t.name === 'sink' ? await generatorCeiling(pool, t, scenario, settings) : await runScenario(pool, t, scenario, settings, tag());
        if (!t.alive()) r.errors.push(`${t.name} exited during this run (see its stderr above)`);
        results.push(r);
        progress(`  ${t.name.padEnd(9)} ${Math.round(r.deliveredPerSec).toLocaleString('en-US').padStart(11)} delivered/s${r.errors.length ? `  (${r.errors[0]})` : ''}`);
        await new Promise((res) => setTimeout(res, SETTLE_BETWEEN_RUNS_MS));
      }
    }
    for (const t of targets) {
      if (t.name === 'sink' || !t.alive()) continue;
      const after = await t.memory();
      heaps.push({ target: t.name, heapBefore: crashed.has(t.name) ? undefined : before.get(t.name), heapAfter: after?.heapUsed, peakRss: after?.peakRss });
    }
  } finally {
    await stopAll(targets);
  }
  return { results, heaps };
}

/** Idle clients the memory test can use within the open-files limit (the broker holds one per client). */
function memoryClientCount(requested: number, notes: string[]): number {
  const limit = openFilesLimit();
  if (limit === undefined || requested + FD_RESERVE <= limit) return requested;
  const fitting = Math.max(0, limit - FD_RESERVE);
  notes.push(`open-files limit is ${limit}: the memory test used ${fitting} clients instead of ${requested} (raise it with \`ulimit -n ${requested + FD_RESERVE}\`)`);
  return fitting;
}

/** Runs the idle-client test on each fresh broker in turn, stopping each when done. */
async function idleMemory(pool: WorkerPool, targets: Target[], clients: number): Promise<IdleMemoryResult[]> {
  const out: IdleMemoryResult[] = [];
  for (const target of targets) {
    progress(`memory: ${clients} idle clients on ${target.name}`);
    try {
      out.push(await measureIdleMemory(pool, target, clients, tag()));
    } finally {
      await target.stop();
    }
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof OptionsError)) throw e;
    process.stderr.write(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg();
  const notes: string[] = [];
  const brokers = opts.brokers.filter((b) => {
    if (targetAvailable(b)) return true;
    notes.push(`${b} is not installed: skipped`);
    return false;
  });
  const names: TargetName[] = [...(opts.ceiling ? (['sink'] as const) : []), ...brokers];
  const pool = WorkerPool.start(opts.workers);
  const memoryClients = memoryClientCount(opts.memoryClients, notes);
  // Fresh brokers for the memory test start now, beside the others, and wait idle until their turn.
  const memoryTargets = memoryClients > 0 ? startTargets(brokers, { payloadBytes: opts.payloadBytes }, notes, 'memory') : Promise.resolve([]);
  let results: ScenarioResult[];
  let heaps: TargetHeap[];
  let idle: IdleMemoryResult[];
  try {
    ({ results, heaps } = await throughput(pool, opts, names, notes));
    idle = await idleMemory(pool, await memoryTargets, memoryClients);
  } finally {
    await stopAll(await memoryTargets);
    await pool.close();
  }
  const ratios = computeRatios(results, opts.scenarios);
  const cpu = cpus();
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      memoryGiB: totalmem() / 2 ** 30,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadBefore,
      loadAfter: loadavg(),
    },
    settings: {
      clients: opts.clients,
      warmup_s: opts.warmupMs / 1000,
      duration_s: opts.durationMs / 1000,
      payload_bytes: opts.payloadBytes,
      qos1_window: opts.window,
      rate_per_publisher: opts.ratePerPublisher === 0 ? 'unlimited' : opts.ratePerPublisher,
      load_workers: opts.workers,
      memory_clients: opts.memoryClients,
    },
    saturated: opts.ratePerPublisher === 0,
    results,
    ratios,
    brokerMemory: heaps,
    idleMemory: idle,
    targets: checkTargets(ratios, heaps, idle, opts.ratePerPublisher === 0),
    notes,
  };
  process.stdout.write(formatReport(report));
  if (opts.jsonFile) {
    // Float64Array histograms are not part of the results, so JSON.stringify sees plain data only.
    writeFileSync(opts.jsonFile, JSON.stringify(report, null, 2) + '\n');
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`broker benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
