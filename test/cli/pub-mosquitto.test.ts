// `quicmq pub` as a subprocess against Debian's mosquitto, checked by an in-process subscriber.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient, type ReceivedMessage } from '../../src/client/client.js';
import { runQuicmq, spawnQuicmq } from '../helpers/cli.js';
import { certPath } from '../helpers/certs.js';
import { freePort, startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { uniqueTopic, within } from '../client/support.js';

const PROCESS_MS = 30_000;

let broker: MosquittoBroker; // anonymous TCP + mutual TLS listener
let secured: MosquittoBroker; // password file, no anonymous access
let subscriber: MqttClient;
let dir: string;

before(async () => {
  [broker, secured] = await Promise.all([
    startMosquitto({ tls: { requireCertificate: true } }),
    startMosquitto({ users: { alice: 'secret' } }),
  ]);
  subscriber = await within(connect(`mqtt://127.0.0.1:${broker.port}`), PROCESS_MS, 'subscriber');
  dir = mkdtempSync(join(tmpdir(), 'quicmq-pub-test-'));
});
after(async () => {
  await subscriber.end();
  await Promise.all([broker.stop(), secured.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function collect(topic: string, n: number, publish: () => Promise<void>): Promise<ReceivedMessage[]> {
  const messages = subscriber.messages();
  await subscriber.subscribe(topic, { qos: 2 });
  try {
    await publish();
    const got: ReceivedMessage[] = [];
    for (let i = 0; i < n; i++) {
      const r = await within(messages.next(), PROCESS_MS, `message ${i + 1}`);
      if (!r.done) got.push(r.value);
    }
    return got;
  } finally {
    await messages.return?.();
    await subscriber.unsubscribe(topic);
  }
}

const hostPort = (): string[] => ['-h', '127.0.0.1', '-p', String(broker.port)];

test('pub -f sends a file byte for byte; pub -s sends all of stdin', async () => {
  const topic = uniqueTopic('pub-file');
  const file = join(dir, 'payload.bin');
  const bytes = Buffer.from([0, 1, 2, 0xff, 0x0a, 0x0d]);
  writeFileSync(file, bytes);
  const got = await collect(topic, 2, async () => {
    const fromFile = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-f', file], { timeoutMs: PROCESS_MS });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const fromStdin = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-s'], { input: 'line 1\nline 2\n', timeoutMs: PROCESS_MS });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
  });
  assert.deepEqual(got[0]?.payload, bytes);
  assert.equal(got[1]?.payload.toString(), 'line 1\nline 2\n');
});

test('pub --repeat publishes the message N times; -d traces packets on stderr', async () => {
  const topic = uniqueTopic('pub-repeat');
  let stderr = '';
  const got = await collect(topic, 3, async () => {
    const r = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-m', 'again', '--repeat', '3', '-d', '-i', 'tracer'], {
      timeoutMs: PROCESS_MS,
    });
    assert.equal(r.code, 0, r.stderr);
    stderr = r.stderr;
  });
  assert.deepEqual(got.map((m) => m.payload.toString()), ['again', 'again', 'again']);
  assert.match(stderr, /^Client tracer sending CONNECT$/m);
  assert.match(stderr, /^Client tracer received CONNACK \(0\)$/m);
  assert.match(stderr, new RegExp(`^Client tracer sending PUBLISH \\(d0, q1, r0, m\\d+, '${topic}', \\.\\.\\. \\(5 bytes\\)\\)$`, 'm'));
  assert.match(stderr, /^Client tracer received PUBACK \(m\d+\)$/m);
  assert.match(stderr, /^Client tracer sending DISCONNECT$/m);
});

test('pub over mutual TLS with --cafile --cert --key', async () => {
  const topic = uniqueTopic('pub-mtls');
  const got = await collect(topic, 1, async () => {
    const r = await runQuicmq(
      ['pub', '-L', `mqtts://localhost:${broker.tlsPort}/${topic}`, '--cafile', certPath('ca.pem'), '--cert', certPath('client.pem'), '--key', certPath('client-key.pem'), '-m', 'mutual'],
      { timeoutMs: PROCESS_MS },
    );
    assert.equal(r.code, 0, r.stderr);
  });
  assert.equal(got[0]?.payload.toString(), 'mutual');
});

test('unreachable broker: "Error: Connection refused ..." and exit 1; a missing -f file fails before connecting', async () => {
  const port = await freePort();
  const [refused, missing] = await Promise.all([
    runQuicmq(['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 't', '-m', 'x'], { timeoutMs: PROCESS_MS }),
    runQuicmq(['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 't', '-f', join(dir, 'nope')], { timeoutMs: PROCESS_MS }),
  ]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `Error: Connection refused by mqtt://127.0.0.1:${port}\n`);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `Error: Cannot read ${join(dir, 'nope')} (ENOENT)\n`);
});

test('a refused CONNACK: readable reason, exit status = reason code (as mosquitto_pub)', async () => {
  const args = ['pub', '-h', '127.0.0.1', '-p', String(secured.port), '-t', 't', '-m', 'x'];
  const [v5, v311, ok] = await Promise.all([
    runQuicmq([...args, '-V', '5', '-u', 'alice', '-P', 'wrong'], { timeoutMs: PROCESS_MS }),
    runQuicmq(args, { timeoutMs: PROCESS_MS }),
    runQuicmq([...args, '-u', 'alice', '-P', 'secret'], { timeoutMs: PROCESS_MS }),
  ]);
  assert.equal(v5.stderr, 'Error: Connection refused by broker: not authorized (0x87)\n');
  assert.equal(v5.code, 0x87);
  assert.equal(v311.stderr, 'Error: Connection refused by broker: not authorized (return code 5)\n');
  assert.equal(v311.code, 5);
  assert.equal(ok.code, 0, ok.stderr);
});

test('bad arguments exit 1 with the reason; --quiet hides runtime errors only', async () => {
  const [bad, quiet] = await Promise.all([
    runQuicmq(['pub', '-t', 't', '-m', 'x', '-q', '9'], { timeoutMs: PROCESS_MS }),
    runQuicmq(['pub', '-h', '127.0.0.1', '-p', String(await freePort()), '-t', 't', '-m', 'x', '--quiet'], { timeoutMs: PROCESS_MS }),
  ]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "Error: -q must be from 0 to 2, got 9\n\nUse 'quicmq pub --help' to see usage.\n");
  assert.equal(quiet.code, 1);
  assert.equal(quiet.stderr, '');
});

test('pub -l publishes lines as they arrive and exits 0 when interrupted (SIGINT)', async () => {
  const topic = uniqueTopic('pub-lines');
  let exit: Promise<number | null> | undefined;
  const got = await collect(topic, 2, async () => {
    const child = spawnQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-l'], { stdio: ['pipe', 'ignore', 'ignore'] });
    exit = within(new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code))), PROCESS_MS, 'pub to exit');
    exit.catch(() => child.kill('SIGKILL'));
    child.stdin!.write('first\nsecond\n');
    // The stdin pipe stays open: pub waits for more lines until it is interrupted. The interrupt comes once
    // both lines are through: sent after the first only, it raced the second line's publish (seen once,
    // on a loaded machine, as "timed out waiting for message 2").
    const seen = subscriber.messages();
    const both = (async () => {
      await seen.next();
      await seen.next();
    })();
    void within(both, PROCESS_MS, 'both lines').then(() => child.kill('SIGINT'), () => child.kill('SIGKILL')).finally(() => seen.return?.());
  });
  assert.deepEqual(got.map((m) => m.payload.toString()), ['first', 'second']);
  assert.equal(await exit, 0);
});
