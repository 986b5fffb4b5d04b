// The QUIC benchmark (bench/quic/): its building blocks, and one smoke run in a minimal configuration (a
// few handshakes, 1 MB, 100 messages, 50 idle connections) that must print a well-formed report and JSON
// with non-zero figures for every transport. Figures are never compared with each other here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import { repoRoot } from '../helpers/paths.js';
import { OptionsError, parseQuicBenchArgs, SECTIONS } from '../../bench/quic/options.js';
import { medianBy, percentile } from '../../bench/quic/stats.js';
import { parseByteCount, serveByteCount } from '../../bench/quic/byte-count.js';
import { measureBulk } from '../../bench/quic/bulk.js';
import { RawMqttClient, RawMqttError } from '../../bench/quic/raw-mqtt.js';
import { checkTargets, formatReport, ratio, TARGET_IDLE_BYTES, type QuicBenchReport } from '../../bench/quic/report.js';
import { loadPki } from '../../bench/quic/pki.js';

/** The smoke run starts about ten processes; on a loaded 2-core machine under tsx that takes a while. */
const SMOKE_TIMEOUT_MS = 120_000;

test('options: defaults, every flag, and bad values refused with the flag named', () => {
  const d = parseQuicBenchArgs([]);
  assert.deepEqual(d.sections, [...SECTIONS]);
  assert.equal(d.handshakeMs, 2000);
  assert.equal(d.concurrency, 8);
  assert.equal(d.bulkBytes, 50_000_000);
  assert.equal(d.messages, 1_000_000);
  assert.equal(d.payloadBytes, 64);
  assert.equal(d.idleConnections, 10_000);
  assert.equal(d.warmup, true);
  const o = parseQuicBenchArgs(['--sections', 'bulk,idle,bulk', '--handshake-seconds', '0.5', '--bulk-mb', '1', '--idle-connections', '0', '--skip-warmup', '--json', 'x.json']);
  assert.deepEqual(o.sections, ['bulk', 'idle']);
  assert.equal(o.handshakeMs, 500);
  assert.equal(o.bulkBytes, 1_000_000);
  assert.equal(o.idleConnections, 0);
  assert.equal(o.warmup, false);
  assert.equal(o.jsonFile, 'x.json');
  for (const [args, flag] of [
    [['--sections', 'speed'], '--sections'],
    [['--concurrency', '0'], '--concurrency'],
    [['--concurrency', '1.5'], '--concurrency'],
    [['--payload', '4'], '--payload'],
    [['--idle-connections', '1e9'], '--idle-connections'],
    [['--bulk-seconds', 'soon'], '--bulk-seconds'],
    [['--no-such-flag'], 'no-such-flag'],
  ] as const) {
    assert.throws(() => parseQuicBenchArgs([...args]), (e: unknown) => e instanceof OptionsError && e.code === 'BAD_OPTION' && e.message.includes(flag), args.join(' '));
  }
});

test('percentile: nearest rank; NaN for no samples', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 0.5), 50);
  assert.equal(percentile(sorted, 0.99), 99);
  assert.equal(percentile(sorted, 1), 100);
  assert.equal(percentile([7], 0.99), 7);
  assert.ok(Number.isNaN(percentile([], 0.5)));
});

test('byte count: the server answers with what it read once the client ends; answers are parsed strictly', async () => {
  const pair = duplexPair();
  serveByteCount(pair.server);
  let answer = '';
  pair.client.setEncoding('utf8');
  pair.client.on('data', (d: string) => (answer += d));
  const ended = new Promise((resolve) => pair.client.on('end', resolve));
  pair.client.write(Buffer.alloc(1000));
  pair.client.end(Buffer.alloc(234));
  await ended;
  assert.equal(parseByteCount(answer), 1234);
  assert.ok(Number.isNaN(parseByteCount('12 bytes')));
  assert.ok(Number.isNaN(parseByteCount('')));
});

test('bulk: a server that is not there gives a result with an error, not an exception', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const r = await measureBulk('tcp', port, loadPki(), { bytes: 1000, durationMs: 1000 });
  assert.match(r.error ?? '', /ECONNREFUSED|connect/);
  assert.equal(r.mbPerSecond, 0);
});

