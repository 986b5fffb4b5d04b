// The MQTT figures against one broker process with TCP, TLS and QUIC listeners (broker-process.ts):
// connect-to-CONNACK latency over fresh connections, and QoS 0 small-message throughput from one
// pipelining publisher to one subscriber. Clients run in the coordinator, the broker in its own process.
import { randomBytes } from 'node:crypto';
import { monotonicMicros } from '../broker/packets.js';
import { openMqttLink, LINK_OPEN_TIMEOUT_MS, type LinkResumption, type MqttLink } from './mqtt-link.js';
import type { Pki } from './pki.js';
import type { MqttTransport } from './protocol.js';
import { RawMqttClient } from './raw-mqtt.js';
import { percentile } from './stats.js';

/** PUBLISHes per write: amortises the write call as a real pipelining publisher would. */
const PUBLISH_BATCH = 64;
/** After the publisher stops, the subscriber counts what still arrives until it is quiet this long. */
const QUIET_MS = 1_000;
/** ...but not longer than this in all. */
const DRAIN_LIMIT_MS = 15_000;
const MAX_ERRORS_KEPT = 3;

export interface LatencyResult {
  transport: MqttTransport;
  /** 'resumed': a TLS session resumed from the previous connection's ticket; over QUIC with CONNECT as 0-RTT data. */
  mode: 'full' | 'resumed';
  samples: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** Resumed mode: connections that did not resume (QUIC: or whose 0-RTT data was rejected), counted in samples. */
  notResumed: number;
  errors: string[];
}

/** A resumed measurement waits this long after a CONNACK for the broker's next session ticket. */
const TICKET_WAIT_MS = 2_000;

/** Waits (bounded, polling) until `r` holds a ticket or session other than `before`. */
async function waitForNewTicket(r: LinkResumption, before: unknown): Promise<void> {
  const until = performance.now() + TICKET_WAIT_MS;
  while ((r.quicTicket ?? r.tlsSession) === before && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 2));
}

/**
 * `connections` sequential fresh connections, each timed from the first byte of set-up to CONNACK. With
 * `resume`, an unmeasured first connection fetches a session ticket, and each measured one resumes with
 * the newest ticket the broker issued (QUIC: CONNECT travels as 0-RTT data).
 */
export async function measureConnackLatency(transport: MqttTransport, port: number, pki: Pki, connections: number, resume = false): Promise<LatencyResult> {
  const samples: number[] = [];
  const errors: string[] = [];
  const closes: Array<Promise<void>> = [];
  let failed = 0;
  let notResumed = 0;
  const resumption: LinkResumption | undefined = resume ? {} : undefined;
  if (resumption !== undefined) {
    try {
      const link = await openMqttLink(transport, port, pki, undefined, resumption);
      const client = new RawMqttClient(link.stream, `lat-prime-${transport}-${randomBytes(3).toString('hex')}`);
      await client.connect(LINK_OPEN_TIMEOUT_MS);
      await waitForNewTicket(resumption, undefined);
      client.disconnect();
      await link.close();
    } catch (e) {
      errors.push(`priming connection: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (let i = 0; i < connections; i++) {
    let link: MqttLink | undefined;
    const t0 = performance.now();
    try {
      link = await openMqttLink(transport, port, pki, undefined, resumption);
      const client = new RawMqttClient(link.stream, `lat-${transport}-${i}-${randomBytes(3).toString('hex')}`);
      const ticketBefore = resumption?.quicTicket ?? resumption?.tlsSession;
      await client.connect(LINK_OPEN_TIMEOUT_MS);
      samples.push(performance.now() - t0);
      if (resume && !link.resumed()) notResumed++;
      // Unmeasured: a 0-RTT CONNACK comes before the handshake completes, and so before the broker issues
      // this connection's ticket. The broker accepts early data once per ticket (RFC 8446 §8.1), so the
      // next connection needs the new one, as a real client would have it from a connection it kept open.
      // (Node's TLS server issues no new ticket on a resumed session, and resumes with the old one again.)
      if (resumption !== undefined && transport === 'mqtt-quic') await waitForNewTicket(resumption, ticketBefore);
      client.disconnect();
    } catch (e) {
      failed++;
      if (errors.length < MAX_ERRORS_KEPT) errors.push(e instanceof Error ? e.message : String(e));
    }
    // The closing period of a QUIC connection (RFC 9000 §10.2) is idle time: do not make the next wait.
    if (link) closes.push(link.close());
  }
  await Promise.all(closes);
  samples.sort((a, b) => a - b);
  return { transport, mode: resume ? 'resumed' : 'full', samples: samples.length, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), failed, notResumed, errors };
}

export interface Qos0Settings {
  messages: number;
  payloadBytes: number;
  durationMs: number;
}

export interface Qos0Result {
  transport: MqttTransport;
  sent: number;
  received: number;
  sentPerSecond: number;
  /** PUBLISHes delivered to the subscriber per second, first send to last delivery. */
  deliveredPerSecond: number;
  error?: string;
}

export async function measureQos0(transport: MqttTransport, port: number, pki: Pki, s: Qos0Settings): Promise<Qos0Result> {
  const result: Qos0Result = { transport, sent: 0, received: 0, sentPerSecond: 0, deliveredPerSecond: 0 };
  const tag = randomBytes(4).toString('hex');
  const topic = `bench/quic/${tag}`;
  const links: MqttLink[] = [];
  try {
    const subLink = await openMqttLink(transport, port, pki);
    links.push(subLink);
    const subscriber = new RawMqttClient(subLink.stream, `sub-${tag}`);
    await subscriber.connect(LINK_OPEN_TIMEOUT_MS);
    await subscriber.subscribe(topic, LINK_OPEN_TIMEOUT_MS);
    const pubLink = await openMqttLink(transport, port, pki);
    links.push(pubLink);
    const publisher = new RawMqttClient(pubLink.stream, `pub-${tag}`);
    await publisher.connect(LINK_OPEN_TIMEOUT_MS);
    const startUs = monotonicMicros();
    result.sent = await publisher.publishQos0(topic, s.payloadBytes, s.messages, PUBLISH_BATCH, startUs + s.durationMs * 1000);
    const sentUs = monotonicMicros();
    result.sentPerSecond = result.sent / ((sentUs - startUs) / 1e6);
    // Wait for the backlog: until everything arrived, the subscriber is quiet, or the limit.
    const drainUntil = sentUs + DRAIN_LIMIT_MS * 1000;
    for (;;) {
      const now = monotonicMicros();
      if (subscriber.received >= result.sent || now >= drainUntil) break;
      if (now - Math.max(subscriber.lastReceivedUs, sentUs) >= QUIET_MS * 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    result.received = subscriber.received;
    const spanUs = subscriber.lastReceivedUs - startUs;
    result.deliveredPerSecond = spanUs > 0 ? result.received / (spanUs / 1e6) : 0;
    publisher.disconnect();
    subscriber.disconnect();
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await Promise.all(links.map((l) => l.close()));
  }
  return result;
}
