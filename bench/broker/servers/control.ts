// The IPC side of a broker process started by the benchmark: announces the port, answers memory queries
// (heap after full garbage collections, which needs --expose-gc) and stops on request. A broker process
// whose coordinator has gone away exits, so none outlives the benchmark.
import type { ServerCommand, ServerHello, ServerMemory, ServerReply } from '../protocol.js';

/** A broker that takes longer than this to stop is left behind: the process exits anyway. */
const STOP_TIMEOUT_MS = 3000;

function send(message: ServerHello | ServerReply): void {
  process.send?.(message);
}

/** Two passes: the first may only finalise objects that the second then frees. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  gc();
}

export function measureMemory(): ServerMemory {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss };
}

/** Reports readiness on `port` and serves the coordinator's commands until 'stop'. */
export function serveControl(port: number, stop: () => Promise<void>): void {
  if (!process.send) {
    process.stderr.write(`listening on 127.0.0.1:${port} (no IPC channel: stop with Ctrl-C)\n`);
    return;
  }
  send({ type: 'ready', port });
  let stopping = false;
  const stopAndExit = async (id?: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await Promise.race([stop(), new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())]);
    } finally {
      if (id !== undefined) send({ id, type: 'stopped' });
      // Exit normally (not by signal) so --cpu-prof gets to write its profile.
      process.disconnect?.();
      process.exit(0);
    }
  };
  process.on('message', (cmd: ServerCommand) => {
    if (cmd.type === 'memory') send({ id: cmd.id, type: 'memory', memory: measureMemory() });
    else if (cmd.type === 'stop') void stopAndExit(cmd.id);
  });
  process.on('disconnect', () => void stopAndExit());
}

/** Tells the coordinator the broker could not start, then exits. */
export function reportStartFailure(error: unknown): never {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
