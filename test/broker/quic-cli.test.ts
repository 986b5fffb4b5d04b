// MQTT over QUIC through the command line: `quicmq broker` with listeners.quic.default enabled, and
// `quicmq pub` / `quicmq sub` with -L quic://host:port/topic, all as subprocesses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { certPath } from '../helpers/certs.js';
import { runQuicmq, spawnQuicmq } from '../helpers/cli.js';

const PROCESS_MS = 30_000;

/** Starts `quicmq broker` with a QUIC listener on 127.0.0.1:0 and resolves with its listener ports. */
function startCliBroker(extra: string[] = []): Promise<{ child: ChildProcess; ports: Map<string, number> }> {
  const set = (kv: string): string[] => ['--set', kv];
  const child = spawnQuicmq([
    'broker',
    ...extra.flatMap(set),
    ...set('listeners.tcp.default.bind=127.0.0.1:0'),
    ...set('listeners.ws.default.bind=127.0.0.1:0'),
    ...set('listeners.quic.default.enabled=true'),
    ...set('listeners.quic.default.bind=127.0.0.1:0'),
    ...set(`listeners.quic.default.keyfile=${certPath('server-ecdsa-key.pem')}`),
    ...set(`listeners.quic.default.certfile=${certPath('server-ecdsa-chain.pem')}`),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start: ${err}${out}`));
    }, PROCESS_MS);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('"broker started"')) return;
      clearTimeout(timer);
      const ports = new Map<string, number>();
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const j = JSON.parse(line) as { id: string; port: number };
        ports.set(j.id, j.port);
      }
      resolve({ child, ports });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited ${code}: ${err}${out}`));
    });
  });
}

test('quicmq broker serves MQTT over QUIC; quicmq pub and sub use it with -L quic://', async (t) => {
  const { child, ports } = await startCliBroker();
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const port = ports.get('quic:default');
  assert.ok(port !== undefined && port > 0, `quic listener port in ${JSON.stringify([...ports])}`);
  const url = `quic://127.0.0.1:${port}/cli/quic`;
  const tls = ['--cafile', certPath('ca.pem')];
  const retained = await runQuicmq(['pub', '-L', url, ...tls, '-m', 'over quic', '-r', '-q', '1'], { timeoutMs: PROCESS_MS });
  assert.equal(retained.code, 0, retained.stderr);
  const sub = await runQuicmq(['sub', '-L', url, ...tls, '-C', '1', '-v'], { timeoutMs: PROCESS_MS });
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(sub.stdout, 'cli/quic over quic\n');
  // --quic with -h/-p is the same transport (the issue's `quicmq sub --quic` spelling).
  const viaFlag = await runQuicmq(['sub', '--quic', '-h', '127.0.0.1', '-p', String(port), ...tls, '-t', 'cli/quic', '-C', '1', '-v'], { timeoutMs: PROCESS_MS });
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.equal(viaFlag.stdout, 'cli/quic over quic\n');
  // Without the CA the server certificate does not verify: a readable failure, exit 1.
  const untrusted = await runQuicmq(['sub', '-L', url, '-C', '1', '--connect-timeout', '5'], { timeoutMs: PROCESS_MS });
  assert.equal(untrusted.code, 1);
  assert.notEqual(untrusted.stderr, '');
});

test('quicmq sub --quic-datagrams takes QoS 0 messages from a broker with qos0_datagrams; without QUIC it is a usage error', async (t) => {
  const { child, ports } = await startCliBroker(['listeners.quic.default.qos0_datagrams=true']);
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const port = ports.get('quic:default')!;
  const tls = ['--cafile', certPath('ca.pem')];
  const pub = await runQuicmq(['pub', '-L', `quic://127.0.0.1:${port}/cli/dg`, ...tls, '-m', 'retained qos 0', '-r', '-q', '0'], { timeoutMs: PROCESS_MS });
  assert.equal(pub.code, 0, pub.stderr);
  // The retained QoS 0 message reaches the subscriber as a datagram (the broker's QoS 0 deliveries).
  const sub = await runQuicmq(['sub', '--quic', '--quic-datagrams', '-h', '127.0.0.1', '-p', String(port), ...tls, '-t', 'cli/dg', '-C', '1', '-v'], { timeoutMs: PROCESS_MS });
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(sub.stdout, 'cli/dg retained qos 0\n');
  const usage = await runQuicmq(['sub', '--quic-datagrams', '-t', 'x'], { timeoutMs: PROCESS_MS });
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /--quic-datagrams needs MQTT over QUIC/);
});
