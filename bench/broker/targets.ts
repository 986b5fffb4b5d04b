// The systems under test, each in its own process: quicmq and aedes (Node, started with --expose-gc so
// their heap can be measured after full collections), Debian's mosquitto (C, measured by RSS) and the
// sink that gives the load generator's ceiling. All listen on 127.0.0.1 on a port the OS chose.
import type { ChildProcess } from 'node:child_process';
import { forkBenchModule, processMemory, waitForExit } from './processes.js';
import type { ServerCommand, ServerHello, ServerMemory, ServerReply } from './protocol.js';
import { mosquittoAvailable, startMosquitto } from '../../test/helpers/mosquitto.js';

export const TARGET_NAMES = ['sink', 'quicmq', 'aedes', 'mosquitto'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
export const BROKER_NAMES = ['quicmq', 'aedes', 'mosquitto'] as const;
export type BrokerName = (typeof BROKER_NAMES)[number];

/** A Node broker (tsx compiles it first) may take this long to listen on a loaded machine. */
const START_TIMEOUT_MS = 60_000;
const MEMORY_QUERY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface TargetMemory {
  rss: number;
  /** Highest RSS since the process started (VmHWM). */
  peakRss: number;
  /** V8 heap in use after full garbage collections; Node targets only. */
  heapUsed?: number;
}

export interface Target {
  readonly name: TargetName;
  readonly port: number;
  readonly pid: number;
  /** False once the process has exited (crashed or stopped). */
  alive(): boolean;
  memory(): Promise<TargetMemory | undefined>;
  stop(): Promise<void>;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    readonly code: 'TARGET_START_FAILED' | 'TARGET_UNAVAILABLE' | 'TARGET_TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

export interface TargetOptions {
  payloadBytes: number;
  /** Write a V8 CPU profile of the quicmq broker process into this directory. */
  cpuProfileDir?: string;
}

export function targetAvailable(name: TargetName): boolean {
  return name !== 'mosquitto' || mosquittoAvailable();
}

export async function startTarget(name: TargetName, opts: TargetOptions): Promise<Target> {
  switch (name) {
    case 'mosquitto':
      return startMosquittoTarget();
    case 'sink':
      return startNodeTarget(name, 'servers/sink-server', [String(opts.payloadBytes)], []);
    case 'quicmq':
      return startNodeTarget(name, 'servers/quicmq-server', [], opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []);
    case 'aedes':
      return startNodeTarget(name, 'servers/aedes-server', [], []);
  }
}

async function startMosquittoTarget(): Promise<Target> {
  if (!mosquittoAvailable()) throw new TargetError('TARGET_UNAVAILABLE', 'mosquitto is not installed (/usr/sbin/mosquitto)');
  // One line per connection would cost mosquitto time and fill the log during the 10,000-client test.
  const broker = await startMosquitto({ extraConfig: ['connection_messages false'] });
  return {
    name: 'mosquitto',
    port: broker.port,
    pid: broker.pid,
    alive: () => processAlive(broker.pid),
    memory: async () => processMemory(broker.pid),
    stop: () => broker.stop(),
  };
}

async function startNodeTarget(name: TargetName, module: string, args: string[], flags: string[]): Promise<Target> {
  const child = forkBenchModule(module, args, ['--expose-gc', ...flags]);
  let port: number;
  try {
    port = await waitForHello(name, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let nextId = 1;
  const pending = new Map<number, (reply: ServerReply) => void>();
  child.on('message', (reply: ServerReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const ask = (type: ServerCommand['type'], timeoutMs: number): Promise<ServerReply | undefined> =>
    new Promise((resolve) => {
      if (!child.connected) return resolve(undefined);
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send({ id, type } satisfies ServerCommand);
    });
  let stopped: Promise<void> | undefined;
  return {
    name,
    port,
    pid: child.pid ?? 0,
    alive: () => child.exitCode === null && child.signalCode === null,
    async memory(): Promise<TargetMemory | undefined> {
      const reply = await ask('memory', MEMORY_QUERY_TIMEOUT_MS);
      const outside = processMemory(child.pid ?? 0);
      const inside: ServerMemory | undefined = reply?.type === 'memory' ? reply.memory : undefined;
      if (!outside && !inside) return undefined;
      return { rss: outside?.rss ?? inside?.rss ?? 0, peakRss: outside?.peakRss ?? 0, ...(inside ? { heapUsed: inside.heapUsed } : {}) };
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        await ask('stop', STOP_TIMEOUT_MS);
        await waitForExit(child, STOP_TIMEOUT_MS);
      })();
      return stopped;
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch {
    return false;
  }
}

function waitForHello(name: TargetName, child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new TargetError('TARGET_TIMEOUT', `${name} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onMessage = (hello: ServerHello): void => {
      if (hello.type === 'ready') done(undefined, hello.port);
      else done(new TargetError('TARGET_START_FAILED', `${name} failed to start: ${hello.error}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      done(new TargetError('TARGET_START_FAILED', `${name} exited at start (${signal ?? code})`));
    function done(error: Error | undefined, port = 0): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(port);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
