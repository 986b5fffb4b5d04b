// Heap per idle connection: for each transport a fresh server process (server-process.ts) is measured
// after full GCs with no connection, then with N idle connections made by worker processes
// (idle-worker.ts), and the difference is divided by the connections the server itself counts. Bounded in
// time: when N cannot be reached by the deadline, the figure is for the connections that were made, and
// the result says how many that was.
import { Child } from './child.js';
import type { IdleKind } from './protocol.js';

/** The open command's reply may take until the deadline plus this. */
const OPEN_REPLY_SLACK_MS = 30_000;
/** After the clients are done, the server may still be accepting the last ones: wait this long at most. */
const ACCEPT_WAIT_MS = 5_000;
const ACCEPT_POLL_MS = 100;
const RELEASE_TIMEOUT_MS = 30_000;
const MAX_ERRORS_KEPT = 3;

export interface IdleMemorySettings {
  connections: number;
  workers: number;
  /** Time allowed to open the connections, per transport. */
  openTimeMs: number;
}

export interface IdleMemoryResult {
  transport: IdleKind;
  requested: number;
  /** Connections the server held when its heap was measured. */
  held: number;
  heapBefore: number;
  heapAfter: number;
  bytesPerConnection: number;
  openSeconds: number;
  errors: string[];
}

async function measureOne(kind: IdleKind, server: Child, workers: Child[], s: IdleMemorySettings): Promise<IdleMemoryResult> {
  const result: IdleMemoryResult = { transport: kind, requested: s.connections, held: 0, heapBefore: 0, heapAfter: 0, bytesPerConnection: NaN, openSeconds: 0, errors: [] };
  try {
    result.heapBefore = (await server.memory()).heapUsed;
    const t0 = Date.now();
    const deadlineMs = t0 + s.openTimeMs;
    const replies = await Promise.all(
      workers.map((w, i) => {
        const share = Math.floor(s.connections / workers.length) + (i < s.connections % workers.length ? 1 : 0);
        return w.request({ type: 'open', kind, port: server.port(kind), count: share, deadlineMs }, s.openTimeMs + OPEN_REPLY_SLACK_MS);
      }),
    );
    result.openSeconds = (Date.now() - t0) / 1000;
    let opened = 0;
    for (const r of replies) {
      if (r.type !== 'opened') continue;
      opened += r.opened;
      for (const e of r.errors) if (result.errors.length < MAX_ERRORS_KEPT) result.errors.push(e);
    }
    let after = await server.memory();
    // The clients count a connection when their side is up; the server may accept it a moment later.
    for (let waited = 0; after.connections < opened && waited < ACCEPT_WAIT_MS; waited += ACCEPT_POLL_MS) {
      await new Promise((resolve) => setTimeout(resolve, ACCEPT_POLL_MS));
      after = await server.memory();
    }
    result.heapAfter = after.heapUsed;
    result.held = after.connections;
    if (result.held > 0) result.bytesPerConnection = (result.heapAfter - result.heapBefore) / result.held;
  } catch (e) {
    result.errors.push(e instanceof Error ? e.message : String(e));
  }
  return result;
}

/** Measures each kind in turn; the servers and workers start side by side (their start-up is mostly compiling). */
export async function measureIdleMemory(kinds: IdleKind[], s: IdleMemorySettings, onResult?: (r: IdleMemoryResult) => void): Promise<IdleMemoryResult[]> {
  const workerCount = Math.max(1, Math.min(s.workers, s.connections));
  const started = await Promise.allSettled([
    ...kinds.map((k) => Child.start(`${k} server (idle)`, 'server-process', [k])),
    ...Array.from({ length: workerCount }, (_, i) => Child.start(`idle worker ${i}`, 'idle-worker')),
  ]);
  const children = started.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
  const results: IdleMemoryResult[] = [];
  try {
    const failure = started.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    const workers = started.slice(kinds.length).flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i]!;
      const server = started[i]!;
      let r: IdleMemoryResult;
      if (server.status === 'rejected' || workers.length === 0) {
        const why = server.status === 'rejected' ? server.reason : failure?.reason;
        r = { transport: kind, requested: s.connections, held: 0, heapBefore: 0, heapAfter: 0, bytesPerConnection: NaN, openSeconds: 0, errors: [why instanceof Error ? why.message : String(why)] };
      } else {
        r = await measureOne(kind, server.value, workers, s);
        await Promise.all(workers.map((w) => w.request({ type: 'release' }, RELEASE_TIMEOUT_MS).catch(() => undefined)));
        await server.value.stop();
      }
      results.push(r);
      onResult?.(r);
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
  return results;
}
