import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Counter, Registry } from 'prom-client';
import { commandLineOverrides, run, type BrokerCommandDeps, type BrokerHandle } from '../../src/cli/broker.js';
import { UsageError } from '../../src/cli/args.js';
import type { BrokerConfig } from '../../src/broker/config/types.js';
import type { Authenticator, Authorizer } from '../../src/broker/auth/types.js';
import { hashPassword } from '../../src/broker/auth/password-file.js';
import { runQuicmq, spawnQuicmq } from '../helpers/cli.js';

/** A stand-in for src/broker/broker.ts Broker that records what the command does with it. */
class FakeBroker implements BrokerHandle {
  readonly metrics = new Registry();
  readonly calls: string[] = [];
  constructor(
    readonly opts: { config: BrokerConfig; authenticator: Authenticator; authorizer: Authorizer },
    private readonly failStart = false,
  ) {
    new Counter({ name: 'quicmq_fake_total', help: 'fake', registers: [this.metrics] }).inc(7);
  }
  async start(): Promise<void> {
    this.calls.push('start');
    if (this.failStart) throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
  }
  async stop(opts?: { reason?: string }): Promise<void> {
    this.calls.push(`stop:${opts?.reason ?? ''}`);
  }
  listenerAddresses() {
    return [{ id: 'tcp:default', type: 'tcp', host: '127.0.0.1', port: 41883 }];
  }
}

interface Harness {
  deps: Partial<BrokerCommandDeps>;
  out: string[];
  err: string[];
  logs: () => Array<Record<string, unknown>>;
  brokers: FakeBroker[];
  signal(s: NodeJS.Signals): void;
  signalHandlersRemoved: () => boolean;
  /** Resolves once a log line with this msg has been written. */
  logged(msg: string): Promise<Record<string, unknown>>;
}

function harness(env: NodeJS.ProcessEnv = {}, failStart = false): Harness {
  const out: string[] = [];
  const err: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: (l: Record<string, unknown>) => void }> = [];
  const brokers: FakeBroker[] = [];
  let handler: ((s: NodeJS.Signals) => void) | undefined;
  let removed = false;
  const logStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const w of waiters.filter((w) => w.msg === line.msg)) w.resolve(line);
      }
      cb();
    },
  });
  return {
    out,
    err,
    brokers,
    logs: () => lines,
    deps: {
      env,
      output: { out: (t) => void out.push(t), err: (t) => void err.push(t) },
      logStream,
      createBroker: (opts) => {
        const b = new FakeBroker(opts, failStart);
        brokers.push(b);
        return b;
      },
      onSignal: (h) => {
        handler = h;
        return () => {
          removed = true;
        };
      },
    },
    signal: (s) => handler!(s),
    signalHandlersRemoved: () => removed,
    logged: (msg) => {
      const found = lines.find((l) => l.msg === msg);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ msg, resolve }));
    },
  };
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

test('commandLineOverrides: shortcuts first, then --set; --port and --bind exclude each other', () => {
  assert.deepEqual(commandLineOverrides({ port: '1884', 'log-level': 'debug', set: ['mqtt.max_inflight=1'] }), [
    'listeners.tcp.default.bind=0.0.0.0:1884',
    'log.level=debug',
    'mqtt.max_inflight=1',
  ]);
  assert.deepEqual(commandLineOverrides({ bind: '127.0.0.1:1' }), ['listeners.tcp.default.bind=127.0.0.1:1']);
  assert.throws(() => commandLineOverrides({ port: '1', bind: '127.0.0.1:1' }), UsageError);
});

test('broker: starts with the loaded config, serves metrics, logs listeners, stops on SIGTERM with exit 0', async () => {
  const h = harness({ QUICMQ_MQTT__MAX_INFLIGHT: '7' });
  const exit = run(['--bind', '127.0.0.1:0', '--set', 'listeners.ws.default.enabled=false', '--set', 'prometheus.enabled=true', '--set', 'prometheus.bind="127.0.0.1:0"'], h.deps);
  const metricsLine = await h.logged('prometheus metrics at /metrics');
  const started = await h.logged('broker started');
  assert.deepEqual(started.listeners, ['tcp:default 127.0.0.1:41883']);
  const broker = h.brokers[0]!;
  assert.equal(broker.opts.config.mqtt.max_inflight, 7, 'env override reached the broker');
  assert.equal(broker.opts.config.listeners.tcp.default!.bind, '127.0.0.1:0');
  const scrape = await httpGet(metricsLine.port as number, '/metrics');
  assert.equal(scrape.status, 200);
  assert.match(scrape.body, /^quicmq_fake_total 7$/m, 'the endpoint serves the broker registry');

  h.signal('SIGTERM');
  assert.equal(await exit, 0);
  assert.deepEqual(broker.calls, ['start', 'stop:signal SIGTERM']);
  assert.equal(h.signalHandlersRemoved(), true);
  await assert.rejects(httpGet(metricsLine.port as number, '/metrics'), /ECONNREFUSED/, 'metrics server closed');
});

