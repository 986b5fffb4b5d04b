// quicmq's broker under test, in a process of its own: `new Broker` with the default configuration and
// three listeners on 127.0.0.1 with OS-chosen ports, MQTT over TCP, TLS (ssl) and QUIC, the TLS and QUIC
// ones with the same ECDSA certificate. WebSocket listeners off, logs silent. The ports are reported as
// mqtt-tcp, mqtt-tls and mqtt-quic.
import { Broker } from '../../src/broker/broker.js';
import { defaultBrokerConfig } from '../../src/broker/config/defaults.js';
import { createQuicListener } from '../../src/broker/listeners/quic-listener.js';
import { reportStartFailure, serveControl } from './child-control.js';
import { loadPki } from './pki.js';
import type { MqttTransport } from './protocol.js';
import { BENCH_IDLE_TIMEOUT_MS } from './settings.js';

const LISTENER_IDS: Record<MqttTransport, string> = { 'mqtt-tcp': 'tcp:bench', 'mqtt-tls': 'ssl:bench', 'mqtt-quic': 'quic:bench' };

try {
  const pki = loadPki();
  const config = defaultBrokerConfig();
  const bind = '127.0.0.1:0';
  const maxConnections = 100_000;
  const tcp = { enabled: true, bind, max_connections: maxConnections };
  const ssl = { ...tcp, ssl_options: { ...(Object.values(config.listeners.ssl)[0]?.ssl_options ?? defaultSslOptions()), keyfile: pki.keyFile, certfile: pki.certFile } };
  const quicDefaults = config.listeners.quic['default'];
  if (!quicDefaults) throw new Error('the default configuration has no listeners.quic.default');
  config.listeners = {
    tcp: { bench: tcp },
    ssl: { bench: ssl },
    ws: {},
    wss: {},
    // 0-RTT on, for the resumed connect-to-CONNACK figure (it changes nothing for connections without a ticket).
    quic: { bench: { ...quicDefaults, ...tcp, keyfile: pki.keyFile, certfile: pki.certFile, idle_timeout: BENCH_IDLE_TIMEOUT_MS, enable_0rtt: true } },
  };
  config.log.level = 'silent';
  const broker = new Broker({ config, quicListenerFactory: createQuicListener });
  await broker.start();
  const ports: Record<string, number> = {};
  for (const [transport, id] of Object.entries(LISTENER_IDS)) {
    const address = broker.listenerAddresses().find((a) => a.id === id);
    if (!address) throw new Error(`the broker started without its ${id} listener`);
    ports[transport] = address.port;
  }
  serveControl(ports, { connections: () => 0, stop: () => broker.stop({ reason: 'benchmark finished' }) });
} catch (e) {
  reportStartFailure(e);
}

/** The TLS listener's settings when the defaults have no ssl listener to copy them from. */
function defaultSslOptions() {
  return { keyfile: '', certfile: '', verify: 'verify_none' as const, fail_if_no_peer_cert: false, versions: ['tlsv1.3' as const, 'tlsv1.2' as const] };
}
