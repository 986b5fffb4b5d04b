// What channels and handlers need from the broker: its parts, its config and its collaborators.
import type { Logger } from 'pino';
import type { BrokerConfig } from './config/types.js';
import type { Authenticator, Authorizer } from './auth/types.js';
import type { BrokerMetrics } from './metrics.js';
import type { Router } from './router/router.js';
import type { RetainedStore } from './retained-store.js';
import type { SessionRegistry } from './session-registry.js';
import type { Message } from './message.js';
import type { Channel } from './channel/channel.js';

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly metrics: BrokerMetrics;
  readonly router: Router;
  readonly retained: RetainedStore;
  readonly sessions: SessionRegistry;
  readonly authenticator: Authenticator | undefined;
  readonly authorizer: Authorizer | undefined;
  /** Milliseconds since the epoch; one clock for the whole broker. */
  now(): number;
  /** Stores (if retained) and routes an application message; returns the number of sessions reached. */
  publish(message: Message): number;
  /** A channel completed CONNECT. */
  onChannelConnected(channel: Channel): void;
  /** A channel closed (wasConnected: it had completed CONNECT). */
  onChannelClosed(channel: Channel, wasConnected: boolean): void;
}
