// Runs one scenario against one target: connect subscribers, then publishers; publish through a warm-up;
// count over the measured window in every worker; always tear the clients down, whatever failed.
import { LatencyHistogram } from './histogram.js';
import type { LoadSettings, WorkerSample } from './protocol.js';
import { assignToWorkers, planScenario, type Scenario, type ScenarioName } from './scenarios.js';
import type { Target, TargetName } from './targets.js';
import type { WorkerPool } from './worker-pool.js';

/** Added to the clients' own connect timeout for the whole connect command of a worker. */
const CONNECT_COMMAND_MARGIN_MS = 30_000;
const CONTROL_TIMEOUT_MS = 10_000;
const TEARDOWN_TIMEOUT_MS = 20_000;
/** Connection attempts in progress at once per worker. */
const CONNECT_CONCURRENCY = 100;
const CONNECT_TIMEOUT_MS = 20_000;

export interface ScenarioSettings {
  clients: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  window: number;
  ratePerPublisher: number;
}

export interface LatencySummary {
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  target: TargetName;
  /** PUBLISHes received by all subscribers, per second of the measured window. */
  deliveredPerSec: number;
  /** PUBLISHes written by all publishers per second. */
  sentPerSec: number;
  /** delivered / (sent × subscribers per message): below 1 means the broker dropped or still held messages. */
  deliveryRatio: number | undefined;
  latency: LatencySummary | undefined;
  /** Why the run failed, or what went wrong during it (clients dropped, refused subscriptions). */
  errors: string[];
}

export function loadSettings(port: number, s: Pick<ScenarioSettings, 'payloadBytes' | 'window' | 'ratePerPublisher'>, connectConcurrency = CONNECT_CONCURRENCY): LoadSettings {
  return {
    host: '127.0.0.1',
    port,
    payloadBytes: s.payloadBytes,
    window: s.window,
    ratePerPublisher: s.ratePerPublisher,
    connectConcurrency,
    keepaliveSeconds: 0,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function indicesOf(lists: unknown[][]): number[] {
  return lists.flatMap((list, i) => (list.length > 0 ? [i] : []));
}

/** Which side of a scenario runs: both, or one alone (how the generator's ceiling is measured). */
export type Sides = 'both' | 'publishers' | 'subscribers';

export async function runScenario(
  pool: WorkerPool,
  target: Target,
  scenario: Scenario,
  settings: ScenarioSettings,
  tag: string,
  sides: Sides = 'both',
): Promise<ScenarioResult> {
  const full = planScenario(scenario, settings.clients, tag);
  const plan = {
    ...full,
    subscribers: sides === 'publishers' ? [] : full.subscribers,
    publishers: sides === 'subscribers' ? [] : full.publishers,
  };
  const { subscribers, publishers } = assignToWorkers(plan, pool.size);
  const subscriberWorkers = indicesOf(subscribers);
  const publisherWorkers = indicesOf(publishers);
  const load = loadSettings(target.port, settings);
  const connectTimeout = load.connectTimeoutMs + CONNECT_COMMAND_MARGIN_MS;
  const empty = { scenario: scenario.name, target: target.name, deliveredPerSec: 0, sentPerSec: 0, deliveryRatio: undefined, latency: undefined };
  let samples: WorkerSample[];
  try {
    // Subscriptions first: a message published before they exist would be lost by design, not by the broker.
    await Promise.all(subscriberWorkers.map((i) => pool.request(i, { type: 'connect', settings: load, clients: subscribers[i]! }, connectTimeout)));
    await Promise.all(publisherWorkers.map((i) => pool.request(i, { type: 'connect', settings: load, clients: publishers[i]! }, connectTimeout)));
    await pool.broadcast({ type: 'start' }, CONTROL_TIMEOUT_MS, publisherWorkers);
    await sleep(settings.warmupMs);
    await pool.broadcast({ type: 'measure' }, CONTROL_TIMEOUT_MS);
    await sleep(settings.durationMs);
    const replies = await pool.broadcast({ type: 'collect' }, CONTROL_TIMEOUT_MS);
    samples = replies.map((r) => r.sample).filter((s): s is WorkerSample => s !== undefined);
  } catch (e) {
    return { ...empty, errors: [e instanceof Error ? e.message : String(e)] };
  } finally {
    // Publishers first, so subscribers still acknowledge what is already on its way.
    await pool.broadcast({ type: 'teardown' }, TEARDOWN_TIMEOUT_MS, publisherWorkers).catch(() => undefined);
    await pool.broadcast({ type: 'teardown' }, TEARDOWN_TIMEOUT_MS).catch(() => undefined);
  }
  return summarize(scenario.name, target.name, samples, plan.deliveriesPerPublish);
}

/** Adds up the workers' samples; each worker's count is divided by the window it measured itself. */
export function summarize(scenario: ScenarioName, target: TargetName, samples: WorkerSample[], deliveriesPerPublish: number): ScenarioResult {
  const histogram = new LatencyHistogram();
  let deliveredPerSec = 0;
  let sentPerSec = 0;
  const errors: string[] = [];
  for (const s of samples) {
    const seconds = s.windowUs / 1e6;
    if (seconds > 0) {
      deliveredPerSec += s.received / seconds;
      sentPerSec += s.sent / seconds;
    }
    histogram.merge(s.histogram);
    errors.push(...s.errors);
  }
  const p50 = histogram.quantile(0.5);
  const p99 = histogram.quantile(0.99);
  return {
    scenario,
    target,
    deliveredPerSec,
    sentPerSec,
    deliveryRatio: sentPerSec > 0 ? deliveredPerSec / (sentPerSec * deliveriesPerPublish) : undefined,
    latency: p50 !== undefined && p99 !== undefined ? { p50Us: p50, p99Us: p99, maxUs: histogram.max } : undefined,
    errors,
  };
}
