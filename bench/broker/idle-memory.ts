// Memory per idle connected client: the broker's footprint with no clients, then with N idle MQTT 3.1.1
// clients connected (spread over the load workers), after full garbage collections for the Node brokers.
import type { WorkerPool } from './worker-pool.js';
import { idleClients } from './scenarios.js';
import { loadSettings } from './scenario-runner.js';
import type { Target, TargetMemory, TargetName } from './targets.js';

/** Time for the broker to finish its per-connection work (timers, session setup) before measuring. */
const SETTLE_BASE_MS = 200;
const SETTLE_PER_CLIENT_MS = 0.08;
/** Connection attempts in progress at once per worker: fast, without a SYN flood against the backlog. */
const CONNECT_CONCURRENCY = 64;
const CONNECT_COMMAND_TIMEOUT_MS = 180_000;
const TEARDOWN_TIMEOUT_MS = 60_000;

export interface IdleMemoryResult {
  target: TargetName;
  clients: number;
  before: TargetMemory | undefined;
  after: TargetMemory | undefined;
  /** (heap with clients - heap without) / clients, Node brokers only. */
  heapPerClient: number | undefined;
  rssPerClient: number | undefined;
  error?: string;
}

export async function measureIdleMemory(pool: WorkerPool, target: Target, clients: number, tag: string): Promise<IdleMemoryResult> {
  const result: IdleMemoryResult = { target: target.name, clients, before: undefined, after: undefined, heapPerClient: undefined, rssPerClient: undefined };
  const specs = idleClients(clients, tag);
  const perWorker = Array.from({ length: pool.size }, (_, w) => specs.filter((_, i) => i % pool.size === w));
  // Idle clients publish nothing; payload, window and rate only have to be valid.
  const settings = loadSettings(target.port, { payloadBytes: 64, window: 1, ratePerPublisher: 0 }, CONNECT_CONCURRENCY);
  try {
    result.before = await target.memory();
    await Promise.all(perWorker.map((list, i) => (list.length > 0 ? pool.request(i, { type: 'connect', settings, clients: list }, CONNECT_COMMAND_TIMEOUT_MS) : undefined)));
    await new Promise((r) => setTimeout(r, SETTLE_BASE_MS + clients * SETTLE_PER_CLIENT_MS));
    result.after = await target.memory();
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await pool.broadcast({ type: 'teardown' }, TEARDOWN_TIMEOUT_MS).catch(() => undefined);
  }
  const { before, after } = result;
  if (before && after && !result.error) {
    if (before.heapUsed !== undefined && after.heapUsed !== undefined) result.heapPerClient = (after.heapUsed - before.heapUsed) / clients;
    result.rssPerClient = (after.rss - before.rss) / clients;
  }
  return result;
}
