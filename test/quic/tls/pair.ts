// Test helper: a TLS client and server engine wired back to back in memory (no sockets, no timers).
import type { TlsClient } from '../../../src/quic/tls/client.js';
import type { TlsServer } from '../../../src/quic/tls/server.js';
import type { TlsEvent } from '../../../src/quic/tls/types.js';

export interface PumpResult {
  client: TlsEvent[];
  server: TlsEvent[];
}

/** Rounds of "deliver everything each side produced" before giving up (a handshake needs about 4). */
const MAX_ROUNDS = 20;

/**
 * Moves 'send' events of each engine into the other's receive() at the same level until both are
 * quiet. Returns every event (including the 'send' ones) each side emitted, in order.
 * `tamper` may rewrite or drop (return undefined) a flight in transit.
 */
export function pump(
  client: TlsClient,
  server: TlsServer,
  tamper?: (from: 'client' | 'server', ev: Extract<TlsEvent, { type: 'send' }>) => Buffer | undefined,
): PumpResult {
  const result: PumpResult = { client: [], server: [] };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let moved = false;
    for (let ev = client.poll(); ev; ev = client.poll()) {
      moved = true;
      result.client.push(ev);
      if (ev.type === 'send') {
        const data = tamper ? tamper('client', ev) : ev.data;
        if (data) server.receive(ev.level, data);
      }
    }
    for (let ev = server.poll(); ev; ev = server.poll()) {
      moved = true;
      result.server.push(ev);
      if (ev.type === 'send') {
        const data = tamper ? tamper('server', ev) : ev.data;
        if (data) client.receive(ev.level, data);
      }
    }
    if (!moved) return result;
  }
  throw new Error('engines did not settle');
}

export function eventsOf<T extends TlsEvent['type']>(events: TlsEvent[], type: T): Array<Extract<TlsEvent, { type: T }>> {
  return events.filter((e): e is Extract<TlsEvent, { type: T }> => e.type === type);
}
