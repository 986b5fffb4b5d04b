// Starts the independent QUIC peers used by interop tests: quic-go (built offline from Debian's Go
// sources by test/interop/quic-go/build.sh) and quiche (through the npm package @matrixai/quic, by
// test/interop/quiche/peer.mjs). Both peers share one command line: see their source headers.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { certPath } from './certs.js';

export type PeerKind = 'quic-go' | 'quiche';

const goPeer = join(repoRoot, 'test-output', 'bin', 'quicgo-peer');

/** Builds the quic-go peer when needed (a few seconds the first time). */
export function ensureQuicGoPeer(): string {
  execFileSync('bash', [join(repoRoot, 'test', 'interop', 'quic-go', 'build.sh'), goPeer], { stdio: 'inherit' });
  return goPeer;
}

function command(kind: PeerKind, args: string[]): [string, string[]] {
  if (kind === 'quic-go') {
    // Go's flag package wants -name value; our shared spelling is --name value, which Go also accepts.
    return [ensureQuicGoPeer(), args];
  }
  return [process.execPath, [join(repoRoot, 'test', 'interop', 'quiche', 'peer.mjs'), ...args]];
}

export interface RunningPeer {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts an echo server peer on 127.0.0.1 and resolves with its UDP port. */
export function startPeerServer(
  kind: PeerKind,
  opts: { alpn?: string; cert?: string; key?: string; timeoutMs?: number } = {},
): Promise<RunningPeer> {
  const [cmd, args] = command(kind, [
    '--mode', 'server',
    '--listen', '127.0.0.1:0',
    '--cert', opts.cert ?? certPath('server-ecdsa-chain.pem'),
    '--key', opts.key ?? certPath('server-ecdsa-key.pem'),
    '--alpn', opts.alpn ?? 'mqtt',
    ...(kind === 'quiche' ? ['--timeout', String(opts.timeoutMs ?? 120000)] : []),
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} server did not start: ${err}`));
    }, 20000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          process: child,
          stop: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null || child.signalCode !== null) return res();
              child.once('exit', () => res());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited (${code}): ${err}`));
    });
  });
}

export interface PeerClientResult {
  code: number | null;
  summary: { ok: boolean; errors: string[] | null; handshake_ms: number; total_ms: number } | undefined;
  stderr: string;
}

/** What to print when a peer client failed: exit code, its JSON summary (errors, timings) and stderr. */
export function describePeerRun(r: PeerClientResult): string {
  return `peer client exited ${r.code}; summary ${JSON.stringify(r.summary ?? null)}; stderr: ${r.stderr.trim() || '(empty)'}`;
}

/** Runs a client peer against host:port; it echoes `bytes` on each of `streams` streams. */
export function runPeerClient(
  kind: PeerKind,
  opts: { port: number; host?: string; alpn?: string; ca?: string; insecure?: boolean; bytes?: number; streams?: number; timeoutMs?: number },
): Promise<PeerClientResult> {
  const [cmd, args] = command(kind, [
    '--mode', 'client',
    '--addr', `${opts.host ?? '127.0.0.1'}:${opts.port}`,
    '--alpn', opts.alpn ?? 'mqtt',
    ...(opts.insecure ? ['--insecure'] : ['--ca', opts.ca ?? certPath('ca.pem')]),
    '--bytes', String(opts.bytes ?? 100000),
    '--streams', String(opts.streams ?? 1),
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      let summary: PeerClientResult['summary'];
      try {
        summary = JSON.parse(out.trim().split('\n').pop() ?? '');
      } catch {
        summary = undefined;
      }
      resolve({ code, summary, stderr: err });
    });
  });
}