test('broker: SIGHUP reloads the password and ACL files; a bad file keeps the old data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-cli-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const passwd = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  writeFileSync(passwd, `alice:${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`);
  writeFileSync(acl, 'allow all publish a\n');
  const h = harness();
  const exit = run(['--set', `authentication.password_file="${passwd}"`, '--set', `authorization.acl_file="${acl}"`, '--bind', '127.0.0.1:0', '--set', 'listeners.ws.default.enabled=false'], h.deps);
  await h.logged('broker started');
  const authz = h.brokers[0]!.opts.authorizer;
  assert.equal(authz.authorize({ clientId: 'c', username: undefined }, 'publish', 'b'), true, 'no_match allow');

  writeFileSync(acl, 'deny all publish b\n');
  h.signal('SIGHUP');
  const reloaded = await h.logged('reloaded password and ACL files');
  assert.deepEqual([reloaded.users, reloaded.aclRules], [1, 1]);
  assert.equal(authz.authorize({ clientId: 'c', username: undefined }, 'publish', 'b'), false);

  writeFileSync(acl, 'garbage\n');
  h.signal('SIGHUP');
  const failed = await h.logged('reload failed; keeping the previous password and ACL data');
  assert.equal(failed.level, 50);
  assert.equal(authz.authorize({ clientId: 'c', username: undefined }, 'publish', 'b'), false);
  h.signal('SIGINT');
  assert.equal(await exit, 0);
});

test('broker: a start failure stops the broker and exits 1', async () => {
  const h = harness({}, true);
  assert.equal(await run(['--bind', '127.0.0.1:0'], h.deps), 1);
  assert.deepEqual(h.brokers[0]!.calls, ['start', 'stop:start failed']);
  assert.ok(h.logs().some((l) => l.msg === 'broker failed to start'));
  assert.equal(h.signalHandlersRemoved(), true);
});

test('broker: --check, --print-config, --help', async () => {
  let h = harness();
  assert.equal(await run(['--check', '--set', 'mqtt.max_inflight=5'], h.deps), 0);
  assert.deepEqual(h.out, ['configuration ok\n']);
  assert.equal(h.brokers.length, 0);
  h = harness();
  assert.equal(await run(['--print-config', '--port', '1999'], h.deps), 0);
  assert.equal((JSON.parse(h.out.join('')) as BrokerConfig).listeners.tcp.default!.bind, '0.0.0.0:1999');
  h = harness();
  assert.equal(await run(['--help'], h.deps), 0);
  assert.match(h.out.join(''), /^Usage: quicmq broker/);
});

test('broker: bad configuration or command line exits 2 with the key path', async (t) => {
  let h = harness();
  assert.equal(await run(['--set', 'listeners.tcp.default.bind=abc'], h.deps), 2);
  assert.equal(h.err.join(''), 'quicmq broker: invalid configuration:\n  listeners.tcp.default.bind: expected "host:port", got "abc"\n');
  h = harness({ QUICMQ_MQTT__MAX_INFLIGHT: 'lots' });
  assert.equal(await run([], h.deps), 2);
  assert.match(h.err.join(''), /mqtt\.max_inflight: expected integer, got "lots"/);
  h = harness();
  assert.equal(await run(['--config', '/nonexistent/quicmq.conf'], h.deps), 2);
  assert.match(h.err.join(''), /invalid configuration \(\/nonexistent\/quicmq\.conf\):\n {2}cannot read config file .*ENOENT/);
  h = harness();
  assert.equal(await run(['--frobnicate'], h.deps), 2);
  assert.match(h.err.join(''), /quicmq broker: Unknown option '--frobnicate'/);
  h = harness();
  assert.equal(await run(['--port', '1', '--bind', '127.0.0.1:1'], h.deps), 2);
  assert.match(h.err.join(''), /--port and --bind/);

  const dir = mkdtempSync(join(tmpdir(), 'quicmq-cli-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'passwd'), 'alice:not-a-hash\n');
  h = harness();
  assert.equal(await run(['--set', `authentication.password_file="${join(dir, 'passwd')}"`], h.deps), 2);
  assert.match(h.err.join(''), /passwd:1: password hash for "alice" is not a valid/);
  writeFileSync(join(dir, 'acl'), 'allow all publish\n');
  h = harness();
  assert.equal(await run(['--set', `authorization.acl_file="${join(dir, 'acl')}"`], h.deps), 2);
  assert.match(h.err.join(''), /acl:1: expected a topic filter/);
  assert.equal(h.brokers.length, 0);
});

test('quicmq broker as a subprocess: real broker starts on port 0 and exits 0 on SIGTERM', async () => {
  // The embedded default includes a QUIC listener with a generated certificate: keep it on loopback and
  // its certificate in a temporary data_dir.
  const dataDir = mkdtempSync(join(tmpdir(), 'quicmq-cli-broker-data-'));
  const child = spawnQuicmq(['broker', '--bind', '127.0.0.1:0', '--set', 'listeners.ws.default.bind="127.0.0.1:0"', '--set', 'sys_topics.enabled=false',
    '--set', 'listeners.quic.default.bind="127.0.0.1:0"', '--set', `node.data_dir="${dataDir}"`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const line = stdout.split('\n').find((l) => l.includes('"broker started"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}: ${stderr}${stdout}`)));
    });
    const listeners = started.listeners as string[];
    assert.equal(listeners.length, 3);
    assert.match(listeners[0]!, /^tcp:default 127\.0\.0\.1:[1-9]\d*$/);
    assert.match(listeners[1]!, /^ws:default 127\.0\.0\.1:[1-9]\d*$/);
    assert.match(listeners[2]!, /^quic:default 127\.0\.0\.1:[1-9]\d*$/);
    assert.match(stdout, /generated a self-signed certificate/);
    assert.ok(existsSync(join(dataDir, 'certs', 'ca.pem')), 'the generated CA is in node.data_dir/certs');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /"msg":"broker stopped"/);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('quicmq broker as a subprocess: config errors exit 2 with the message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-cli-broker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'q.conf');
  writeFileSync(file, 'listeners.tcp.default {\n  bind = "abc"\n}\n');
  const r = await runQuicmq(['broker', '--config', file], { env: { ...process.env, QUICMQ_MQTT__MAX_INFLIGHT: '3' } });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `quicmq broker: invalid configuration (${file}):\n  listeners.tcp.default.bind: expected "host:port", got "abc"\n`);
});