test('bulk: a server that miscounts is reported as a bad answer', async () => {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.resume();
    s.on('end', () => s.end('7'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const r = await measureBulk('tcp', (server.address() as AddressInfo).port, loadPki(), { bytes: 5000, durationMs: 5000 });
    assert.match(r.error ?? '', /counted 7 bytes of 5000/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('raw MQTT client: CONNACK, SUBSCRIBE, pipelined QoS 0 PUBLISHes, counting what arrives', async () => {
  const pair = duplexPair();
  const fromClient: Buffer[] = [];
  pair.server.on('data', (d: Buffer) => fromClient.push(d));
  const client = new RawMqttClient(pair.client, 'c1');
  const connected = client.connect(1000);
  await tick();
  pair.server.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
  await connected;
  const subscribed = client.subscribe('a/b', 1000);
  await tick();
  pair.server.write(mqttPacket.generate({ cmd: 'suback', messageId: 1, granted: [0] }));
  await subscribed;
  const sent = await client.publishQos0('a/b', 64, 130, 64, Number.MAX_SAFE_INTEGER);
  assert.equal(sent, 130);
  await tick();
  const packets = decodeAll(Buffer.concat(fromClient));
  assert.deepEqual(packets.slice(0, 2).map((p) => p.cmd), ['connect', 'subscribe']);
  assert.equal(packets.filter((p) => p.cmd === 'publish').length, 130);
  // Two PUBLISHes in one chunk and one cut in two: all counted.
  const pub = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(64), qos: 0, dup: false, retain: false });
  pair.server.write(Buffer.concat([pub, pub, pub.subarray(0, 10)]));
  pair.server.write(pub.subarray(10));
  await tick();
  assert.equal(client.received, 3);
  client.disconnect();
  await tick();
  assert.equal(decodeAll(Buffer.concat(fromClient)).at(-1)?.cmd, 'disconnect');
});

test('raw MQTT client: a refused CONNACK, a failed SUBACK, silence and a closed stream are typed errors', async () => {
  const refused = duplexPair();
  const c1 = new RawMqttClient(refused.client, 'refused');
  const p1 = c1.connect(1000);
  await tick();
  refused.server.write(mqttPacket.generate({ cmd: 'connack', returnCode: 5, sessionPresent: false }));
  await assert.rejects(p1, (e: unknown) => e instanceof RawMqttError && e.code === 'REFUSED' && /return code 5/.test(e.message));

  const subFail = duplexPair();
  const c2 = new RawMqttClient(subFail.client, 'subfail');
  const p2 = c2.subscribe('x', 1000);
  await tick();
  subFail.server.write(mqttPacket.generate({ cmd: 'suback', messageId: 1, granted: [0x80] }));
  await assert.rejects(p2, (e: unknown) => e instanceof RawMqttError && e.code === 'REFUSED');

  const silent = duplexPair();
  await assert.rejects(new RawMqttClient(silent.client, 'silent').connect(50), (e: unknown) => e instanceof RawMqttError && e.code === 'TIMEOUT');

  const closed = duplexPair();
  const c4 = new RawMqttClient(closed.client, 'closed');
  const p4 = c4.connect(1000);
  closed.client.destroy();
  await assert.rejects(p4, (e: unknown) => e instanceof RawMqttError && e.code === 'CLOSED');
  await assert.rejects(c4.publishQos0('t', 64, 10, 5, Number.MAX_SAFE_INTEGER), RawMqttError);

  const garbage = duplexPair();
  const c5 = new RawMqttClient(garbage.client, 'garbage');
  const p5 = c5.connect(1000);
  await tick();
  garbage.server.write(Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x01]));
  await assert.rejects(p5, (e: unknown) => e instanceof RawMqttError && e.code === 'PROTOCOL');
});

test('report: ratios, targets with pass/fail/not measured, and every section printed', () => {
  assert.equal(ratio(1, 4), '0.25x');
  assert.equal(ratio(1, 0), '-');
  assert.equal(ratio(undefined, 1), '-');
  const hs = (transport: string, concurrency: number, perSecond: number, resume = false) => ({ transport, concurrency, resume, completed: 10, notResumed: 0, failed: 0, elapsedMs: 1000, perSecond, errors: [] });
  const base: Omit<QuicBenchReport, 'targets'> = {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationSeconds: 1,
    machine: 'test',
    datagrams: [{ setting: 'DPLPMTUD off', largest: 1200, common: 1200, receiverPerSenderDatagram: 0.5 }],
    handshakes: [hs('quicmq', 1, 300), hs('tls', 1, 200), hs('quicmq', 8, 100), hs('tls', 8, 200), hs('quicmq', 1, 900, true), hs('tls', 1, 400, true)],
    latency: [
      { transport: 'mqtt-quic', mode: 'full', samples: 5, p50Ms: 2, p99Ms: 3, failed: 0, notResumed: 0, errors: [] },
      { transport: 'mqtt-tls', mode: 'full', samples: 5, p50Ms: 4, p99Ms: 5, failed: 0, notResumed: 0, errors: [] },
      { transport: 'mqtt-quic', mode: 'resumed', samples: 5, p50Ms: 1, p99Ms: 3, failed: 0, notResumed: 0, errors: [] },
      { transport: 'mqtt-tls', mode: 'resumed', samples: 5, p50Ms: 3, p99Ms: 5, failed: 0, notResumed: 1, errors: [] },
    ],
    bulk: [
      { transport: 'quicmq', label: 'quicmq (1200 B)', sent: 1e6, received: 1e6, elapsedMs: 100, mbPerSecond: 10, timeBounded: false },
      { transport: 'tls', label: 'tls', sent: 1e6, received: 1e6, elapsedMs: 100, mbPerSecond: 20, timeBounded: false },
      { transport: 'quiche', label: 'quiche (1200 B)', sent: 0, received: 0, elapsedMs: 0, mbPerSecond: 0, timeBounded: false, error: 'boom' },
    ],
    qos0: [
      { transport: 'mqtt-quic', sent: 100, received: 100, sentPerSecond: 1000, deliveredPerSecond: 700 },
      { transport: 'mqtt-tls', sent: 100, received: 100, sentPerSecond: 1000, deliveredPerSecond: 1000 },
    ],
    idle: [{ transport: 'quicmq', requested: 10_000, held: 10_000, heapBefore: 0, heapAfter: 10_000 * TARGET_IDLE_BYTES * 0.5, bytesPerConnection: TARGET_IDLE_BYTES * 0.5, openSeconds: 1, errors: [] }],
    notes: ['a note'],
  };
  const targets = checkTargets(base, 8);
  const verdict = (prefix: string) => targets.find((t) => t.name.startsWith(prefix))?.verdict;
  assert.equal(verdict('full handshakes/s, concurrency 1'), 'pass');
  assert.equal(verdict('full handshakes/s, concurrency 8'), 'fail');
  assert.equal(verdict('bulk'), 'pass'); // 10 >= 0.4 x 20
  // The row without 1-RTT packet protection is never the target's figure, even when it comes first.
  const unprotectedFirst = { ...base, bulk: [{ transport: 'quicmq' as const, label: 'quicmq (1200 B, no 1-RTT crypto)', sent: 1e6, received: 1e6, elapsedMs: 100, mbPerSecond: 50, timeBounded: false }, { ...base.bulk[0]!, mbPerSecond: 5 }, base.bulk[1]!] };
  assert.equal(checkTargets(unprotectedFirst, 8).find((t) => t.name.startsWith('bulk'))?.verdict, 'fail'); // 5 < 0.4 x 20
  assert.equal(verdict('MQTT QoS 0'), 'fail'); // 700 < 0.8 x 1000
  assert.equal(verdict('idle QUIC connections'), 'pass');
  assert.equal(verdict('heap per idle'), 'pass');
  const empty = checkTargets({ ...base, handshakes: [], bulk: [], qos0: [], idle: [] }, 8);
  assert.ok(empty.every((t) => t.verdict === 'not measured'));
  const text = formatReport({ ...base, targets });
  for (const heading of ['1. Handshakes', '2. MQTT connect-to-CONNACK', '3. One-stream bulk', '4. MQTT QoS 0', '5. Heap per idle', 'Targets', 'Errors', 'Notes']) assert.ok(text.includes(heading), heading);
  assert.match(text, /bulk quiche: boom/);
  assert.match(text, /DPLPMTUD off: most 1200 bytes, largest 1200 bytes; receiver sent 0\.50 per sender datagram/);
  assert.match(text, /quicmq\s+resumed\s+1\s+900\.0\s+10\s+0\s+2\.25x/);
  // Latency rows compare like with like: resumed QUIC (0-RTT) against resumed TLS.
  assert.match(text, /mqtt-quic\s+full\s+5\s+2\.00\s+3\.00\s+0\s+-\s+0\.50x/);
  assert.match(text, /mqtt-quic\s+resumed, 0-RTT\s+5\s+1\.00\s+3\.00\s+0\s+0\s+0\.33x/);
  assert.match(text, /mqtt-tls\s+resumed\s+5\s+3\.00\s+5\.00\s+0\s+1\s+1\.00x/);
});

test('smoke run: a minimal configuration prints a well-formed report with non-zero figures', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-quic-bench-'));
  try {
    const jsonFile = join(dir, 'report.json');
    const args = ['--handshake-seconds', '0.3', '--concurrency', '2', '--latency-connections', '3', '--bulk-mb', '1', '--bulk-seconds', '2', '--messages', '100', '--idle-connections', '50', '--idle-seconds', '10', '--skip-warmup', '--json', jsonFile];
    const { code, stdout, stderr } = await runBench(args);
    assert.equal(code, 0, stderr);
    for (const heading of ['1. Handshakes', '2. MQTT connect-to-CONNACK', '3. One-stream bulk', '4. MQTT QoS 0', '5. Heap per idle', 'Targets (printed, not enforced)']) assert.ok(stdout.includes(heading), `${heading} in\n${stdout}`);
    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as QuicBenchReport;
    for (const transport of ['quicmq', 'tls', 'quiche']) {
      const full = report.handshakes.filter((h) => h.transport === transport && !h.resume);
      assert.equal(full.length, 2, `${transport}: sequential and concurrent`);
      for (const h of full) assert.ok(h.completed > 0 && h.perSecond > 0, `${transport} handshakes: ${JSON.stringify(h)}`);
    }
    for (const transport of ['quicmq', 'tls']) {
      const resumed = report.handshakes.find((h) => h.transport === transport && h.resume);
      assert.ok(resumed && resumed.completed > 0 && resumed.notResumed === 0, `${transport} resumed: ${JSON.stringify(resumed)}`);
    }
    assert.deepEqual(report.latency.map((l) => `${l.transport} ${l.mode}`), ['mqtt-quic full', 'mqtt-tls full', 'mqtt-tcp full', 'mqtt-quic resumed', 'mqtt-tls resumed']);
    for (const l of report.latency) assert.ok(l.samples === 3 && l.p50Ms > 0 && l.p99Ms >= l.p50Ms, JSON.stringify(l));
    // Every resumed connection resumed: over QUIC with its CONNECT accepted as 0-RTT data.
    for (const l of report.latency.filter((x) => x.mode === 'resumed')) assert.equal(l.notResumed, 0, JSON.stringify(l));
    assert.deepEqual(report.bulk.map((b) => b.label), ['quicmq (1200 B)', 'quicmq (1200 B, no 1-RTT crypto)', 'quicmq (DPLPMTUD)', 'tls', 'tcp', 'quiche (1200 B)']);
    for (const b of report.bulk) assert.ok(b.error === undefined && b.received > 0 && b.mbPerSecond > 0, JSON.stringify(b));
    assert.deepEqual(report.qos0.map((q) => q.transport), ['mqtt-quic', 'mqtt-tls', 'mqtt-tcp']);
    for (const q of report.qos0) assert.ok(q.error === undefined && q.sent === 100 && q.received > 0 && q.deliveredPerSecond > 0, JSON.stringify(q));
    assert.deepEqual(report.idle.map((i) => i.transport), ['quicmq', 'tls', 'tcp']);
    for (const i of report.idle) assert.ok(i.held > 0 && i.heapAfter > 0 && Number.isFinite(i.bytesPerConnection), JSON.stringify(i));
    assert.equal(report.datagrams.length, 2);
    assert.ok(report.datagrams.every((d) => d.common >= 1200 && d.largest >= d.common && d.receiverPerSenderDatagram > 0), JSON.stringify(report.datagrams));
    assert.equal(report.targets.length, 6);
    assert.ok(report.targets.every((t) => t.verdict !== 'not measured'), JSON.stringify(report.targets));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options: usage on stderr and exit code 2', { timeout: SMOKE_TIMEOUT_MS }, async () => {
  const { code, stderr } = await runBench(['--concurrency', 'many']);
  assert.equal(code, 2);
  assert.match(stderr, /--concurrency/);
  assert.match(stderr, /Usage:/);
});

test('medianBy: the middle of the rounds that did not fail, the lower middle of an even count', () => {
  const r = (v: number, failed = false) => ({ v, failed });
  const pick = (items: Array<{ v: number; failed: boolean }>) => medianBy(items, (x) => x.v, (x) => x.failed)?.v;
  assert.equal(pick([r(3), r(1), r(2)]), 2);
  assert.equal(pick([r(4), r(1), r(3), r(2)]), 2);
  assert.equal(pick([r(9, true), r(1), r(5)]), 1);
  assert.equal(pick([r(7, true), r(8, true)]), 7, 'all failed: the first, whose error is reported');
  assert.equal(pick([]), undefined);
});

// --- helpers ---

const runningFromDist = fileURLToPath(import.meta.url).includes(join(repoRoot, 'dist'));

/** Runs the benchmark as the user would: compiled from dist/ when the tests run from there, else through tsx. */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = runningFromDist ? [join(repoRoot, 'dist', 'bench', 'quic', 'run.js'), ...args] : ['--import', 'tsx', join(repoRoot, 'bench', 'quic', 'run.ts'), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SMOKE_TIMEOUT_MS - 5000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Two connected in-memory Duplexes: what one writes, the other reads. */
function duplexPair(): { client: Duplex; server: Duplex } {
  let client!: Duplex;
  let server!: Duplex;
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      allowHalfOpen: true,
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  client = make(() => server);
  server = make(() => client);
  return { client, server };
}

function decodeAll(bytes: Buffer): mqttPacket.Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: mqttPacket.Packet[] = [];
  parser.on('packet', (p: mqttPacket.Packet) => out.push(p));
  parser.parse(bytes);
  return out;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
