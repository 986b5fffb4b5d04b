// Messages between the benchmark's coordinator (run.ts) and its child processes over the Node IPC channel:
// load workers (load-worker.ts) and broker processes (servers/*.ts). Plain data only; histograms travel as
// Float64Arrays, which the "advanced" IPC serialization carries as they are.
import type { HistogramSnapshot } from './histogram.js';

/** publisher: publishes to `topic`; subscriber: subscribes to the filter `topic`; idle: only connects. */
export type ClientRole = 'publisher' | 'subscriber' | 'idle';

export interface ClientSpec {
  clientId: string;
  role: ClientRole;
  /** Topic name for a publisher, topic filter for a subscriber, unused for idle clients. */
  topic: string;
  qos: 0 | 1;
}

/** How a worker's clients behave; the same for all of them. */
export interface LoadSettings {
  host: string;
  port: number;
  payloadBytes: number;
  /** QoS 1: PUBLISHes a publisher may have sent and not yet seen PUBACKed. */
  window: number;
  /** Messages per second per publisher; 0 = as fast as the socket takes them. */
  ratePerPublisher: number;
  /** Connection attempts in progress at once in one worker. */
  connectConcurrency: number;
  /** MQTT 3.1.1 §3.1.2.10 Keep Alive in seconds (0 = off). */
  keepaliveSeconds: number;
  /** How long a client may take to get its CONNACK and SUBACK. */
  connectTimeoutMs: number;
}

export type WorkerCommand =
  | { id: number; type: 'connect'; settings: LoadSettings; clients: ClientSpec[] }
  | { id: number; type: 'start' }
  | { id: number; type: 'measure' }
  | { id: number; type: 'collect' }
  | { id: number; type: 'teardown' };

/** What one worker counted between 'measure' and 'collect'. */
export interface WorkerSample {
  /** Length of the measured window as this worker saw it. */
  windowUs: number;
  /** PUBLISHes its publishers handed to the socket. */
  sent: number;
  /** PUBLISHes its subscribers received (with one of our timestamps). */
  received: number;
  /** PUBACKs its publishers received. */
  acked: number;
  histogram: HistogramSnapshot;
  /** Unexpected events (socket closed by the broker, protocol errors), at most a few. */
  errors: string[];
}

export type WorkerReply =
  | { id: number; ok: true; connected?: number; sample?: WorkerSample }
  | { id: number; ok: false; error: string };

/** First message of a broker process: listening on 127.0.0.1:port, or failed to start. */
export type ServerHello = { type: 'ready'; port: number } | { type: 'failed'; error: string };

export type ServerCommand = { id: number; type: 'memory' } | { id: number; type: 'stop' };

export interface ServerMemory {
  /** V8 heap in use after two full garbage collections (needs --expose-gc). */
  heapUsed: number;
  rss: number;
}

export type ServerReply = { id: number; type: 'memory'; memory: ServerMemory } | { id: number; type: 'stopped' };
