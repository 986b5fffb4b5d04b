// quicmq under test, in a process of its own: the default configuration with one plain TCP listener on
// 127.0.0.1 and an OS-chosen port (the WebSocket listener the defaults enable is switched off).
import { Broker } from '../../../src/broker/broker.js';
import { defaultBrokerConfig } from '../../../src/broker/config/defaults.js';
import { reportStartFailure, serveControl } from './control.js';

try {
  const config = defaultBrokerConfig();
  const tcp = config.listeners.tcp['default'];
  if (!tcp) throw new Error('the default configuration has no listeners.tcp.default');
  config.listeners.tcp = { default: { ...tcp, bind: '127.0.0.1:0' } };
  for (const ws of Object.values(config.listeners.ws)) ws.enabled = false;
  for (const quic of Object.values(config.listeners.quic)) quic.enabled = false;
  config.log.level = 'silent';
  const broker = new Broker({ config });
  await broker.start();
  const address = broker.listenerAddresses().find((a) => a.type === 'tcp');
  if (!address) throw new Error('quicmq started without a TCP listener');
  serveControl(address.port, () => broker.stop({ reason: 'benchmark finished' }));
} catch (e) {
  reportStartFailure(e);
}
