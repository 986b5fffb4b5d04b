// How tests run the `quicmq` CLI as a subprocess: the compiled dist/src/cli/main.js when the test itself
// runs from dist/ (npm test), else src/cli/main.ts through tsx (the fast development loop).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const runningFromDist = fileURLToPath(import.meta.url).includes(`${join(repoRoot, 'dist')}`);

/** argv (after the node binary) that runs `quicmq <args>`. */
export function quicmqArgv(args: string[]): string[] {
  return runningFromDist
    ? [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ...args]
    : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...args];
}

/** Spawns `quicmq <args>` with the current Node binary. */
export function spawnQuicmq(args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, quicmqArgv(args), { cwd: repoRoot, ...opts });
}

/** Runs `quicmq <args>` to completion (bounded by timeoutMs) and returns its exit code and output. */
export function runQuicmq(
  args: string[],
  opts: SpawnOptions & { input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnQuicmq(args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
  });
}
