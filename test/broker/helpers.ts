// Test helpers for the broker: start a Broker on port 0 with config overrides, raw MQTT sockets, and
// MQTT.js clients. Other test folders may reuse these.
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { Broker, type BrokerOptions } from '../../src/broker/broker.js';
import { defaultBrokerConfig } from '../../src/broker/config/defaults.js';
import type { BrokerConfig, MqttConfig } from '../../src/broker/config/types.js';

export interface BrokerOverrides {
  mqtt?: Partial<MqttConfig>;
  listeners?: Partial<BrokerConfig['listeners']>;
  authentication?: Partial<BrokerConfig['authentication']>;
  sys_topics?: Partial<BrokerConfig['sys_topics']>;
}

/** A config with one TCP and one WS listener on 127.0.0.1:0 and $SYS off unless overridden. */
export function testConfig(o: BrokerOverrides = {}): BrokerConfig {
  const c = defaultBrokerConfig();
  c.listeners = {
    tcp: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 1000 } },
    ssl: {},
    ws: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 1000, websocket: { mqtt_path: '/mqtt' } } },
    wss: {},
    quic: {},
    ...o.listeners,
  };
  c.mqtt = { ...c.mqtt, idle_timeout: 2000, ...o.mqtt };
  c.authentication = { ...c.authentication, ...o.authentication };
  c.sys_topics = { ...c.sys_topics, enabled: false, ...o.sys_topics };
  c.log = { level: 'silent' };
  return c;
}

export interface TestBroker {
  broker: Broker;
  /** Port of the listener with this id, e.g. port('tcp:default'). */
  port(id?: string): number;
  tcpUrl(): string;
  stop(opts?: { reason?: string }): Promise<void>;
}

export async function startBroker(o: BrokerOverrides = {}, extra: Omit<BrokerOptions, 'config'> = {}): Promise<TestBroker> {
  const broker = new Broker({ config: testConfig(o), ...extra });
  await broker.start();
  const port = (id = 'tcp:default'): number => {
    const a = broker.listenerAddresses().find((x) => x.id === id);
    if (!a) throw new Error(`no listener ${id}`);
    return a.port;
  };
  return { broker, port, tcpUrl: () => `mqtt://127.0.0.1:${port()}`, stop: (opts) => broker.stop(opts) };
}

/** Connects MQTT.js and waits for CONNACK (rejects on error or after timeoutMs). */
export function connectClient(url: string, opts: IClientOptions = {}, timeoutMs = 3000, setup?: (c: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, ...opts });
    setup?.(client);
    const timer = setTimeout(() => {
      client.end(true);
      reject(new Error('connect timeout'));
    }, timeoutMs);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve(client);
    });
    client.once('error', (err) => {
      clearTimeout(timer);
      client.end(true);
      reject(err);
    });
  });
}

export type ReceivedMessage = { topic: string; payload: Buffer; packet: mqttPacket.IPublishPacket };

/** Connects MQTT.js with a message recorder attached before CONNECT, so nothing sent right after CONNACK is missed. */
export async function connectRecording(url: string, opts: IClientOptions = {}): Promise<{ client: MqttClient; messages: ReceivedMessage[] }> {
  const messages: ReceivedMessage[] = [];
  const client = await connectClient(url, opts, 3000, (c) => c.on('message', (topic, payload, packet) => messages.push({ topic, payload, packet })));
  return { client, messages };
}

export function endClient(c: MqttClient): Promise<void> {
  return new Promise((resolve) => c.end(true, {}, () => resolve()));
}

/** Next message on a client (optionally for one topic), or rejects after timeoutMs. */
export function nextMessage(
  c: MqttClient,
  timeoutMs = 2000,
  topic?: string,
): Promise<{ topic: string; payload: Buffer; packet: mqttPacket.IPublishPacket }> {
  return new Promise((resolve, reject) => {
    const onMessage = (t: string, payload: Buffer, packet: mqttPacket.IPublishPacket) => {
      if (topic !== undefined && t !== topic) return;
      clearTimeout(timer);
      c.off('message', onMessage);
      resolve({ topic: t, payload, packet });
    };
    const timer = setTimeout(() => {
      c.off('message', onMessage);
      reject(new Error(`no message${topic ? ` on ${topic}` : ''} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.on('message', onMessage);
  });
}

/** Collects messages for a while (for asserting that nothing arrives). */
export function collectMessages(c: MqttClient, ms: number): Promise<Array<{ topic: string; payload: Buffer; packet: mqttPacket.IPublishPacket }>> {
  return new Promise((resolve) => {
    const got: Array<{ topic: string; payload: Buffer; packet: mqttPacket.IPublishPacket }> = [];
    const onMessage = (topic: string, payload: Buffer, packet: mqttPacket.IPublishPacket) => got.push({ topic, payload, packet });
    c.on('message', onMessage);
    setTimeout(() => {
      c.off('message', onMessage);
      resolve(got);
    }, ms);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * MQTT Remaining Length / Variable Byte Integer (MQTT 5.0 §1.5.5), written independently of src/ so raw-byte
 * tests can build packets mqtt-packet's encoder refuses to produce.
 */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A raw TCP connection speaking MQTT bytes, decoding what the broker sends. */
export class RawClient {
  readonly packets: Packet[] = [];
  readonly bytes: Buffer[] = [];
  closed = false;
  private readonly parser;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket, version: 3 | 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      this.wake();
    });
    this.parser.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      this.bytes.push(d);
      this.parser.parse(d);
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, version: 3 | 4 | 5 = 5): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s, version)));
      s.once('error', reject);
    });
  }

  write(data: Buffer | Packet, version: 3 | 4 | 5 = 5): void {
    this.socket.write(Buffer.isBuffer(data) ? data : mqttPacket.generate(data, { protocolVersion: version }));
  }

  /** Sends a CONNECT and waits for CONNACK. */
  async handshake(clientId: string, version: 3 | 4 | 5 = 5, extra: Partial<mqttPacket.IConnectPacket> = {}): Promise<Packet> {
    this.write(
      { cmd: 'connect', clientId, protocolVersion: version, protocolId: version === 3 ? 'MQIsdp' : 'MQTT', clean: true, keepalive: 0, ...extra },
      version,
    );
    return this.waitFor('connack');
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** The next packet of this type not yet taken (rejects after timeoutMs). */
  async waitFor<C extends Packet['cmd']>(cmd: C, timeoutMs = 2000): Promise<Extract<Packet, { cmd: C }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.packets.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return this.packets.splice(i, 1)[0] as Extract<Packet, { cmd: C }>;
      if (this.closed || Date.now() >= deadline) throw new Error(`no ${cmd} (closed=${this.closed}, got ${this.packets.map((p) => p.cmd).join(',')})`);
      await this.waitChange(deadline);
    }
  }

  /** Resolves true once the broker closed the connection, false after timeoutMs. */
  async waitClosed(timeoutMs = 3000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await this.waitChange(deadline);
    return this.closed;
  }

  allBytes(): Buffer {
    return Buffer.concat(this.bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
