// The broker benchmark (bench/broker/): its building blocks, and one smoke run in a minimal configuration
// (quicmq only, 2 clients, half a second) that must print a well-formed report with non-zero throughput.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { repoRoot } from '../helpers/paths.js';
import { bucketOf, bucketRange, HISTOGRAM_BUCKETS, LatencyHistogram } from '../../bench/broker/histogram.js';
import { FrameError, FrameScanner } from '../../bench/broker/frame-scanner.js';
import { monotonicMicros, PAYLOAD_MAGIC, PublishTemplate, readPublish, writePuback, type PublishView } from '../../bench/broker/packets.js';
import { OptionsError, parseBenchArgs } from '../../bench/broker/options.js';
import { assignToWorkers, idleClients, planScenario, scenarioByName, SCENARIO_NAMES } from '../../bench/broker/scenarios.js';
import { summarize, type ScenarioResult } from '../../bench/broker/scenario-runner.js';
import { checkTargets, computeRatios, formatReport, type BenchReport } from '../../bench/broker/report.js';
import type { LoadSettings, WorkerSample } from '../../bench/broker/protocol.js';
import { BenchClient, BenchClientError } from '../../bench/broker/bench-client.js';
import { LoadStats } from '../../bench/broker/load-stats.js';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

function decode(bytes: Buffer): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Packet[] = [];
  parser.on('packet', (p: Packet) => out.push(p));
  parser.on('error', (e: Error) => {
    throw e;
  });
  parser.parse(bytes);
  return out;
}

test('histogram: exact below 128 µs, within 1/64 above, quantiles and max', () => {
  for (let v = 0; v < 128; v++) assert.equal(bucketOf(v), v);
  let previous = -1;
  for (const v of [128, 129, 255, 256, 1000, 65_535, 1e6, 2 ** 31 - 1]) {
    const { lowUs, widthUs } = bucketRange(bucketOf(v));
    assert.ok(v >= lowUs && v < lowUs + widthUs, `${v} in [${lowUs}, ${lowUs + widthUs})`);
    assert.ok(widthUs / lowUs <= 1 / 64, `bucket of ${v} is ${widthUs} wide`);
    assert.ok(bucketOf(v) >= previous, 'buckets never shrink as the value grows');
    previous = bucketOf(v);
  }
  assert.equal(bucketOf(-5), 0);
  assert.equal(bucketOf(1e12), HISTOGRAM_BUCKETS - 1);
  const h = new LatencyHistogram();
  assert.equal(h.quantile(0.5), undefined);
  for (let v = 1; v <= 100; v++) h.record(v);
  h.record(50_000);
  assert.equal(h.count, 101);
  assert.equal(h.quantile(0.5), 51);
  assert.equal(h.quantile(0.99), 100);
  assert.equal(h.quantile(1), 50_000);
  assert.equal(h.max, 50_000);
  assert.throws(() => h.quantile(0), RangeError);
});

test('histogram: snapshots merge across processes; a wrong-sized one is refused', () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  a.record(10);
  b.record(20);
  b.record(3000);
  a.merge(b.snapshot());
  assert.equal(a.count, 3);
  assert.equal(a.max, 3000);
  assert.equal(a.quantile(0.5), 20);
  assert.throws(() => a.merge({ counts: new Float64Array(3), total: 1, maxUs: 1 }), RangeError);
  a.reset();
  assert.equal(a.count, 0);
});

test('frame scanner: finds every packet wherever the stream is cut', () => {
  const packets = [
    mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
    mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200, 7), qos: 0, dup: false, retain: false }), // 2-byte length
    mqttPacket.generate({ cmd: 'pingresp' }),
    mqttPacket.generate({ cmd: 'publish', topic: 'x/y', payload: Buffer.alloc(20_000, 1), qos: 1, messageId: 9, dup: false, retain: false }), // 3-byte length
  ];
  const stream = Buffer.concat(packets);
  for (let cut = 0; cut <= stream.length; cut += cut < 300 ? 1 : 997) {
    const seen: Buffer[] = [];
    const scanner = new FrameScanner((buf, off, h, r) => seen.push(Buffer.from(buf.subarray(off, off + h + r))), 1 << 20);
    scanner.push(stream.subarray(0, cut));
    scanner.push(stream.subarray(cut));
    assert.deepEqual(seen, packets, `cut at ${cut}`);
    assert.equal(scanner.pendingBytes, 0);
  }
});

