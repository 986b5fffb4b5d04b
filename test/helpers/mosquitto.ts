// Starts and stops Debian's mosquitto broker (/usr/sbin/mosquitto) for interop tests.
//
// Each broker gets its own temporary directory, a generated config file and free 127.0.0.1 ports. mosquitto
// cannot report an OS-chosen port (`listener 0` means a unix socket to it), so ports are reserved by binding
// port 0 and releasing it; the tiny race with another process is handled by retrying when mosquitto exits
// at start. "Ready" means mosquitto logged "running", which it does only after every listener is open.
// Every started broker is SIGKILLed when the test process exits, so none outlives a crashed test.
//
// Debian's build (2.0.11) has no libwebsockets: `protocol websockets` listeners fail to open. Tests that
// need WebSocket use aedes instead; `mosquittoSupportsWebsockets()` checks it rather than assuming.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certPath } from './certs.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD_BIN = '/usr/bin/mosquitto_passwd';
const START_ATTEMPTS = 5;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
const MAX_LOG_CHARS = 200_000;

export interface MosquittoTlsOptions {
  /** Server certificate chain (default: the test PKI's server-ecdsa-chain.pem). */
  certFile?: string;
  keyFile?: string;
  /** CA used to verify client certificates (default: the test PKI's ca.pem). */
  caFile?: string;
  /** Ask for and require a client certificate (mutual TLS). */
  requireCertificate?: boolean;
}

export interface MosquittoOptions {
  /** Plain MQTT listener (default true). */
  tcp?: boolean;
  /** A TLS listener: true for the test PKI defaults. */
  tls?: boolean | MosquittoTlsOptions;
  /** A WebSocket listener; only works when mosquittoSupportsWebsockets() (not on Debian's 2.0.11). */
  websockets?: boolean;
  /** Users for a password file; when given, anonymous clients are refused unless allowAnonymous. */
  users?: Record<string, string>;
  allowAnonymous?: boolean;
  /** Contents of an ACL file (mosquitto.conf(5) "acl_file"). */
  acl?: string;
  /** Extra lines appended to the global section of the config. */
  extraConfig?: string[];
  startTimeoutMs?: number;
}

export interface MosquittoBroker {
  readonly host: '127.0.0.1';
  /** Plain MQTT port (0 when tcp is false). */
  readonly port: number;
  /** TLS port (0 when tls is off). */
  readonly tlsPort: number;
  /** WebSocket port (0 when websockets is off). */
  readonly wsPort: number;
  readonly dir: string;
  readonly pid: number;
  /** Everything mosquitto logged so far (bounded). */
  log(): string;
  /** Terminates the broker (SIGTERM, then SIGKILL if needed) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export function mosquittoAvailable(): boolean {
  return existsSync(MOSQUITTO_BIN);
}

/** Reserves a free 127.0.0.1 port by letting the OS choose one, then releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

function renderConfig(dir: string, opts: MosquittoOptions, ports: { tcp: number; tls: number; ws: number }): string {
  const lines: string[] = [
    'per_listener_settings false',
    'persistence false',
    // stderr, not stdout: stdout is block-buffered on a pipe, so "running" would arrive late.
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
  ];
  // Started as root, mosquitto switches to user "mosquitto", which cannot read the test PKI.
  if (process.getuid?.() === 0) lines.push('user root');
  if (opts.users) {
    const passwordFile = join(dir, 'passwd');
    let first = true;
    for (const [user, password] of Object.entries(opts.users)) {
      execFileSync(MOSQUITTO_PASSWD_BIN, first ? ['-c', '-b', passwordFile, user, password] : ['-b', passwordFile, user, password], {
        stdio: 'ignore',
      });
      first = false;
    }
    lines.push(`password_file ${passwordFile}`);
    lines.push(`allow_anonymous ${opts.allowAnonymous === true ? 'true' : 'false'}`);
  } else {
    lines.push(`allow_anonymous ${opts.allowAnonymous === false ? 'false' : 'true'}`);
  }
  if (opts.acl !== undefined) {
    const aclFile = join(dir, 'acl');
    writeFileSync(aclFile, opts.acl);
    lines.push(`acl_file ${aclFile}`);
  }
  lines.push(...(opts.extraConfig ?? []));
  if (ports.tcp) lines.push(`listener ${ports.tcp} 127.0.0.1`);
  if (ports.tls) {
    const tls: MosquittoTlsOptions = typeof opts.tls === 'object' ? opts.tls : {};
    lines.push(
      `listener ${ports.tls} 127.0.0.1`,
      `certfile ${tls.certFile ?? certPath('server-ecdsa-chain.pem')}`,
      `keyfile ${tls.keyFile ?? certPath('server-ecdsa-key.pem')}`,
      `cafile ${tls.caFile ?? certPath('ca.pem')}`,
      `require_certificate ${tls.requireCertificate === true ? 'true' : 'false'}`,
    );
  }
  if (ports.ws) lines.push(`listener ${ports.ws} 127.0.0.1`, 'protocol websockets');
  return lines.join('\n') + '\n';
}

async function startOnce(dir: string, opts: MosquittoOptions): Promise<MosquittoBroker> {
  const ports = {
    tcp: opts.tcp === false ? 0 : await freePort(),
    tls: opts.tls ? await freePort() : 0,
    ws: opts.websockets ? await freePort() : 0,
  };
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, renderConfig(dir, opts, ports));
  const child = spawn(MOSQUITTO_BIN, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let log = '';
  const append = (chunk: string): void => {
    log += chunk;
    if (log.length > MAX_LOG_CHARS) log = log.slice(-MAX_LOG_CHARS);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));

  await new Promise<void>((resolve, reject) => {
    const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const timer = setTimeout(() => finish(new Error(`mosquitto did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const onData = (): void => {
      if (/ running\b/.test(log)) finish();
    };
    const onExit = (code: number | null): void => finish(new Error(`mosquitto exited at start (code ${code}):\n${log}`));
    function finish(err?: Error): void {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else resolve();
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });

  let stopped: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port: ports.tcp,
    tlsPort: ports.tls,
    wsPort: ports.ws,
    dir,
    pid: child.pid ?? 0,
    log: () => log,
    stop(): Promise<void> {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Starts a mosquitto broker on free 127.0.0.1 ports; resolves once every listener is open. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  installExitHook();
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'quicmq-mosquitto-'));
    try {
      return await startOnce(dir, opts);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      lastError = err as Error;
      // Only a lost port race is worth another try; anything else (bad config) fails the same way again.
      if (!/Address already in use|Unable to start any listening sockets/.test(lastError.message) || opts.websockets) break;
    }
  }
  throw lastError ?? new Error('mosquitto did not start');
}

/** True when this mosquitto build can open a WebSocket listener (checked by trying once). */
export async function mosquittoSupportsWebsockets(): Promise<boolean> {
  if (!mosquittoAvailable()) return false;
  try {
    const broker = await startMosquitto({ tcp: false, websockets: true });
    await broker.stop();
    return true;
  } catch {
    return false;
  }
}
