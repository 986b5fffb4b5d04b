// TLS 1.3 for QUIC (RFC 8446 + RFC 9001 §4): a sans-IO handshake engine on node:crypto.
//
// Usage from the QUIC connection (RFC 9001 §4.1):
//
//   const tls = new TlsClient({ serverName, alpn: ['mqtt'], transportParameters, ca, session, enableEarlyData });
//   tls.start();                              // emits the ClientHello at 'initial'
//   tls.receive(level, cryptoFrameBytes);     // CRYPTO stream bytes of that packet number space, in order
//   for (let ev = tls.poll(); ev; ev = tls.poll()) switch (ev.type) {
//     case 'send':  queue ev.data as CRYPTO frames at ev.level
//     case 'keys':  derive packet protection from ev.secret (RFC 9001 §5.1, "quic key"/"quic iv"/"quic hp")
//                   for ev.level/ev.direction with ev.suite ('early' = 0-RTT, 'application' = 1-RTT)
//     case 'peer-transport-parameters': decode and apply ev.data (RFC 9000 §18)
//     case 'handshake-complete': ev.alpn, ev.resumed, ev.earlyData ('rejected': resend 0-RTT data as 1-RTT)
//     case 'session-ticket': client: store ev.ticket (JSON-serialisable) for the next connection
//     case 'error': close with CONNECTION_CLOSE error ev.quicErrorCode (0x0100 + ev.alert, RFC 9001 §4.8)
//   }
//
// The server (`new TlsServer({ certificateChain, privateKey, alpn, transportParameters, ticketKeyring,
// replayGuard, enableEarlyData, earlyDataContext })`) is driven the same way without start().
// Nothing a peer sends makes receive() throw; failures end the engine with one 'error' event.
// Secrets leave the engine only in 'keys' events and through the `keylog` option (SSLKEYLOGFILE format).
// Mode 'tls' runs the same messages over a TLS record layer (TCP); see types.ts for the differences.
export { Alert, TlsAlert, alertName, quicErrorCodeForAlert } from './alerts.js';
export { CIPHER_SUITES, DEFAULT_CIPHER_SUITES, cipherSuiteById, type AeadName, type CipherSuiteInfo } from './cipher-suites.js';
export { CipherSuite, NamedGroup, type CipherSuiteName, type NamedGroupName } from './constants.js';
export { TlsConfigError } from './engine.js';
export { TlsClient, TLS_CLIENT_DEFAULTS } from './client.js';
export { TlsServer, TLS_SERVER_DEFAULTS } from './server.js';
export { exportKeyingMaterial, nextTrafficSecret, trafficKeys } from './key-schedule.js';
export { createTrustStore, loadCertificateChain, loadPrivateKey, CertificateError, type TrustStore } from './certificates.js';
export { TicketKeyring, ReplayGuard } from './tickets.js';
export { keyLoggerFromEnv, type KeyLogger } from './keylog.js';
export type {
  EarlyDataStatus,
  EncryptionLevel,
  SessionTicket,
  TlsClientOptions,
  TlsCommonOptions,
  TlsEvent,
  TlsMode,
  TlsServerOptions,
} from './types.js';