test('frame scanner: refuses a five-byte Remaining Length and an oversized packet', () => {
  const scanner = new FrameScanner(() => assert.fail('no packet expected'), 1 << 20);
  assert.throws(() => scanner.push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), (e: unknown) => e instanceof FrameError && e.code === 'MALFORMED_REMAINING_LENGTH');
  const small = new FrameScanner(() => assert.fail('no packet expected'), 100);
  assert.throws(() => small.push(Buffer.from([0x30, 0xc8, 0x01])), (e: unknown) => e instanceof FrameError && e.code === 'PACKET_TOO_LARGE');
  // Incomplete headers wait for more bytes instead of failing.
  const waiting = new FrameScanner(() => assert.fail('no packet expected'), 1 << 20);
  waiting.push(Buffer.from([0x30, 0xff]));
  assert.equal(waiting.pendingBytes, 2);
});

test('publish template: stamped copies are valid PUBLISHes that read back', () => {
  for (const qos of [0, 1] as const) {
    const t = new PublishTemplate('quicmq-bench/a/in/3', qos, 64);
    const buf = Buffer.alloc(t.size * 2);
    t.stamp(buf, 0, 41, 123.5);
    t.stamp(buf, t.size, 65535, 1e12 + 0.25);
    const decoded = decode(buf) as IPublishPacket[];
    assert.equal(decoded.length, 2);
    assert.equal(decoded[0]!.topic, 'quicmq-bench/a/in/3');
    assert.equal(decoded[0]!.qos, qos);
    assert.equal(decoded[0]!.payload.length, 64);
    if (qos === 1) assert.deepEqual([decoded[0]!.messageId, decoded[1]!.messageId], [41, 65535]);
    assert.equal(Buffer.from(decoded[1]!.payload).readUInt32BE(8), PAYLOAD_MAGIC);
    const view: PublishView = { qos: -1, packetId: -1, timestampUs: 0 };
    const headerLength = 2; // 64-byte payloads keep the Remaining Length in one byte
    assert.ok(readPublish(buf, t.size, headerLength, t.size - headerLength, view));
    assert.deepEqual(view, { qos, packetId: qos === 1 ? 65535 : 0, timestampUs: 1e12 + 0.25 });
  }
  assert.throws(() => new PublishTemplate('t', 0, 11), RangeError);
});

test('readPublish: foreign payloads have no timestamp; truncated packets are malformed', () => {
  const foreign = mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.from('hello'), qos: 0, dup: false, retain: false });
  const view: PublishView = { qos: 0, packetId: 0, timestampUs: 0 };
  assert.ok(readPublish(foreign, 0, 2, foreign.length - 2, view));
  assert.ok(Number.isNaN(view.timestampUs));
  // Topic length 0x00ff claims more bytes than the packet has.
  assert.equal(readPublish(Buffer.from([0x32, 0x04, 0x00, 0xff, 0x61, 0x62]), 0, 2, 4, view), false);
  const ack = Buffer.alloc(4);
  writePuback(ack, 0, 0x1234);
  const [puback, ...rest] = decode(ack);
  assert.deepEqual([puback?.cmd, (puback as { messageId?: number } | undefined)?.messageId, rest.length], ['puback', 0x1234, 0]);
});

