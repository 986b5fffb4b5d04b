// TLS 1.3 code points used by this engine (RFC 8446 §4, §4.2; IANA TLS registries).

/** HandshakeType, RFC 8446 §4. */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** ExtensionType, RFC 8446 §4.2 (+ RFC 6066, 7301, 9001 §8.2). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  record_size_limit: 28,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  quic_transport_parameters: 57,
} as const;

/** ProtocolVersion values. */
export const TLS12 = 0x0303;
export const TLS13 = 0x0304;

/** CipherSuite, RFC 8446 §B.4. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuiteName = keyof typeof CipherSuite;

/** NamedGroup, RFC 8446 §4.2.7 (only the ones we implement). */
export const NamedGroup = {
  secp256r1: 0x0017,
  x25519: 0x001d,
} as const;
export type NamedGroupName = keyof typeof NamedGroup;

/** PskKeyExchangeMode, RFC 8446 §4.2.9. We only do psk_dhe_ke (forward secrecy on resumption). */
export const PskMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** RFC 8446 §4.1.3: ServerHello.random of a HelloRetryRequest is SHA-256("HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
  'hex',
);

/** RFC 8446 §4.1.3 downgrade sentinels in the last 8 bytes of ServerHello.random. */
export const DOWNGRADE_TLS12 = Buffer.from('444f574e47524401', 'hex');
export const DOWNGRADE_TLS11 = Buffer.from('444f574e47524400', 'hex');

/** RFC 8446 §4.6.1: ticket_lifetime MUST NOT exceed seven days. */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;

/** RFC 9001 §4.6.1: in QUIC, max_early_data_size in NewSessionTicket MUST be 0xffffffff. */
export const QUIC_MAX_EARLY_DATA = 0xffffffff;
