// MQTT over QUIC test helpers: a Broker with one QUIC listener on 127.0.0.1:0, clients of our library
// over quic://, and raw MQTT packets on QUIC streams (for what a library client would not do).
import assert from 'node:assert/strict';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { connect as mqttConnect, type MqttClient } from '../../src/client/index.js';
import { createQuicListener } from '../../src/broker/listeners/quic-listener.js';
import type { QuicListenerConfig } from '../../src/broker/config/types.js';
import type { BrokerOptions } from '../../src/broker/broker.js';
import { connectQuic } from '../../src/quic/endpoint/client.js';
import type { QuicStream } from '../../src/quic/endpoint/quic-stream.js';
import { certPath } from '../helpers/certs.js';
import { startBroker, type TestBroker } from './helpers.js';

export const WAIT_MS = 5000;

export function quicConfig(extra: Partial<QuicListenerConfig> = {}): QuicListenerConfig {
  return {
    enabled: true,
    bind: '127.0.0.1:0',
    max_connections: 100,
    keyfile: certPath('server-ecdsa-key.pem'),
    certfile: certPath('server-ecdsa-chain.pem'),
    idle_timeout: 15_000,
    max_handshakes: 100,
    retry: false,
    enable_0rtt: false, disable_1rtt_encryption: false,
    congestion_control: 'cubic',
    spin_bit: true,
    max_data_streams: 16,
    qos0_datagrams: false,
    ...extra,
  };
}

export async function quicBroker(t: { after: (fn: () => unknown) => void }, extra: Partial<QuicListenerConfig> = {}, options: Omit<BrokerOptions, 'config'> = {}): Promise<TestBroker & { quicPort: number }> {
  const b = await startBroker({ listeners: { quic: { default: quicConfig(extra) } } }, { quicListenerFactory: createQuicListener, ...options });
  t.after(() => b.stop());
  return Object.assign(b, { quicPort: b.port('quic:default') });
}

export async function quicClient(port: number, options: Record<string, unknown> = {}): Promise<MqttClient> {
  return mqttConnect({ url: `quic://127.0.0.1:${port}`, tls: { caFile: certPath('ca.pem') }, connectTimeoutMs: WAIT_MS, ...options });
}

export async function readCa(): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  return readFile(certPath('ca.pem'));
}

export function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

/** MQTT packets read from a QUIC stream. */
export function packetReader(stream: QuicStream, protocolVersion: 4 | 5 = 5): { next(): Promise<Packet> } {
  const parser = mqttPacket.parser({ protocolVersion });
  const queue: Packet[] = [];
  const waiters: Array<(p: Packet) => void> = [];
  parser.on('packet', (p: Packet) => {
    const w = waiters.shift();
    if (w) w(p);
    else queue.push(p);
  });
  stream.on('data', (d: Buffer) => parser.parse(d));
  return {
    next: () => {
      const p = queue.shift();
      return p !== undefined ? Promise.resolve(p) : within(new Promise<Packet>((resolve) => waiters.push(resolve)), 'an MQTT packet');
    },
  };
}

export const encode = (p: Packet, protocolVersion: 4 | 5 = 5): Buffer => mqttPacket.generate(p, { protocolVersion });

/** A raw QUIC connection with MQTT CONNECT done on its control stream; `datagrams`: it accepts DATAGRAM frames (RFC 9221). */
export async function rawMqttConnection(port: number, clientId: string, o: { protocolVersion?: 4 | 5; datagrams?: boolean } = {}) {
  const protocolVersion = o.protocolVersion ?? 5;
  const conn = await connectQuic({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [await readCa()], ...(o.datagrams === true ? { transport: { maxDatagramFrameSize: 65535 } } : {}) });
  const stream = await conn.openStream();
  stream.on('error', () => undefined);
  const reader = packetReader(stream, protocolVersion);
  stream.write(encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId, keepalive: 30 } as Packet, protocolVersion));
  assert.equal((await reader.next()).cmd, 'connack');
  return { conn, stream, reader };
}

export async function rawQuicSession(port: number, clientId: string, willTopic: string) {
  const conn = await connectQuic({ host: '127.0.0.1', port, alpn: ['mqtt'], ca: [await readCa()] });
  const stream = await conn.openStream();
  stream.on('error', () => undefined);
  const reader = packetReader(stream);
  stream.write(encode({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId, keepalive: 30, will: { topic: willTopic, payload: Buffer.from(`${clientId} is gone`), qos: 1, retain: false } }));
  const connack = await reader.next();
  assert.equal(connack.cmd, 'connack');
  return { conn, stream, reader };
}