test('options: defaults, lists, and readable errors for bad values', () => {
  const d = parseBenchArgs([]);
  assert.deepEqual(d.brokers, ['quicmq', 'aedes', 'mosquitto']);
  assert.deepEqual(d.scenarios, [...SCENARIO_NAMES]);
  assert.equal(d.clients, 10);
  assert.equal(d.durationMs, 4000);
  assert.equal(d.warmupMs, 1000);
  assert.equal(d.payloadBytes, 64);
  assert.equal(d.memoryClients, 10_000);
  assert.equal(d.ceiling, true);
  const o = parseBenchArgs(['--brokers', 'quicmq, aedes', '--duration', '0.5', '--skip-ceiling', '--json', 'x.json']);
  assert.deepEqual(o.brokers, ['quicmq', 'aedes']);
  assert.equal(o.durationMs, 500);
  assert.equal(o.ceiling, false);
  assert.equal(o.jsonFile, 'x.json');
  for (const bad of [['--brokers', 'emqx'], ['--clients', '0'], ['--clients', '2.5'], ['--payload', '8'], ['--duration', 'x'], ['--nope'], ['--scenarios', '']]) {
    assert.throws(() => parseBenchArgs(bad), (e: unknown) => e instanceof OptionsError && e.code === 'BAD_OPTION' && e.message.length > 0, bad.join(' '));
  }
});

test('scenarios: shapes, unique short client ids, publishers and subscribers on different workers', () => {
  const fanin = planScenario(scenarioByName('fanin-qos1'), 3, 'abc123');
  assert.equal(fanin.subscribers.length, 1);
  assert.equal(fanin.subscribers[0]!.topic, 'quicmq-bench/abc123/in/+');
  assert.deepEqual(fanin.publishers.map((p) => p.topic), ['quicmq-bench/abc123/in/0', 'quicmq-bench/abc123/in/1', 'quicmq-bench/abc123/in/2']);
  assert.ok([...fanin.publishers, ...fanin.subscribers].every((c) => c.qos === 1));
  const fanout = planScenario(scenarioByName('fanout-qos0'), 4, 'abc123');
  assert.equal(fanout.publishers.length, 1);
  assert.equal(fanout.deliveriesPerPublish, 4);
  const pairs = planScenario(scenarioByName('pairs-qos0'), 2, 'abc123');
  assert.deepEqual(pairs.publishers.map((p) => p.topic), pairs.subscribers.map((s) => s.topic));
  const ids = [...pairs.publishers, ...pairs.subscribers, ...idleClients(10_000, 'abc123')].map((c) => c.clientId);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => id.length <= 23), 'MQTT 3.1.1 §3.1.3.1: 23 characters at most');
  const split = assignToWorkers(pairs, 2);
  assert.deepEqual(split.subscribers.map((l) => l.length), [2, 0]);
  assert.deepEqual(split.publishers.map((l) => l.length), [0, 2]);
  const single = assignToWorkers(pairs, 1);
  assert.deepEqual([single.subscribers[0]!.length, single.publishers[0]!.length], [2, 2]);
  assert.throws(() => planScenario(scenarioByName('pairs-qos0'), 0, 'abc123'), RangeError);
});

function sample(received: number, sent: number, windowUs: number, latencies: number[]): WorkerSample {
  const h = new LatencyHistogram();
  for (const l of latencies) h.record(l);
  return { windowUs, sent, received, acked: 0, histogram: h.snapshot(), errors: [] };
}

test('summarize: per-worker rates add up; delivery ratio accounts for fan-out', () => {
  const r = summarize('fanout-qos0', 'quicmq', [sample(0, 1000, 1e6, []), sample(3000, 0, 2e6, [100, 200, 300])], 4);
  assert.equal(r.sentPerSec, 1000);
  assert.equal(r.deliveredPerSec, 1500);
  assert.equal(r.deliveryRatio, 1500 / 4000);
  assert.deepEqual(r.latency, { p50Us: 201, p99Us: 300, maxUs: 300 });
  const none = summarize('fanin-qos0', 'aedes', [sample(0, 0, 1e6, [])], 1);
  assert.equal(none.latency, undefined);
  assert.equal(none.deliveryRatio, undefined);
});

function result(scenario: ScenarioResult['scenario'], target: ScenarioResult['target'], deliveredPerSec: number): ScenarioResult {
  return { scenario, target, deliveredPerSec, sentPerSec: deliveredPerSec, deliveryRatio: 1, latency: { p50Us: 1000, p99Us: 2000, maxUs: 3000 }, errors: [] };
}

