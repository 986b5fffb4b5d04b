// The coordinator's side of a child process: fork a module of bench/quic/ (as .ts through tsx or as the
// compiled .js, whichever the coordinator itself is), wait for its 'ready', send commands with bounded
// waits, stop it. Every wait here has a timeout, so a hung child cannot hang the benchmark.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitForExit } from '../broker/processes.js';
import type { ChildCommand, ChildHello, ChildMemory, ChildReply } from './protocol.js';

const ownExtension = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
/** tsx compiles a child on start; on a loaded machine that can take a while. */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export class ChildError extends Error {
  override readonly name = 'ChildError';
  constructor(
    readonly code: 'CHILD_START_FAILED' | 'CHILD_TIMEOUT' | 'CHILD_EXITED',
    message: string,
  ) {
    super(message);
  }
}

type CommandBody = ChildCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export class Child {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: ChildReply) => void>();

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    readonly ports: Record<string, number>,
  ) {
    process.on('message', (m: ChildReply) => {
      const resolve = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      resolve?.(m);
    });
  }

  /** Forks bench/quic/<module> with --expose-gc plus `nodeFlags`, and waits until it is ready. */
  static async start(name: string, module: string, args: string[] = [], nodeFlags: string[] = []): Promise<Child> {
    const path = fileURLToPath(new URL(`./${module}${ownExtension}`, import.meta.url));
    const child = fork(path, args, {
      execArgv: [...process.execArgv, '--expose-gc', ...nodeFlags],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      const hello = await new Promise<ChildHello>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ChildError('CHILD_TIMEOUT', `${name}: not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        child.once('message', (m: ChildHello) => {
          clearTimeout(timer);
          resolve(m);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new ChildError('CHILD_EXITED', `${name}: exited before it was ready (${signal ?? `code ${code}`})`));
        });
      });
      if (hello.type === 'failed') throw new ChildError('CHILD_START_FAILED', `${name}: ${hello.error}`);
      return new Child(name, child, hello.ports);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  port(listener: string): number {
    const p = this.ports[listener];
    if (p === undefined) throw new ChildError('CHILD_START_FAILED', `${this.name}: no listener named ${listener}`);
    return p;
  }

  /** Sends a command and waits (at most timeoutMs) for its reply. */
  request(body: CommandBody, timeoutMs: number): Promise<ChildReply> {
    if (!this.alive()) return Promise.reject(new ChildError('CHILD_EXITED', `${this.name}: process has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ChildError('CHILD_TIMEOUT', `${this.name}: no answer to '${body.type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.process.send({ ...body, id } as ChildCommand);
    });
  }

  async memory(timeoutMs = 30_000): Promise<ChildMemory> {
    const reply = await this.request({ type: 'memory' }, timeoutMs);
    if (reply.type !== 'memory') throw new ChildError('CHILD_EXITED', `${this.name}: unexpected reply ${reply.type}`);
    return reply.memory;
  }

  /** Asks the child to stop and waits for it to exit (SIGKILL after a bounded wait). */
  async stop(): Promise<void> {
    if (!this.alive()) return;
    await this.request({ type: 'stop' }, STOP_TIMEOUT_MS).catch(() => undefined);
    await waitForExit(this.process, STOP_TIMEOUT_MS);
  }
}
