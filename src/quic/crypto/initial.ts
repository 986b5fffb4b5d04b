// Initial packet secrets (RFC 9001 §5.2): derived from the Destination Connection ID of the client's
// first Initial packet, so both sides (and any observer) can compute them; they protect against
// off-path injection only.
import { QUIC_VERSION_1 } from '../wire/header.js';
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { hkdfExpandLabel, hkdfExtract } from './hkdf.js';
import { CIPHER_SUITES, derivePacketProtectionKeys, unpooledCopy, type PacketProtectionKeys } from './keys.js';

/** RFC 9001 §5.2: initial_salt for QUIC version 1. */
export const INITIAL_SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');

/** RFC 9001 §5.2: Initial packets use AEAD_AES_128_GCM with SHA-256. */
export const INITIAL_CIPHER_SUITE = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;

export interface InitialSecrets {
  client: Buffer;
  server: Buffer;
}

export interface InitialKeys {
  /** Protects what the client sends. */
  client: PacketProtectionKeys;
  /** Protects what the server sends. */
  server: PacketProtectionKeys;
}

/**
 * RFC 9001 §5.2:
 *   initial_secret = HKDF-Extract(initial_salt, client_dst_connection_id)
 *   client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32)
 *   server_initial_secret = HKDF-Expand-Label(initial_secret, "server in", "", 32)
 */
export function deriveInitialSecrets(clientDcid: Uint8Array, version: number = QUIC_VERSION_1): InitialSecrets {
  if (version !== QUIC_VERSION_1) {
    throw new QuicError(TransportErrorCode.INTERNAL_ERROR, `no initial salt for version 0x${version.toString(16)}`);
  }
  const hash = INITIAL_CIPHER_SUITE.hash;
  const initial = hkdfExtract(hash, INITIAL_SALT_V1, clientDcid);
  const empty = new Uint8Array(0);
  return {
    client: hkdfExpandLabel(hash, initial, 'client in', empty, 32),
    server: hkdfExpandLabel(hash, initial, 'server in', empty, 32),
  };
}

/**
 * The last keys deriveInitialKeys made. A server derives them for the client's first Initial to open it,
 * then again for the connection the packet starts (the same Destination Connection ID): the second call
 * is served from here. Initial keys are a public function of the DCID and version (RFC 9001 §5.2: they
 * protect against off-path injection only), so keeping them reveals nothing; the entry matches only the
 * exact DCID bytes and version, and the keys are never modified in place by their users.
 */
let lastInitialKeys: { dcid: Buffer; version: number; keys: InitialKeys } | undefined;

/** Packet protection keys for both directions of the Initial encryption level. */
export function deriveInitialKeys(clientDcid: Uint8Array, version: number = QUIC_VERSION_1): InitialKeys {
  const last = lastInitialKeys;
  if (last !== undefined && last.version === version && last.dcid.equals(clientDcid)) return last.keys;
  const secrets = deriveInitialSecrets(clientDcid, version);
  const keys: InitialKeys = Object.freeze({
    client: Object.freeze(derivePacketProtectionKeys(INITIAL_CIPHER_SUITE, secrets.client)),
    server: Object.freeze(derivePacketProtectionKeys(INITIAL_CIPHER_SUITE, secrets.server)),
  });
  lastInitialKeys = { dcid: unpooledCopy(clientDcid), version, keys };
  return keys;
}
