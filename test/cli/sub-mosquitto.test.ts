// `quicmq sub` (and `quicmq pub`) as subprocesses against Debian's mosquitto.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { connect } from '../../src/client/client.js';
import { runQuicmq, spawnQuicmq } from '../helpers/cli.js';
import { certPath } from '../helpers/certs.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { uniqueTopic, within } from '../client/support.js';

/** Subprocesses start through tsx on a shared machine: generous, but bounded. */
const PROCESS_MS = 30_000;

let broker: MosquittoBroker;
before(async () => {
  broker = await startMosquitto({ tls: true });
});
after(async () => {
  await broker.stop();
});

interface RunningSub {
  child: ChildProcess;
  /** Resolves once the broker acknowledged the subscription (seen in the -d trace). */
  subscribed: Promise<void>;
  /** What it printed so far. */
  stdout(): string;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `quicmq sub -d ...` and follows its output; the process is killed if it outlives the test. */
function startSub(args: string[]): RunningSub {
  const child = spawnQuicmq(['sub', '-d', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const subscribed = within(
    new Promise<void>((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (/received SUBACK/.test(stderr)) resolve();
      });
      child.once('exit', () => reject(new Error(`sub exited before SUBACK: ${stderr}`)));
    }),
    PROCESS_MS,
    'SUBACK',
  );
  subscribed.catch(() => child.kill('SIGKILL'));
  const exited = within(
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    ),
    PROCESS_MS,
    'sub to exit',
  );
  exited.catch(() => child.kill('SIGKILL'));
  return { child, subscribed, exited, stdout: () => stdout };
}

const hostPort = (): string[] => ['-h', '127.0.0.1', '-p', String(broker.port)];

test('sub -C 1 prints a message published with quicmq pub, then exits 0', async () => {
  const topic = uniqueTopic('cli-basic');
  const sub = startSub([...hostPort(), '-t', `${topic}/#`, '-C', '1']);
  await sub.subscribed;
  const pub = await runQuicmq(['pub', ...hostPort(), '-t', `${topic}/x`, '-m', 'hello from pub'], { timeoutMs: PROCESS_MS });
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal(pub.stdout, '');
  const r = await sub.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello from pub\n');
});

test('QoS 1 and 2 end to end, shown with -F "%q %r %t %p"; pub -l sends one message per line', async () => {
  const topic = uniqueTopic('cli-qos');
  const sub = startSub([...hostPort(), '-t', topic, '-q', '2', '-C', '3', '-F', '%q %r %t %p']);
  await sub.subscribed;
  const lines = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '2', '-l'], { input: 'one\n\ntwo\n', timeoutMs: PROCESS_MS });
  assert.equal(lines.code, 0, lines.stderr);
  const q1 = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-m', 'three'], { timeoutMs: PROCESS_MS });
  assert.equal(q1.code, 0, q1.stderr);
  const r = await sub.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `2 0 ${topic} one\n2 0 ${topic} two\n1 0 ${topic} three\n`);
});

test('retained messages: -v prints "topic payload" with the retain flag; -R skips them (and -W expires: 27)', async () => {
  const topic = uniqueTopic('cli-retained');
  const pub = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-m', 'kept', '-r', '-q', '1'], { timeoutMs: PROCESS_MS });
  assert.equal(pub.code, 0, pub.stderr);
  const [shown, skipped] = await Promise.all([
    runQuicmq(['sub', ...hostPort(), '-t', topic, '-C', '1', '-v', '-F', '%r %t %p'], { timeoutMs: PROCESS_MS }),
    runQuicmq(['sub', ...hostPort(), '-t', topic, '-C', '1', '-R', '-W', '1'], { timeoutMs: PROCESS_MS }),
  ]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.stdout, `1 ${topic} kept\n`);
  assert.equal(skipped.code, 27, skipped.stderr);
  assert.equal(skipped.stdout, '');
  assert.equal(skipped.stderr, 'Timed out\n');
  const verbose = await runQuicmq(['sub', ...hostPort(), '-t', topic, '-C', '1', '-v'], { timeoutMs: PROCESS_MS });
  assert.equal(verbose.stdout, `${topic} kept\n`);
});