test('report: ratios, pass/fail targets and the printed table', () => {
  const results = [
    result('fanin-qos0', 'sink', 1_000_000),
    result('fanin-qos0', 'quicmq', 90_000),
    result('fanin-qos0', 'aedes', 30_000),
    result('fanin-qos0', 'mosquitto', 200_000),
    result('pairs-qos1', 'quicmq', 10_000),
    { ...result('pairs-qos1', 'aedes', 0), errors: ['aedes exited during this run'] },
  ];
  const ratios = computeRatios(results, ['fanin-qos0', 'pairs-qos1']);
  assert.deepEqual(ratios, [
    { scenario: 'fanin-qos0', vsAedes: 3, vsMosquitto: 0.45 },
    { scenario: 'pairs-qos1', vsAedes: undefined, vsMosquitto: undefined },
  ]);
  const heaps = [{ target: 'quicmq' as const, heapBefore: 10e6, heapAfter: 40e6, peakRss: 100e6 }];
  const targets = checkTargets(ratios, heaps, []);
  assert.deepEqual(targets.map((t) => t.verdict), ['pass', 'fail', 'fail']);
  assert.match(targets[1]!.detail, /fanin-qos0 0\.45x/);
  assert.equal(checkTargets([], [], [])[0]!.verdict, 'not measured');
  const report: BenchReport = {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    machine: { cpus: 2, cpuModel: 'test cpu', memoryGiB: 8, node: 'v20', platform: 'linux-x64', loadBefore: [1, 1, 1], loadAfter: [2, 2, 2] },
    settings: { clients: 2 },
    saturated: true,
    results,
    ratios,
    brokerMemory: heaps,
    idleMemory: [{ target: 'quicmq', clients: 100, before: undefined, after: undefined, heapPerClient: 2048, rssPerClient: 4096 }],
    targets,
    notes: ['a note'],
  };
  const text = formatReport(report);
  assert.match(text, /fanin-qos0 +generator ceiling +1,000,000/);
  assert.match(text, /fanin-qos0 +quicmq +90,000 +90,000 +100\.0% +1\.00 +2\.00 +3\.00/);
  assert.match(text, /pairs-qos1 +aedes +error/);
  assert.match(text, /fanin-qos0 +3\.00x +pass +0\.45x +FAIL/);
  assert.match(text, /quicmq: 100 idle MQTT 3\.1\.1 clients: heap 2\.00 KiB\/client, RSS 4\.00 KiB\/client/);
  assert.match(text, /\[FAIL\] quicmq >= 0\.5x mosquitto throughput/);
  assert.match(text, /note: a note/);
  assert.match(text, /queueing delay of a saturated broker/);
  // At a fixed --rate every broker delivers the offered load: no throughput verdicts.
  const paced = checkTargets(ratios, heaps, [], false);
  assert.deepEqual(paced.map((t) => t.verdict), ['not measured', 'not measured', 'fail']);
  const pacedText = formatReport({ ...report, saturated: false, targets: paced });
  assert.match(pacedText, /fanin-qos0 +3\.00x +- +0\.45x +-/);
  assert.doesNotMatch(pacedText, /queueing delay/);
});

/**
 * A scripted MQTT endpoint on 127.0.0.1:0 for the client tests: `onPacket` sees each packet the client sends
 * (first byte, whole packet) and answers on the socket as the test wants.
 */
async function scriptedServer(onPacket: (socket: Socket, type: number, packet: Buffer) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const scanner = new FrameScanner((buf, off, h, r) => onPacket(socket, buf[off]! >> 4, Buffer.from(buf.subarray(off, off + h + r))), 1 << 20);
    socket.on('data', (chunk: Buffer) => scanner.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, sockets };
}

async function closeServer(s: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const socket of s.sockets) socket.destroy();
  await new Promise<void>((resolve) => s.server.close(() => resolve()));
}

function clientSettings(port: number, overrides: Partial<LoadSettings> = {}): LoadSettings {
  return { host: '127.0.0.1', port, payloadBytes: 64, window: 4, ratePerPublisher: 0, connectConcurrency: 1, keepaliveSeconds: 0, connectTimeoutMs: 5000, ...overrides };
}

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

