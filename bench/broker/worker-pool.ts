// The coordinator's handle on its load-generator processes: forks them once per run and sends each
// command with a deadline, so a stuck worker fails the scenario instead of hanging the benchmark.
import type { ChildProcess } from 'node:child_process';
import { forkBenchModule, waitForExit } from './processes.js';
import type { WorkerCommand, WorkerReply } from './protocol.js';

/** How long a worker gets to exit after the pool closes its IPC channel. */
const EXIT_TIMEOUT_MS = 5000;

type Request = WorkerCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;
type Success = Extract<WorkerReply, { ok: true }>;

export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  constructor(
    readonly code: 'WORKER_FAILED' | 'WORKER_TIMEOUT' | 'WORKER_EXITED',
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (reply: Success) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

class LoadWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited = false;

  constructor(
    readonly index: number,
    readonly child: ChildProcess,
  ) {
    child.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      clearTimeout(p.timer);
      if (reply.ok) p.resolve(reply);
      else p.reject(new WorkerError('WORKER_FAILED', `load worker ${index}: ${reply.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new WorkerError('WORKER_EXITED', `load worker ${index} exited (${signal ?? code})`));
      }
      this.pending.clear();
    });
  }

  request(command: Request, timeoutMs: number): Promise<Success> {
    if (this.exited) return Promise.reject(new WorkerError('WORKER_EXITED', `load worker ${this.index} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new WorkerError('WORKER_TIMEOUT', `load worker ${this.index}: no answer to '${command.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ ...command, id } as WorkerCommand);
    });
  }
}

export class WorkerPool {
  private constructor(private readonly workers: LoadWorker[]) {}

  static start(count: number): WorkerPool {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`worker count must be a positive integer, got ${count}`);
    return new WorkerPool(Array.from({ length: count }, (_, i) => new LoadWorker(i, forkBenchModule('load-worker'))));
  }

  get size(): number {
    return this.workers.length;
  }

  request(index: number, command: Request, timeoutMs: number): Promise<Success> {
    const worker = this.workers[index];
    if (!worker) return Promise.reject(new RangeError(`no load worker ${index}`));
    return worker.request(command, timeoutMs);
  }

  /** Sends the same command to the given workers (default all) at once. */
  broadcast(command: Request, timeoutMs: number, indices: number[] = this.workers.map((w) => w.index)): Promise<Success[]> {
    return Promise.all(indices.map((i) => this.request(i, command, timeoutMs)));
  }

  /** Closes the IPC channels (the workers exit on that) and waits for the processes. */
  async close(): Promise<void> {
    for (const w of this.workers) if (w.child.connected) w.child.disconnect();
    await Promise.all(this.workers.map((w) => waitForExit(w.child, EXIT_TIMEOUT_MS)));
  }
}
