// What a session ticket carries (RFC 8446 §4.6.1 leaves the format to the server): the server state
// sealed into the ticket with the TicketKeyring, and the client's serialisable SessionTicket.
import { CIPHER_SUITES, cipherSuiteById, type CipherSuiteInfo } from './cipher-suites.js';
import { Reader, Writer } from './wire.js';
import { hashLength } from '../crypto/hkdf.js';
import type { SessionTicket } from './types.js';
import { TlsAlert } from './alerts.js';

const STATE_VERSION = 1;

/** The server's state for one ticket; sealed, so only this server can read it. */
export interface TicketState {
  cipherSuite: number;
  /** Clock time (ms) the ticket was issued. */
  createdAt: number;
  lifetimeSeconds: number;
  ageAdd: number;
  maxEarlyData: number;
  /** The resumption PSK (already expanded with the ticket nonce). */
  psk: Buffer;
  alpn: string;
  serverName: string;
  /** Must match for 0-RTT (QUIC: transport parameters 0-RTT relies on). */
  earlyDataContext: Buffer;
  /** The client's certificate chain of the original handshake (mutual TLS), so a resumption keeps the identity. */
  clientCertificates: Buffer[];
}

export function encodeTicketState(s: TicketState): Buffer {
  const w = new Writer()
    .u8(STATE_VERSION)
    .u16(s.cipherSuite)
    .u32(Math.floor(s.createdAt / 2 ** 32))
    .u32(s.createdAt >>> 0)
    .u32(s.lifetimeSeconds)
    .u32(s.ageAdd)
    .u32(s.maxEarlyData)
    .opaque(1, s.psk)
    .opaque(1, Buffer.from(s.alpn, 'latin1'))
    .opaque(2, Buffer.from(s.serverName, 'latin1'))
    .opaque(2, s.earlyDataContext)
    .vector(3, (v) => s.clientCertificates.forEach((c) => v.opaque(3, c)));
  return w.finish();
}

/** Parses an opened ticket; undefined for another version or a malformed state (then: full handshake). */
export function decodeTicketState(b: Buffer): TicketState | undefined {
  try {
    const r = new Reader(b, 'ticket state');
    if (r.u8() !== STATE_VERSION) return undefined;
    const cipherSuite = r.u16();
    const createdAt = r.u32() * 2 ** 32 + r.u32();
    const lifetimeSeconds = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const psk = Buffer.from(r.vector(1));
    const alpn = r.vector(1).toString('latin1');
    const serverName = r.vector(2).toString('latin1');
    const earlyDataContext = Buffer.from(r.vector(2));
    const certs = new Reader(r.vector(3), 'ticket certificates');
    r.end();
    const clientCertificates: Buffer[] = [];
    while (certs.remaining > 0) clientCertificates.push(Buffer.from(certs.vector(3)));
    if (!cipherSuiteById(cipherSuite)) return undefined;
    return { cipherSuite, createdAt, lifetimeSeconds, ageAdd, maxEarlyData, psk, alpn, serverName, earlyDataContext, clientCertificates };
  } catch (err) {
    if (err instanceof TlsAlert) return undefined;
    throw err;
  }
}

/** The client's view of a ticket, decoded for use; undefined when the object is not a usable ticket. */
export interface ClientTicket {
  suite: CipherSuiteInfo;
  identity: Buffer;
  psk: Buffer;
  ageAdd: number;
  lifetimeSeconds: number;
  receivedAt: number;
  maxEarlyData: number;
  alpn: string | undefined;
  serverName: string | undefined;
}

/** Validates a (possibly deserialised, untrusted-shape) SessionTicket. */
export function readSessionTicket(t: SessionTicket): ClientTicket | undefined {
  if (t === null || typeof t !== 'object' || t.version !== 1) return undefined;
  // Own properties only: a deserialised name such as "constructor" must not reach Object.prototype.
  const suite = typeof t.cipherSuite === 'string' && Object.hasOwn(CIPHER_SUITES, t.cipherSuite) ? CIPHER_SUITES[t.cipherSuite] : undefined;
  if (!suite || typeof t.ticket !== 'string' || typeof t.psk !== 'string') return undefined;
  const identity = Buffer.from(t.ticket, 'base64');
  const psk = Buffer.from(t.psk, 'base64');
  const u32 = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (identity.length === 0 || identity.length > 0xffff || psk.length !== hashLength(suite.hash)) return undefined;
  if (!u32(t.ageAdd) || !u32(t.lifetimeSeconds) || !u32(t.maxEarlyData) || typeof t.receivedAt !== 'number') return undefined;
  return {
    suite,
    identity,
    psk,
    ageAdd: t.ageAdd,
    lifetimeSeconds: t.lifetimeSeconds,
    receivedAt: t.receivedAt,
    maxEarlyData: t.maxEarlyData,
    alpn: typeof t.alpn === 'string' ? t.alpn : undefined,
    serverName: typeof t.serverName === 'string' ? t.serverName : undefined,
  };
}
