// Public surface of the sans-IO QUIC connection, for the endpoint and for tests.
export { EARLY_DATA_REJECTED_ERROR_CODE, QuicConnection } from './connection.js';
export type {
  ConnectionCloseInfo,
  ConnectionEvent,
  ConnectionState,
  OutgoingDatagram,
  PathAddress,
  QuicConnectionApi,
} from './api.js';
export type { ConnectionStats } from './connection-stats.js';
export {
  ConnectionOptionsError,
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_TRANSPORT_SETTINGS,
  MIN_DATAGRAM_SIZE,
  type ClientTlsSettings,
  type ConnectionLimits,
  type LocalTransportSettings,
  type QuicClientOptions,
  type QuicConnectionCommonOptions,
  type QuicServerOptions,
  type ServerTlsSettings,
} from './options.js';