test('MQTT 5 user properties set with pub -D are printed by sub -F %P', async () => {
  const topic = uniqueTopic('cli-props');
  const sub = startSub([...hostPort(), '-V', '5', '-t', topic, '-C', '1', '-F', '%P|%C|%p']);
  await sub.subscribed;
  const pub = await runQuicmq(
    [
      'pub', ...hostPort(), '-V', 'mqttv5', '-t', topic, '-m', 'with props',
      '-D', 'publish', 'user-property', 'origin', 'cli',
      '-D', 'publish', 'user-property', 'n', '2',
      '-D', 'publish', 'content-type', 'text/plain',
    ],
    { timeoutMs: PROCESS_MS },
  );
  assert.equal(pub.code, 0, pub.stderr);
  const r = await sub.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'origin:cli n:2|text/plain|with props\n');
});

test('a sub killed abruptly leaves its will (--will-topic/--will-payload/--will-qos) for the broker to publish', async () => {
  const topic = uniqueTopic('cli-will');
  const watcher = await within(connect(`mqtt://127.0.0.1:${broker.port}`), PROCESS_MS, 'watcher');
  try {
    const messages = watcher.messages();
    await watcher.subscribe(`${topic}/will`, { qos: 1 });
    const sub = startSub([...hostPort(), '-t', `${topic}/ignored`, '--will-topic', `${topic}/will`, '--will-payload', 'sub died', '--will-qos', '1']);
    await sub.subscribed;
    sub.child.kill('SIGKILL');
    const will = await within(messages.next(), PROCESS_MS, 'the will');
    assert.equal(will.value?.payload.toString(), 'sub died');
    assert.equal(will.value?.qos, 1);
    await sub.exited;
  } finally {
    await watcher.end();
  }
});

test('sub -E exits 0 once subscribed', async () => {
  const r = await runQuicmq(['sub', ...hostPort(), '-t', uniqueTopic('cli-e'), '-E'], { timeoutMs: PROCESS_MS });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
});

test('bad arguments: exit 1 with the error and a pointer to --help; --help exits 0', async () => {
  const [none, badQos, help] = await Promise.all([
    runQuicmq(['sub'], { timeoutMs: PROCESS_MS }),
    runQuicmq(['sub', '-t', 't', '-q', '3'], { timeoutMs: PROCESS_MS }),
    runQuicmq(['sub', '--help'], { timeoutMs: PROCESS_MS }),
  ]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, "Error: At least one topic filter is needed (-t or the path of an mqtt:// -L URL)\n\nUse 'quicmq sub --help' to see usage.\n");
  assert.equal(badQos.code, 1);
  assert.match(badQos.stderr, /^Error: -q must be from 0 to 2, got 3\n/);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: quicmq sub /);
});

test('TLS: sub over mqtts:// with --cafile; without it a readable verification error and exit 1', async () => {
  const topic = uniqueTopic('cli-tls');
  const sub = startSub(['-L', `mqtts://localhost:${broker.tlsPort}/${topic}`, '--cafile', certPath('ca.pem'), '-C', '1']);
  await sub.subscribed;
  const pub = await runQuicmq(
    ['pub', '-h', 'localhost', '-p', String(broker.tlsPort), '--cafile', certPath('ca.pem'), '-t', topic, '-m', 'over tls'],
    { timeoutMs: PROCESS_MS },
  );
  assert.equal(pub.code, 0, pub.stderr);
  assert.equal((await sub.exited).stdout, 'over tls\n');
  const untrusted = await runQuicmq(['sub', '-L', `mqtts://localhost:${broker.tlsPort}/x`], { timeoutMs: PROCESS_MS });
  assert.equal(untrusted.code, 1);
  assert.match(untrusted.stderr, /^Error: TLS certificate verification failed for mqtts:\/\/localhost:\d+: .*--cafile/);
});

test('sub exits 0 when interrupted (SIGINT), after printing what it received', async () => {
  const topic = uniqueTopic('cli-sigint');
  const sub = startSub([...hostPort(), '-t', topic]);
  await sub.subscribed;
  const pub = await runQuicmq(['pub', ...hostPort(), '-t', topic, '-q', '1', '-m', 'before interrupt'], { timeoutMs: PROCESS_MS });
  assert.equal(pub.code, 0, pub.stderr);
  // Interrupt only once the message was printed.
  await within(
    (async () => {
      for (let i = 0; i < PROCESS_MS / 20 && !sub.stdout().includes('before interrupt'); i++) await new Promise((r) => setTimeout(r, 20));
    })(),
    PROCESS_MS,
    'the message on stdout',
  );
  sub.child.kill('SIGINT');
  const r = await sub.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'before interrupt\n');
});
