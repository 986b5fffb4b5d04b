// Handshake message codec (RFC 8446 §4): body decoders that reject truncation, bad lengths and
// trailing bytes with decode_error, and encoders that produce complete messages (4-byte header).
import { alert } from './alerts.js';
import { HELLO_RETRY_REQUEST_RANDOM, HandshakeType } from './constants.js';
import { encodeExtensions, parseExtensions, type Extensions } from './extensions.js';
import { Reader, Writer, readU16List } from './wire.js';

export type ExtensionList = ReadonlyArray<readonly [number, Uint8Array]>;

/** RFC 8446 §4: `struct { HandshakeType msg_type; uint24 length; ... } Handshake`. */
export function encodeHandshake(type: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = type;
  out.writeUIntBE(body.length, 1, 3);
  out.set(body, 4);
  return out;
}

// ---- ClientHello (§4.1.2) ----

export interface ClientHello {
  legacyVersion: number;
  random: Buffer;
  legacySessionId: Buffer;
  cipherSuites: number[];
  extensions: Extensions;
}

export function decodeClientHello(body: Buffer): ClientHello {
  const r = new Reader(body, 'client_hello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionId = r.vector(1, 0, 32);
  const cipherSuites = readU16List(r.vector(2, 2), 'client_hello cipher_suites');
  const compression = r.vector(1, 1);
  // §4.1.2: a TLS 1.3 ClientHello carries exactly one compression method, null (0).
  if (compression.length !== 1 || compression[0] !== 0) {
    throw alert('illegal_parameter', 'client_hello: legacy_compression_methods must be exactly [null]');
  }
  // A pre-TLS-1.3 ClientHello may omit extensions; the state machine then answers protocol_version.
  const extensions = r.remaining === 0 ? new Map<number, Buffer>() : parseExtensions(r.vector(2), 'client_hello');
  r.end();
  return { legacyVersion, random, legacySessionId, cipherSuites, extensions };
}

export interface ClientHelloFields {
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: readonly number[];
  extensions: ExtensionList;
}

export function encodeClientHello(ch: ClientHelloFields): Buffer {
  const w = new Writer()
    .u16(0x0303) // §4.1.2 legacy_version
    .bytes(ch.random)
    .opaque(1, ch.legacySessionId)
    .vector(2, (v) => ch.cipherSuites.forEach((s) => v.u16(s)))
    .opaque(1, Uint8Array.of(0));
  encodeExtensions(w, ch.extensions);
  return encodeHandshake(HandshakeType.client_hello, w.finish());
}

// ---- ServerHello / HelloRetryRequest (§4.1.3, §4.1.4) ----

export interface ServerHello {
  legacyVersion: number;
  random: Buffer;
  legacySessionIdEcho: Buffer;
  cipherSuite: number;
  /** True when random is the HelloRetryRequest magic value. */
  isRetry: boolean;
  extensions: Extensions;
}

export function decodeServerHello(body: Buffer): ServerHello {
  const r = new Reader(body, 'server_hello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionIdEcho = r.vector(1, 0, 32);
  const cipherSuite = r.u16();
  const compression = r.u8();
  if (compression !== 0) throw alert('illegal_parameter', 'server_hello: legacy_compression_method must be 0');
  const isRetry = random.equals(HELLO_RETRY_REQUEST_RANDOM);
  // A TLS 1.2 ServerHello may omit extensions; the client then answers protocol_version.
  const extensions =
    r.remaining === 0 ? new Map<number, Buffer>() : parseExtensions(r.vector(2), isRetry ? 'hello_retry_request' : 'server_hello');
  r.end();
  return { legacyVersion, random, legacySessionIdEcho, cipherSuite, isRetry, extensions };
}

export function encodeServerHello(sh: {
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  extensions: ExtensionList;
}): Buffer {
  const w = new Writer().u16(0x0303).bytes(sh.random).opaque(1, sh.legacySessionIdEcho).u16(sh.cipherSuite).u8(0);
  encodeExtensions(w, sh.extensions);
  return encodeHandshake(HandshakeType.server_hello, w.finish());
}

// ---- EncryptedExtensions (§4.3.1) ----

export function decodeEncryptedExtensions(body: Buffer): Extensions {
  const r = new Reader(body, 'encrypted_extensions');
  const exts = parseExtensions(r.vector(2), 'encrypted_extensions');
  r.end();
  return exts;
}
export function encodeEncryptedExtensions(extensions: ExtensionList): Buffer {
  const w = new Writer();
  encodeExtensions(w, extensions);
  return encodeHandshake(HandshakeType.encrypted_extensions, w.finish());
}

// ---- CertificateRequest (§4.3.2) ----

export interface CertificateRequest {
  context: Buffer;
  extensions: Extensions;
}
export function decodeCertificateRequest(body: Buffer): CertificateRequest {
  const r = new Reader(body, 'certificate_request');
  const context = r.vector(1);
  const extensions = parseExtensions(r.vector(2, 2), 'certificate_request');
  r.end();
  return { context, extensions };
}
export function encodeCertificateRequest(context: Uint8Array, extensions: ExtensionList): Buffer {
  const w = new Writer().opaque(1, context);
  encodeExtensions(w, extensions);
  return encodeHandshake(HandshakeType.certificate_request, w.finish());
}

// ---- Certificate (§4.4.2) ----

export interface CertificateMessage {
  context: Buffer;
  /** DER certificates, leaf first. */
  certificates: Buffer[];
}
export function decodeCertificate(body: Buffer): CertificateMessage {
  const r = new Reader(body, 'certificate');
  const context = r.vector(1);
  const list = new Reader(r.vector(3), 'certificate_list');
  r.end();
  const certificates: Buffer[] = [];
  while (list.remaining > 0) {
    certificates.push(list.vector(3, 1));
    // Per-entry extensions (OCSP status, SCT): parsed for validity; we never request them, so any
    // present one is unsolicited (unsupported_extension, §4.4.2).
    parseExtensions(list.vector(2), 'certificate');
  }
  return { context, certificates };
}
export function encodeCertificate(context: Uint8Array, certificates: readonly Uint8Array[]): Buffer {
  const w = new Writer()
    .opaque(1, context)
    .vector(3, (l) => {
      for (const c of certificates) l.opaque(3, c).u16(0);
    });
  return encodeHandshake(HandshakeType.certificate, w.finish());
}

// ---- CertificateVerify (§4.4.3) ----

export interface CertificateVerify {
  scheme: number;
  signature: Buffer;
}
export function decodeCertificateVerify(body: Buffer): CertificateVerify {
  const r = new Reader(body, 'certificate_verify');
  const scheme = r.u16();
  const signature = r.vector(2);
  r.end();
  return { scheme, signature };
}
export const encodeCertificateVerify = (scheme: number, signature: Uint8Array): Buffer =>
  encodeHandshake(HandshakeType.certificate_verify, new Writer().u16(scheme).opaque(2, signature).finish());

// ---- Finished (§4.4.4) ----

export function decodeFinished(body: Buffer, hashLength: number): Buffer {
  if (body.length !== hashLength) throw alert('decode_error', `finished: verify_data is ${body.length} bytes, expected ${hashLength}`);
  return body;
}
export const encodeFinished = (verifyData: Uint8Array): Buffer => encodeHandshake(HandshakeType.finished, verifyData);

// ---- NewSessionTicket (§4.6.1) ----

export interface NewSessionTicket {
  lifetimeSeconds: number;
  ageAdd: number;
  nonce: Buffer;
  ticket: Buffer;
  extensions: Extensions;
}
export function decodeNewSessionTicket(body: Buffer): NewSessionTicket {
  const r = new Reader(body, 'new_session_ticket');
  const lifetimeSeconds = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vector(1);
  const ticket = r.vector(2, 1);
  const extensions = parseExtensions(r.vector(2), 'new_session_ticket');
  r.end();
  return { lifetimeSeconds, ageAdd, nonce, ticket, extensions };
}
export function encodeNewSessionTicket(t: {
  lifetimeSeconds: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: ExtensionList;
}): Buffer {
  const w = new Writer().u32(t.lifetimeSeconds).u32(t.ageAdd).opaque(1, t.nonce).opaque(2, t.ticket);
  encodeExtensions(w, t.extensions);
  return encodeHandshake(HandshakeType.new_session_ticket, w.finish());
}

// ---- KeyUpdate (§4.6.3) ----

export function decodeKeyUpdate(body: Buffer): boolean {
  const r = new Reader(body, 'key_update');
  const v = r.u8();
  r.end();
  if (v > 1) throw alert('illegal_parameter', `key_update: request_update ${v}`);
  return v === 1;
}
export const encodeKeyUpdate = (requestUpdate: boolean): Buffer =>
  encodeHandshake(HandshakeType.key_update, Uint8Array.of(requestUpdate ? 1 : 0));
