// Starting the benchmark's child processes and reading their memory from the outside. Children run the
// same way as the coordinator: from TypeScript through tsx (`node --import tsx bench/broker/run.ts`) or
// compiled (`node dist/bench/broker/run.js`), so a child module is found next to this one with the same
// extension and started with the coordinator's own Node flags.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ownExtension = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';

/** Path of a module in bench/broker/ (e.g. 'load-worker', 'servers/sink-server'). */
export function benchModulePath(name: string): string {
  return fileURLToPath(new URL(`./${name}${ownExtension}`, import.meta.url));
}

/** Forks a bench module with an IPC channel ("advanced" serialization carries typed arrays). */
export function forkBenchModule(name: string, args: string[] = [], extraNodeFlags: string[] = []): ChildProcess {
  return fork(benchModulePath(name), args, {
    execArgv: [...process.execArgv, ...extraNodeFlags],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** Resident and peak resident memory of a process, from /proc (Linux); undefined elsewhere. */
export function processMemory(pid: number): { rss: number; peakRss: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    const rss = kib('VmRSS');
    const peakRss = kib('VmHWM');
    return rss !== undefined && peakRss !== undefined ? { rss, peakRss } : undefined;
  } catch {
    return undefined;
  }
}

/** This process's open-files soft limit (what children inherit), from /proc; undefined when unknown. */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Resolves when the child exits, or after timeoutMs (then SIGKILLs it). */
export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
