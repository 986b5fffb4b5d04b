// Builds the listeners the config enables. QUIC has its own listener (EMQX-compatible MQTT over QUIC,
// DESIGN.md); it plugs in here through `quicListenerFactory` once it exists.
import type { BrokerConfig, QuicListenerConfig } from '../config/types.js';
import type { Listener, ListenerDeps } from './listener.js';
import { TcpListener } from './tcp-listener.js';
import { SslListener } from './ssl-listener.js';
import { WsListener } from './ws-listener.js';

export type QuicListenerFactory = (name: string, config: QuicListenerConfig, deps: ListenerDeps) => Listener;

export class ListenerConfigError extends Error {
  override readonly name = 'ListenerConfigError';
  readonly code = 'LISTENER_UNSUPPORTED';
}

export function createListeners(config: BrokerConfig, deps: ListenerDeps, quicListenerFactory?: QuicListenerFactory): Listener[] {
  const out: Listener[] = [];
  const l = config.listeners;
  for (const [name, c] of Object.entries(l.tcp)) if (c.enabled) out.push(new TcpListener(name, c, deps));
  for (const [name, c] of Object.entries(l.ssl)) if (c.enabled) out.push(new SslListener(name, c, deps));
  for (const [name, c] of Object.entries(l.ws)) if (c.enabled) out.push(new WsListener(name, c, deps));
  for (const [name, c] of Object.entries(l.wss)) if (c.enabled) out.push(new WsListener(name, c, deps));
  for (const [name, c] of Object.entries(l.quic)) {
    if (!c.enabled) continue;
    if (!quicListenerFactory) throw new ListenerConfigError(`listeners.quic.${name}: QUIC listener not available in this build`);
    out.push(quicListenerFactory(name, c, deps));
  }
  return out;
}
