// What an endpoint's connections did, summed over the ones gone and the ones open: the figures behind a
// server's metrics (packets, losses, probe timeouts, migrations) and how its connections ended.
import type { ConnectionCloseInfo } from '../connection/api.js';
import type { ConnectionStats } from '../connection/connection-stats.js';
import { TransportErrorCode } from '../wire/errors.js';

/** Counters summed over connections; each only grows (a connection's final figures move in when it ends). */
export interface ConnectionTotals {
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  probeTimeouts: number;
  pathMigrations: number;
  keyUpdates: number;
}

/** How connections ended, as an operator sorts them. */
export type CloseReason = 'normal' | 'idle_timeout' | 'handshake_timeout' | 'stateless_reset' | 'transport_error' | 'application_error';

export const CLOSE_REASONS: readonly CloseReason[] = ['normal', 'idle_timeout', 'handshake_timeout', 'stateless_reset', 'transport_error', 'application_error'];

export function closeReasonOf(info: ConnectionCloseInfo): CloseReason {
  if (info.cause === 'idle') return 'idle_timeout';
  if (info.cause === 'handshake-timeout') return 'handshake_timeout';
  if (info.cause === 'stateless-reset') return 'stateless_reset';
  if (info.code === 0 || (!info.application && info.code === TransportErrorCode.NO_ERROR)) return 'normal';
  return info.application ? 'application_error' : 'transport_error';
}

export const emptyTotals = (): ConnectionTotals => ({ packetsSent: 0, packetsReceived: 0, packetsLost: 0, probeTimeouts: 0, pathMigrations: 0, keyUpdates: 0 });

/** Adds one connection's counters to `into`. */
export function addConnectionStats(into: ConnectionTotals, s: ConnectionStats): void {
  into.packetsSent += s.packetsSent;
  into.packetsReceived += s.packetsReceived;
  into.packetsLost += s.packetsLost;
  into.probeTimeouts += s.probeTimeouts;
  into.pathMigrations += s.pathMigrations;
  into.keyUpdates += s.keyUpdates;
}
