// The IPC messages between the QUIC benchmark's coordinator (run.ts) and its child processes: the servers
// under test (server-process.ts, broker-process.ts) and the idle-connection workers (idle-worker.ts).

/** The transports the benchmark compares. `quiche` is @matrixai/quic, the outside reference. */
export type ServerKind = 'quicmq' | 'tls' | 'tcp' | 'quiche';
export const SERVER_KINDS: readonly ServerKind[] = ['quicmq', 'tls', 'tcp', 'quiche'];

/** Child -> coordinator, once: listening (ports by listener name) or could not start. */
export type ChildHello = { type: 'ready'; ports: Record<string, number> } | { type: 'failed'; error: string };

/** Coordinator -> child. */
export type ChildCommand =
  | { id: number; type: 'memory' }
  | { id: number; type: 'stop' }
  /** Idle workers only: open `count` idle connections of `kind` to 127.0.0.1:`port`, stopping at `deadlineMs` (epoch ms). */
  | { id: number; type: 'open'; kind: IdleKind; port: number; count: number; deadlineMs: number }
  /** Idle workers only: close every connection held. */
  | { id: number; type: 'release' };

/** What the idle-connection test holds open: completed handshakes, nothing sent after. */
export type IdleKind = 'quicmq' | 'tls' | 'tcp';

export interface ChildMemory {
  /** V8 heap in use after two full garbage collections (needs --expose-gc). */
  heapUsed: number;
  rss: number;
  /** Connections the child holds open right now. */
  connections: number;
}

/** Child -> coordinator, answering a command with the same id. */
export type ChildReply =
  | { id: number; type: 'memory'; memory: ChildMemory }
  | { id: number; type: 'stopped' }
  | { id: number; type: 'opened'; opened: number; errors: string[] }
  | { id: number; type: 'released' };

/** The broker listeners MQTT is measured over. */
export type MqttTransport = 'mqtt-quic' | 'mqtt-tls' | 'mqtt-tcp';