test('bench client: refused CONNECT, refused or downgraded SUBSCRIBE, and no answer are typed errors', async () => {
  const cases: Array<{ answer: (socket: Socket, type: number) => void; role: 'publisher' | 'subscriber'; code: BenchClientError['code']; timeoutMs?: number }> = [
    { answer: (s, t) => t === 1 && s.write(Buffer.from([0x20, 0x02, 0x00, 0x05])), role: 'publisher', code: 'CONNECT_REFUSED' },
    { answer: (s, t) => (t === 1 ? s.write(CONNACK_OK) : t === 8 && s.write(Buffer.from([0x90, 0x03, 0x00, 0x01, 0x80]))), role: 'subscriber', code: 'SUBSCRIBE_REFUSED' },
    { answer: (s, t) => (t === 1 ? s.write(CONNACK_OK) : t === 8 && s.write(Buffer.from([0x90, 0x03, 0x00, 0x01, 0x00]))), role: 'subscriber', code: 'SUBSCRIBE_REFUSED' },
    { answer: () => undefined, role: 'publisher', code: 'TIMEOUT', timeoutMs: 200 },
    { answer: (s) => s.destroy(), role: 'publisher', code: 'PROTOCOL' },
  ];
  for (const c of cases) {
    const srv = await scriptedServer((socket, type) => c.answer(socket, type));
    try {
      const client = new BenchClient({ clientId: 'c1', role: c.role, topic: 'a/b', qos: 1 }, clientSettings(srv.port, { connectTimeoutMs: c.timeoutMs ?? 5000 }), new LoadStats());
      await assert.rejects(client.open(), (e: unknown) => e instanceof BenchClientError && e.code === c.code && e.message.includes('c1'), c.code);
    } finally {
      await closeServer(srv);
    }
  }
  const stats = new LoadStats();
  const nobody = new BenchClient({ clientId: 'c2', role: 'idle', topic: '', qos: 0 }, clientSettings(1), stats);
  await assert.rejects(nobody.open(), (e: unknown) => e instanceof BenchClientError && e.code === 'CONNECT_FAILED');
});

test('bench client: a QoS 1 publisher never has more than its window unacknowledged', async () => {
  const received: number[] = [];
  let publisherSocket: Socket | undefined;
  const srv = await scriptedServer((socket, type, packet) => {
    if (type === 1) socket.write(CONNACK_OK);
    if (type === 3) {
      publisherSocket = socket;
      received.push(packet.readUInt16BE(2 + 2 + packet.readUInt16BE(2))); // Packet Identifier after the topic
    }
  });
  const stats = new LoadStats();
  const client = new BenchClient({ clientId: 'p', role: 'publisher', topic: 't/1', qos: 1 }, clientSettings(srv.port, { window: 4 }), stats);
  try {
    await client.open();
    client.startPublishing();
    for (let i = 0; i < 100 && received.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50)); // time to send more, were the window not respected
    assert.deepEqual(received, [1, 2, 3, 4]);
    assert.equal(stats.sent, 4);
    publisherSocket!.write(Buffer.from([0x40, 0x02, 0x00, 0x01, 0x40, 0x02, 0x00, 0x02]));
    for (let i = 0; i < 100 && received.length < 6; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6], 'two PUBACKs let exactly two more go');
    assert.equal(stats.acked, 2);
    // The broker going away is reported once, not thrown.
    publisherSocket!.destroy();
    for (let i = 0; i < 100 && stats.snapshot().errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(stats.snapshot().errors[0] ?? '', /p: connection closed by the broker/);
  } finally {
    await client.close();
    await closeServer(srv);
  }
});

