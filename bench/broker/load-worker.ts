// A load-generator process: holds a share of the benchmark's clients and drives them on the coordinator's
// commands (connect, start, measure, collect, teardown) over the IPC channel. Several of these run at once
// so that the load generator is never one event loop; each broker under test runs in yet another process.
import { BenchClient } from './bench-client.js';
import { LoadStats } from './load-stats.js';
import { monotonicMicros } from './packets.js';
import type { ClientSpec, LoadSettings, WorkerCommand, WorkerReply } from './protocol.js';

if (!process.send) {
  process.stderr.write('load-worker.ts is started by bench/broker/run.ts over IPC, not by hand\n');
  process.exit(2);
}
const send = (reply: WorkerReply): void => {
  process.send?.(reply);
};

const stats = new LoadStats();
let clients: BenchClient[] = [];
let windowStartUs = monotonicMicros();

/** Opens the clients, at most `concurrency` attempts at a time; on any failure closes all and rethrows. */
async function connectAll(settings: LoadSettings, specs: ClientSpec[]): Promise<number> {
  const opened: BenchClient[] = [];
  let next = 0;
  let failure: Error | undefined;
  const lane = async (): Promise<void> => {
    while (next < specs.length && !failure) {
      const client = new BenchClient(specs[next++]!, settings, stats);
      try {
        await client.open();
        opened.push(client);
      } catch (e) {
        failure ??= e as Error;
      }
    }
  };
  const lanes = Math.max(1, Math.min(settings.connectConcurrency, specs.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (failure) {
    await Promise.all(opened.map((c) => c.close()));
    throw failure;
  }
  clients.push(...opened);
  return opened.length;
}

async function teardown(): Promise<void> {
  const closing = clients;
  clients = [];
  for (const c of closing) c.stopPublishing();
  await Promise.all(closing.map((c) => c.close()));
  stats.reset();
  stats.clearErrors();
}

async function handle(cmd: WorkerCommand): Promise<WorkerReply> {
  switch (cmd.type) {
    case 'connect':
      return { id: cmd.id, ok: true, connected: await connectAll(cmd.settings, cmd.clients) };
    case 'start':
      for (const c of clients) c.startPublishing();
      return { id: cmd.id, ok: true };
    case 'measure':
      stats.reset();
      windowStartUs = monotonicMicros();
      return { id: cmd.id, ok: true };
    case 'collect':
      return { id: cmd.id, ok: true, sample: { windowUs: monotonicMicros() - windowStartUs, ...stats.snapshot() } };
    case 'teardown':
      await teardown();
      return { id: cmd.id, ok: true };
  }
}

process.on('message', (cmd: WorkerCommand) => {
  handle(cmd).then(send, (e: unknown) => send({ id: cmd.id, ok: false, error: e instanceof Error ? e.message : String(e) }));
});
// The coordinator is gone (finished or crashed): nothing left to do here.
process.on('disconnect', () => process.exit(0));
