// The child side of the IPC protocol (protocol.ts): announce readiness, answer memory queries and stop on
// request. A child whose coordinator has gone away stops too, so none outlives the benchmark.
import type { ChildCommand, ChildHello, ChildMemory, ChildReply } from './protocol.js';

/** A child that takes longer than this to stop is ended anyway. */
const STOP_TIMEOUT_MS = 3000;

export function send(message: ChildHello | ChildReply): void {
  process.send?.(message);
}

/** Heap after two full collections: the first may only finalise objects that the second frees. */
export function measureMemory(connections: number): ChildMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heapUsed: usage.heapUsed, rss: usage.rss, connections };
}

export interface ChildServices {
  /** Connections held open right now (for the memory figures). */
  connections(): number;
  stop(): Promise<void>;
  /** Extra commands (the idle worker's 'open'); return undefined to ignore a command. */
  handle?(cmd: ChildCommand): Promise<ChildReply | undefined>;
}

/** Reports readiness and serves the coordinator's commands until 'stop' or disconnect. */
export function serveControl(ports: Record<string, number>, services: ChildServices): void {
  if (!process.send) {
    process.stderr.write(`ready: ${JSON.stringify(ports)} (no IPC channel: stop with Ctrl-C)\n`);
    return;
  }
  send({ type: 'ready', ports });
  let stopping = false;
  const stopAndExit = async (id?: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await Promise.race([services.stop().catch(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, STOP_TIMEOUT_MS).unref())]);
    } finally {
      if (id !== undefined) send({ id, type: 'stopped' });
      // Exit normally (not by a signal) so that --cpu-prof writes its profile.
      process.disconnect?.();
      process.exit(0);
    }
  };
  process.on('message', (cmd: ChildCommand) => {
    if (cmd.type === 'memory') send({ id: cmd.id, type: 'memory', memory: measureMemory(services.connections()) });
    else if (cmd.type === 'stop') void stopAndExit(cmd.id);
    else if (services.handle) {
      services.handle(cmd).then(
        (reply) => {
          if (reply) send(reply);
        },
        (e: unknown) => send({ id: cmd.id, type: 'opened', opened: 0, errors: [e instanceof Error ? e.message : String(e)] }),
      );
    }
  });
  process.on('disconnect', () => void stopAndExit());
}

/** Tells the coordinator the child could not start, then exits. */
export function reportStartFailure(error: unknown): never {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