test('bench client: a subscriber counts timestamped PUBLISHes, acknowledges QoS 1, and rejects malformed ones', async () => {
  const acks: number[] = [];
  const template = new PublishTemplate('t/x', 1, 64);
  const srv = await scriptedServer((socket, type, packet) => {
    if (type === 1) socket.write(CONNACK_OK);
    if (type === 8) {
      socket.write(Buffer.from([0x90, 0x03, packet[2]!, packet[3]!, 0x01]));
      const batch = Buffer.alloc(template.size * 3);
      for (let i = 0; i < 3; i++) template.stamp(batch, i * template.size, 10 + i, monotonicMicros() - 500);
      socket.write(batch);
    }
    if (type === 4) acks.push(packet.readUInt16BE(2));
  });
  const stats = new LoadStats();
  const client = new BenchClient({ clientId: 's', role: 'subscriber', topic: 't/+', qos: 1 }, clientSettings(srv.port), stats);
  try {
    await client.open();
    for (let i = 0; i < 100 && acks.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(acks, [10, 11, 12]);
    assert.equal(stats.received, 3);
    assert.ok(stats.histogram.max >= 500, 'latency measured from the payload timestamp');
    // A PUBLISH whose topic length runs past its end closes the connection with an error.
    for (const s of srv.sockets) s.write(Buffer.from([0x32, 0x04, 0x00, 0xff, 0x61, 0x62]));
    for (let i = 0; i < 100 && stats.snapshot().errors.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(stats.snapshot().errors.join('\n'), /malformed PUBLISH/);
  } finally {
    await client.close();
    await closeServer(srv);
  }
});

// The compiled benchmark when this test runs from dist/ (npm test), else the TypeScript through tsx.
const fromDist = fileURLToPath(import.meta.url).includes(join(repoRoot, 'dist'));
const benchArgv = fromDist ? [join(repoRoot, 'dist', 'bench', 'broker', 'run.js')] : ['--import', 'tsx', join(repoRoot, 'bench', 'broker', 'run.ts')];
const SMOKE_TIMEOUT_MS = 30_000;

test('smoke: a minimal run against quicmq and the sink prints a well-formed report with non-zero throughput', { timeout: SMOKE_TIMEOUT_MS + 5000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-bench-'));
  try {
    const jsonFile = join(dir, 'result.json');
    const args = [...benchArgv, '--brokers', 'quicmq', '--scenarios', 'pairs-qos1', '--clients', '2', '--warmup', '0.1', '--duration', '0.5', '--workers', '1', '--memory-clients', '20', '--json', jsonFile];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), SMOKE_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 0, `exit code ${code}\n${stderr}`);
    assert.match(stdout, /^quicmq broker benchmark, \d{4}-\d\d-\d\dT/);
    assert.match(stdout, /scenario +broker +delivered\/s +sent\/s +deliv% +p50 ms +p99 ms +max ms/);
    const row = /^pairs-qos1 +quicmq +([\d,]+) +([\d,]+) +([\d.]+)% +([\d.]+) +([\d.]+) +([\d.]+)$/m.exec(stdout);
    assert.ok(row, `no quicmq row in:\n${stdout}`);
    assert.ok(Number(row[1]!.replaceAll(',', '')) > 0, 'non-zero delivered/s');
    const ceiling = /^pairs-qos1 +generator ceiling +([\d,]+) +([\d,]+) /m.exec(stdout);
    assert.ok(ceiling && Number(ceiling[1]!.replaceAll(',', '')) > 0 && Number(ceiling[2]!.replaceAll(',', '')) > 0, `no generator ceiling in:\n${stdout}`);
    assert.match(stdout, /quicmq: 20 idle MQTT 3\.1\.1 clients: heap -?[\d.]+ KiB\/client/);
    assert.match(stdout, /\[(PASS|FAIL)\] quicmq bounded memory/);
    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchReport;
    assert.deepEqual(report.results.map((x) => x.target), ['sink', 'quicmq']);
    const r = report.results[1]!;
    assert.deepEqual([r.scenario, r.target, r.errors], ['pairs-qos1', 'quicmq', []]);
    assert.ok(r.deliveredPerSec > 0 && r.sentPerSec > 0);
    assert.ok(r.latency && r.latency.p50Us > 0 && r.latency.p50Us <= r.latency.p99Us && r.latency.p99Us <= r.latency.maxUs);
    assert.equal(report.idleMemory[0]?.clients, 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
