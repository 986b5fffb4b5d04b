// quicmq's QUIC library (RFC 9000, 9001, 9002; DESIGN.md "The QUIC core"): imports nothing else from
// src/, so it could be published on its own. Most applications need only the first block:
//
//   const server = new QuicServer({ cert, key, alpn: ['mqtt'] });
//   server.on('connection', (conn) => conn.on('stream', (s) => s.pipe(s)));
//   await server.listen(14567);
//   const conn = await connectQuic({ host: 'localhost', port: 14567, alpn: ['mqtt'], ca: [caPem] });
//   const stream = await conn.openStream();   // a Node Duplex: end() sends FIN, destroy() resets
//
// The sans-IO pieces (QuicConnection, EndpointCore) are exported for custom I/O and deterministic tests.
export * from './endpoint/index.js';

// The sans-IO connection and its options (the endpoint creates these; direct use is for custom I/O).
export { QuicConnection } from './connection/connection.js';
export type { QuicConnectionApi, ConnectionEvent, ConnectionCloseInfo, ConnectionState, OutgoingDatagram, PathAddress } from './connection/api.js';
export type { ConnectionStats } from './connection/connection-stats.js';
export {
  DEFAULT_TRANSPORT_SETTINGS,
  DEFAULT_CONNECTION_LIMITS,
  ConnectionOptionsError,
  type LocalTransportSettings,
  type ConnectionLimits,
  type QuicClientOptions as QuicConnectionClientOptions,
  type QuicServerOptions as QuicConnectionServerOptions,
  type ClientTlsSettings,
  type ServerTlsSettings,
} from './connection/options.js';

// Errors and codes a peer's close carries (RFC 9000 §20).
export { TransportErrorCode, transportErrorName, QuicError, CRYPTO_ERROR_BASE } from './wire/errors.js';
export { QUIC_VERSION_1 } from './wire/header.js';

// TLS pieces an application touches: tickets for resumption, key logging, certificate errors.
export { keyLoggerFromEnv, type KeyLogger, CertificateError, TicketKeyring, ReplayGuard, type SessionTicket } from './tls/index.js';
