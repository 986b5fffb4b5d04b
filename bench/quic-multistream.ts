// Head-of-line blocking with and without MQTT over QUIC data streams (EMQX multi-stream, EIP-0023), on
// a lossy path: one subscriber receives a bulk topic and a small, latency-sensitive "ping" topic through
// a UDP relay that delays and drops datagrams (test/helpers/udp-relay.ts; this kernel has no tc netem).
//   single: both subscriptions on the control stream. A lost datagram of the bulk topic holds back every
//           ping behind it in the one stream until the retransmission arrives.
//   multi:  the ping subscription on a data stream of its own; only the loss of a ping's own datagram
//           delays it.
//   datagram: the subscriber accepts QoS 0 in QUIC DATAGRAM frames (the broker's qos0_datagrams): each ping
//           travels alone in a datagram (the 8 KiB bulk messages do not fit one and stay on the stream), so
//           it is never held back, and a lost one is gone (QoS 0, at most once).
// Both runs in one process, same broker, same seeded loss pattern, same load; the figure is the ping's
// publish-to-delivery latency (same clock on both ends). The baseline is the single-stream run.
//
//   npm run bench:quic-multistream [-- --seconds 5 --loss 0.02 --delay-ms 10 --mtu 1500 --bulk-kib 8 --bulk-hz 100 --ping-hz 100]
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { connect, type ReceivedMessage } from '../src/client/index.js';
import { createQuicListener } from '../src/broker/listeners/quic-listener.js';
import { startBroker } from '../test/broker/helpers.js';
import { quicConfig } from '../test/broker/quic-helpers.js';
import { certPath } from '../test/helpers/certs.js';
import { UdpRelay } from '../test/helpers/udp-relay.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    loss: { type: 'string', default: '0.02' },
    'delay-ms': { type: 'string', default: '10' },
    'bulk-kib': { type: 'string', default: '8' },
    'bulk-hz': { type: 'string', default: '100' },
    'ping-hz': { type: 'string', default: '100' },
    seed: { type: 'string', default: '7' },
    mtu: { type: 'string', default: '1500' },
  },
});
const SECONDS = Number(args.seconds);
const LOSS = Number(args.loss);
const DELAY_MS = Number(args['delay-ms']);
const BULK_BYTES = Number(args['bulk-kib']) * 1024;
const BULK_HZ = Number(args['bulk-hz']);
const PING_HZ = Number(args['ping-hz']);
const SEED = Number(args.seed);
/** The relay's path MTU (datagrams above it are dropped): an Ethernet path, so DPLPMTUD settles near it. */
const MTU = Number(args.mtu);
/**
 * Pings of the first seconds are not counted: the client's path MTU search (DPLPMTUD) starts from the
 * 64 KiB a loopback address allows and needs about a second of lost probes through the relay's MTU to
 * settle, and the probes in flight take up the congestion window meanwhile (RFC 9000 §14.4).
 */
const WARMUP_MS = 3_000;
/** After publishing stops, how long the subscriber gets to receive what is still in flight. */
const DRAIN_MS = 3_000;
/** After the subscriber's end: longer than the relay's delay plus the broker's 2 s close linger. */
const CLOSE_SETTLE_MS = 2_500;

type Mode = 'single' | 'multi' | 'datagram';

