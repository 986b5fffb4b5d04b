// Public types of the TLS 1.3 handshake engine: options, events and the session ticket format.
import type { KeyObject } from 'node:crypto';
import type { CipherSuiteName, NamedGroupName } from './constants.js';
import type { CipherSuiteInfo } from './cipher-suites.js';
import type { TrustStore } from './certificates.js';
import type { ReplayGuard, TicketKeyring } from './tickets.js';

/** QUIC encryption levels (RFC 9001 §4.1.4); 'tls' mode uses the same names for its record keys. */
export type EncryptionLevel = 'initial' | 'early' | 'handshake' | 'application';

/**
 * 'quic': RFC 9001 rules (ALPN and quic_transport_parameters mandatory, no middlebox compatibility, no
 * EndOfEarlyData, no KeyUpdate). 'tls': plain TLS 1.3 for running over TCP with a record layer (tests
 * against OpenSSL): no transport parameters, ALPN optional, no 0-RTT.
 */
export type TlsMode = 'quic' | 'tls';

export type EarlyDataStatus = 'accepted' | 'rejected' | 'none';

export type TlsEvent =
  /** Handshake bytes to send at `level` (QUIC: CRYPTO frames of that packet number space). */
  | { type: 'send'; level: EncryptionLevel; data: Buffer }
  /** A traffic secret to install (QUIC derives packet protection keys from it, RFC 9001 §5.1). */
  | { type: 'keys'; level: EncryptionLevel; direction: 'read' | 'write'; suite: CipherSuiteInfo; secret: Buffer }
  /** The peer's quic_transport_parameters extension body (RFC 9001 §8.2), undecoded. */
  | { type: 'peer-transport-parameters'; data: Buffer }
  | {
      type: 'handshake-complete';
      alpn: string | undefined;
      serverName: string | undefined;
      cipherSuite: CipherSuiteName;
      resumed: boolean;
      earlyData: EarlyDataStatus;
      /** The peer's certificate_list as DER, leaf first (server: client certs; empty if none/resumed without). */
      peerCertificates: Buffer[];
    }
  /** Client: a ticket to store for resumption (also given to `onSessionTicket`). */
  | { type: 'session-ticket'; ticket: SessionTicket }
  /**
   * Fatal: the engine stopped. QUIC closes with `quicErrorCode`: 0x0100 + alert (RFC 9001 §4.8), or
   * PROTOCOL_VIOLATION where RFC 9001 says so (§8.4 session id, §4.6.1 max_early_data_size).
   */
  | { type: 'error'; alert: number; message: string; quicErrorCode: number };

/**
 * A client-side session ticket (RFC 8446 §4.6.1) as a JSON-serialisable object. `psk` is a secret:
 * store tickets like passwords.
 */
export interface SessionTicket {
  version: 1;
  serverName?: string;
  alpn?: string;
  cipherSuite: CipherSuiteName;
  /** The opaque ticket (PSK identity), base64. */
  ticket: string;
  /** The resumption PSK, base64. */
  psk: string;
  ageAdd: number;
  lifetimeSeconds: number;
  /** Clock time (ms) the ticket was received; ticket age is measured from here (§4.2.11.1). */
  receivedAt: number;
  /** max_early_data_size from the ticket's early_data extension; 0 = no 0-RTT. */
  maxEarlyData: number;
  /** QUIC: the server's transport parameters of the original connection (RFC 9000 §7.4.1), base64. */
  transportParameters?: string;
}

export interface TlsCommonOptions {
  /** Default 'quic'. */
  mode?: TlsMode;
  /** ALPN protocols in preference order (mandatory in 'quic' mode, RFC 9001 §8.1). */
  alpn?: string[];
  /** Cipher suites in preference order (default AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305). */
  cipherSuites?: CipherSuiteName[];
  /** Key exchange groups in preference order (default x25519, secp256r1). */
  groups?: NamedGroupName[];
  /** Our encoded QUIC transport parameters (required in 'quic' mode). */
  transportParameters?: Uint8Array;
  /** Certificate chain, leaf first: PEM text or DER list (server; client for mutual TLS). */
  certificateChain?: string | Uint8Array[];
  /** Private key of the leaf: PEM text or a KeyObject. */
  privateKey?: string | KeyObject;
  /** CA certificates (PEM) to verify the peer with; absent = Node's root certificates. */
  ca?: Array<string | Uint8Array>;
  /** A prebuilt trust store (shared across connections); wins over `ca`. */
  trustStore?: TrustStore;
  /** Randomness (default crypto.randomBytes); injectable for reproducible tests. */
  random?: (n: number) => Uint8Array;
  /** Clock in milliseconds (default Date.now). */
  now?: () => number;
  /** Receives SSLKEYLOGFILE lines (see keylog.ts). Secrets are never reported any other way. */
  keylog?: (line: string) => void;
  /** Largest handshake message accepted (default 65536). */
  maxHandshakeMessageSize?: number;
}

export interface TlsClientOptions extends TlsCommonOptions {
  /** Name sent in SNI (not for IP literals, RFC 6066 §3) and checked against the certificate. */
  serverName?: string;
  /** Skip certificate chain and name validation (CertificateVerify is still checked). Tests only. */
  insecure?: boolean;
  /** A ticket from an earlier connection to resume with (PSK with (EC)DHE, RFC 8446 §2.2). */
  session?: SessionTicket;
  /** Offer 0-RTT when `session` allows it ('quic' mode only). */
  enableEarlyData?: boolean;
  /** Called for each ticket the server issues (in addition to the 'session-ticket' event). */
  onSessionTicket?: (ticket: SessionTicket) => void;
  /** Tickets accepted per connection (default 8); further NewSessionTickets are ignored. */
  maxSessionTickets?: number;
}

export interface TlsServerOptions extends TlsCommonOptions {
  /** Send a CertificateRequest (mutual TLS); the client chain is verified against `ca`/`trustStore`. */
  requestClientCertificate?: boolean;
  /** With requestClientCertificate: an empty client Certificate is fatal (certificate_required). */
  requireClientCertificate?: boolean;
  /** Seals session tickets; shared by all connections of a server. No keyring = no tickets, no resumption. */
  ticketKeyring?: TicketKeyring;
  /** Tickets sent after each handshake when a keyring is set (default 1). */
  sessionTickets?: number;
  /** ticket_lifetime (default 7200 s; capped at 604800, RFC 8446 §4.6.1). */
  ticketLifetimeSeconds?: number;
  /** Accept 0-RTT ('quic' mode; needs `replayGuard`). */
  enableEarlyData?: boolean;
  /**
   * Anti-replay register for 0-RTT (RFC 8446 §8.2), keyed by SHA-256 of the ticket, so a ticket gets
   * 0-RTT at most once within the register's window (§8.1). Give it a windowMs of at least
   * `ticketAgeToleranceMs`: older replays then fail the freshness check (§8.3). Without one, 0-RTT is
   * always rejected.
   */
  replayGuard?: ReplayGuard;
  /**
   * Bytes that must be equal between the ticket's connection and this one for 0-RTT to be accepted:
   * the QUIC layer passes the transport parameters 0-RTT depends on (RFC 9001 §4.6.1, RFC 9000 §7.4.1).
   */
  earlyDataContext?: Uint8Array;
  /** How far the client's ticket age may differ from ours for 0-RTT (default 10000 ms, RFC 8446 §8.3). */
  ticketAgeToleranceMs?: number;
  /** PSK identities examined in one ClientHello (default 4): bounds the work a ClientHello can cause. */
  maxPskIdentities?: number;
}