interface ModeResult {
  mode: Mode;
  pingsSent: number;
  pingsReceived: number;
  bulkReceived: number;
  latencies: number[];
  lost: number;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runMode(mode: Mode, brokerQuicPort: number, tcpUrl: string): Promise<ModeResult> {
  const relay = await UdpRelay.start(
    { host: '127.0.0.1', port: brokerQuicPort },
    { seed: SEED, toServer: { delayMs: DELAY_MS, loss: LOSS, mtu: MTU }, toClient: { delayMs: DELAY_MS, loss: LOSS, mtu: MTU } },
  );
  const subscriber = await connect({
    url: `quic://127.0.0.1:${relay.port}`,
    tls: { caFile: certPath('ca.pem') },
    clientId: `hol-${mode}`,
    connectTimeoutMs: 10_000,
    transportOptions: { datagrams: mode === 'datagram' },
  });
  const publisher = await connect({ url: tcpUrl, clientId: `hol-pub-${mode}` });
  const result: ModeResult = { mode, pingsSent: 0, pingsReceived: 0, bulkReceived: 0, latencies: [], lost: 0 };
  const start = performance.now();
  const onPing = (m: ReceivedMessage): void => {
    const sentAt = Number(m.payload.toString());
    result.pingsReceived++;
    if (sentAt - start >= WARMUP_MS) result.latencies.push(performance.now() - sentAt);
  };
  await subscriber.subscribe('hol/bulk', { qos: 0 });
  subscriber.on('message', (m) => {
    if (m.topic === 'hol/bulk') result.bulkReceived++;
    else if (mode !== 'multi') onPing(m);
  });
  if (mode !== 'multi') {
    await subscriber.subscribe('hol/ping', { qos: 0 });
  } else {
    const data = await subscriber.openDataStream();
    await data.subscribe('hol/ping', { qos: 0 });
    data.on('message', onPing);
  }
  const bulk = Buffer.alloc(BULK_BYTES, 0x61);
  const bulkTimer = setInterval(() => void publisher.publish('hol/bulk', bulk, { qos: 0 }), 1000 / BULK_HZ);
  const pingTimer = setInterval(() => {
    result.pingsSent++;
    void publisher.publish('hol/ping', String(performance.now()), { qos: 0 });
  }, 1000 / PING_HZ);
  await sleep(WARMUP_MS + SECONDS * 1000);
  clearInterval(bulkTimer);
  clearInterval(pingTimer);
  for (let waited = 0; waited < DRAIN_MS && result.pingsReceived < result.pingsSent; waited += 50) await sleep(50);
  result.lost = relay.stats.dropped - relay.stats.tooLarge;
  // A graceful end, and time for its CONNECTION_CLOSE to cross the relay: a subscriber the broker still
  // believed connected would hold the next run's publisher back (broker backpressure) until its idle timeout.
  await Promise.all([subscriber.end(), publisher.end()]);
  await sleep(CLOSE_SETTLE_MS);
  await relay.close();
  return result;
}

function row(r: ModeResult, base: ModeResult | undefined): string {
  const s = [...r.latencies].sort((a, b) => a - b);
  const p = (q: number): string => percentile(s, q).toFixed(1).padStart(7);
  const ratio = (q: number): string => (base === undefined ? '1.00x' : `${(percentile(s, q) / percentile([...base.latencies].sort((a, b) => a - b), q)).toFixed(2)}x`);
  return `${r.mode.padEnd(8)}  ${String(r.pingsReceived).padStart(5)}/${String(r.pingsSent).padEnd(5)}  ${String(r.bulkReceived).padStart(6)}  ${p(50)}  ${p(90)}  ${p(99)}  ${(s[s.length - 1] ?? NaN).toFixed(1).padStart(7)}  ${ratio(50).padStart(6)}  ${ratio(99).padStart(6)}  ${String(r.lost).padStart(7)}`;
}

async function main(): Promise<void> {
  const b = await startBroker({ listeners: { quic: { default: quicConfig({ qos0_datagrams: true }) } } }, { quicListenerFactory: createQuicListener });
  try {
    const quicPort = b.port('quic:default');
    const results: ModeResult[] = [];
    for (const mode of ['single', 'multi', 'datagram'] as const) results.push(await runMode(mode, quicPort, b.tcpUrl()));
    console.log(`MQTT over QUIC head-of-line blocking  ${new Date().toISOString()}  Node ${process.version}`);
    console.log(`path: ${DELAY_MS} ms each way, ${(LOSS * 100).toFixed(1)} % loss each way, MTU ${MTU} (UDP relay, seed ${SEED}); load: ${BULK_BYTES / 1024} KiB bulk x ${BULK_HZ}/s + ping x ${PING_HZ}/s for ${SECONDS} s, QoS 0`);
    console.log(`ping publish-to-delivery latency, ms (after ${WARMUP_MS / 1000} s of the same load, not counted)`);
    console.log('mode      pings rcvd/sent  bulk    p50      p90      p99      max      p50 vs  p99 vs  dropped');
    console.log('--------  ---------------  ------  -------  -------  -------  -------  ------  ------  -------');
    console.log(row(results[0]!, undefined));
    console.log(row(results[1]!, results[0]));
    console.log(row(results[2]!, results[0]));
    console.log('"vs": over the single-stream figure of this run (lower is better). Datagram pings that were lost are not in');
    console.log('the percentiles: compare "rcvd/sent".');
  } finally {
    await b.stop();
  }
}

await main();
