// Extension blocks (RFC 8446 §4.2): parsing with the "which extension may appear in which message"
// table, duplicate detection, and the encoders/decoders of each extension body this engine uses.
import { alert } from './alerts.js';
import { ExtensionType as X } from './constants.js';
import { Reader, Writer, readU16List } from './wire.js';

/** The messages that carry extensions, named as in the RFC 8446 §4.2 table. */
export type ExtensionContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

type Ctx = 'CH' | 'SH' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';
const ctxCode: Record<ExtensionContext, Ctx> = {
  client_hello: 'CH',
  server_hello: 'SH',
  hello_retry_request: 'HRR',
  encrypted_extensions: 'EE',
  certificate: 'CT',
  certificate_request: 'CR',
  new_session_ticket: 'NST',
};

/** RFC 8446 §4.2 table (+ RFC 8449 record_size_limit, RFC 9001 §8.2 quic_transport_parameters). */
const allowedIn = new Map<number, readonly Ctx[]>([
  [X.server_name, ['CH', 'EE']],
  [X.max_fragment_length, ['CH', 'EE']],
  [X.status_request, ['CH', 'CR', 'CT']],
  [X.supported_groups, ['CH', 'EE']],
  [X.signature_algorithms, ['CH', 'CR']],
  [X.use_srtp, ['CH', 'EE']],
  [X.heartbeat, ['CH', 'EE']],
  [X.application_layer_protocol_negotiation, ['CH', 'EE']],
  [X.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [X.client_certificate_type, ['CH', 'EE']],
  [X.server_certificate_type, ['CH', 'EE']],
  [X.padding, ['CH']],
  [X.record_size_limit, ['CH', 'EE']],
  [X.pre_shared_key, ['CH', 'SH']],
  [X.early_data, ['CH', 'EE', 'NST']],
  [X.supported_versions, ['CH', 'SH', 'HRR']],
  [X.cookie, ['CH', 'HRR']],
  [X.psk_key_exchange_modes, ['CH']],
  [X.certificate_authorities, ['CH', 'CR']],
  [X.oid_filters, ['CR']],
  [X.post_handshake_auth, ['CH']],
  [X.signature_algorithms_cert, ['CH', 'CR']],
  [X.key_share, ['CH', 'SH', 'HRR']],
  [X.quic_transport_parameters, ['CH', 'EE']],
]);

/**
 * Messages whose receiver MUST ignore unknown extensions (RFC 8446 §4.1.2 for ClientHello, §4.3.2
 * CertificateRequest, §4.6.1 NewSessionTicket). In the others an unknown extension is an unsolicited
 * response: unsupported_extension (§4.2).
 */
const ignoresUnknown: ReadonlySet<Ctx> = new Set(['CH', 'CR', 'NST']);

/** A parsed extension block: type -> body, in arrival order (Map preserves insertion order). */
export type Extensions = Map<number, Buffer>;

/** Parses the content of an `Extension extensions<0..2^16-1>` vector (without its length prefix). */
export function parseExtensions(data: Buffer, context: ExtensionContext): Extensions {
  const ctx = ctxCode[context];
  const r = new Reader(data, `${context} extensions`);
  const out: Extensions = new Map();
  while (r.remaining > 0) {
    const type = r.u16();
    const body = r.vector(2);
    // RFC 8446 §4.2: at most one extension of each type per block.
    if (out.has(type)) throw alert('illegal_parameter', `${context}: duplicate extension ${type}`);
    // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
    if (ctx === 'CH' && out.has(X.pre_shared_key)) {
      throw alert('illegal_parameter', 'client_hello: pre_shared_key is not the last extension');
    }
    const allowed = allowedIn.get(type);
    if (allowed === undefined) {
      if (!ignoresUnknown.has(ctx)) throw alert('unsupported_extension', `${context}: unsolicited extension ${type}`);
    } else if (!allowed.includes(ctx)) {
      // RFC 8446 §4.2: a recognised extension in a message it is not specified for.
      throw alert('illegal_parameter', `${context}: extension ${type} is not allowed in this message`);
    }
    out.set(type, body);
  }
  return out;
}

/** Encodes an extension block as a complete `extensions<0..2^16-1>` vector (with length). */
export function encodeExtensions(w: Writer, exts: ReadonlyArray<readonly [number, Uint8Array]>): void {
  w.vector(2, (v) => {
    for (const [type, body] of exts) v.u16(type).opaque(2, body);
  });
}

// ---- server_name (RFC 6066 §3) ----

/** Returns the host_name of a ClientHello server_name extension (undefined if none of type 0). */
export function decodeServerName(data: Buffer): string | undefined {
  const r = new Reader(data, 'server_name');
  const list = new Reader(r.vector(2, 1), 'server_name list');
  r.end();
  let host: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8();
    const name = list.vector(2, 1);
    if (nameType !== 0) continue;
    // RFC 6066 §3: no more than one name of a type; the name is ASCII without a trailing dot.
    if (host !== undefined) throw alert('illegal_parameter', 'server_name: two host_name entries');
    for (const c of name) {
      if (c <= 0x20 || c >= 0x7f) throw alert('illegal_parameter', 'server_name: host_name is not printable ASCII');
    }
    host = name.toString('latin1');
  }
  return host;
}

export function encodeServerName(host: string): Buffer {
  return new Writer().vector(2, (w) => w.u8(0).opaque(2, Buffer.from(host, 'ascii'))).finish();
}

// ---- application_layer_protocol_negotiation (RFC 7301 §3.1) ----

export function decodeAlpn(data: Buffer): string[] {
  const r = new Reader(data, 'alpn');
  const list = new Reader(r.vector(2, 2), 'alpn list');
  r.end();
  const out: string[] = [];
  while (list.remaining > 0) out.push(list.vector(1, 1).toString('latin1'));
  return out;
}

export function encodeAlpn(protocols: readonly string[]): Buffer {
  return new Writer()
    .vector(2, (w) => {
      for (const p of protocols) w.opaque(1, Buffer.from(p, 'latin1'));
    })
    .finish();
}

// ---- supported_versions (RFC 8446 §4.2.1) ----

export function decodeSupportedVersionsClient(data: Buffer): number[] {
  const r = new Reader(data, 'supported_versions');
  const list = r.vector(1, 2, 254);
  r.end();
  return readU16List(list, 'supported_versions');
}
export function decodeSupportedVersionServer(data: Buffer): number {
  const r = new Reader(data, 'supported_versions');
  const v = r.u16();
  r.end();
  return v;
}
export const encodeSupportedVersionsClient = (versions: readonly number[]): Buffer =>
  new Writer().vector(1, (w) => versions.forEach((v) => w.u16(v))).finish();
export const encodeSupportedVersionServer = (version: number): Buffer => new Writer().u16(version).finish();

// ---- supported_groups (§4.2.7), signature_algorithms(_cert) (§4.2.3) ----

/** Both are a `uint16 list<2..2^16-1>`. */
export function decodeU16ListExtension(data: Buffer, what: string): number[] {
  const r = new Reader(data, what);
  const list = r.vector(2, 2);
  r.end();
  return readU16List(list, what);
}
export const encodeU16ListExtension = (values: readonly number[]): Buffer =>
  new Writer().vector(2, (w) => values.forEach((v) => w.u16(v))).finish();

// ---- key_share (§4.2.8) ----

export interface KeyShareEntry {
  group: number;
  keyExchange: Buffer;
}

function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  const keyExchange = r.vector(2, 1);
  return { group, keyExchange };
}

export function decodeKeyShareClient(data: Buffer): KeyShareEntry[] {
  const r = new Reader(data, 'key_share');
  const list = new Reader(r.vector(2), 'key_share list');
  r.end();
  const out: KeyShareEntry[] = [];
  const seen = new Set<number>(); // a Set, not a scan: a 64 KiB hello can hold thousands of entries
  while (list.remaining > 0) {
    const e = readKeyShareEntry(list);
    // §4.2.8: clients MUST NOT offer two shares for the same group; servers MAY check.
    if (seen.has(e.group)) throw alert('illegal_parameter', 'key_share: two shares for one group');
    seen.add(e.group);
    out.push(e);
  }
  return out;
}
export function decodeKeyShareServer(data: Buffer): KeyShareEntry {
  const r = new Reader(data, 'key_share');
  const e = readKeyShareEntry(r);
  r.end();
  return e;
}
export function decodeKeyShareRetry(data: Buffer): number {
  const r = new Reader(data, 'key_share');
  const g = r.u16();
  r.end();
  return g;
}
export const encodeKeyShareClient = (entries: readonly KeyShareEntry[]): Buffer =>
  new Writer()
    .vector(2, (w) => {
      for (const e of entries) w.u16(e.group).opaque(2, e.keyExchange);
    })
    .finish();
export const encodeKeyShareServer = (e: KeyShareEntry): Buffer =>
  new Writer().u16(e.group).opaque(2, e.keyExchange).finish();
export const encodeKeyShareRetry = (group: number): Buffer => new Writer().u16(group).finish();

// ---- psk_key_exchange_modes (§4.2.9) ----

export function decodePskModes(data: Buffer): number[] {
  const r = new Reader(data, 'psk_key_exchange_modes');
  const list = r.vector(1, 1);
  r.end();
  return [...list];
}
export const encodePskModes = (modes: readonly number[]): Buffer =>
  new Writer().opaque(1, Uint8Array.from(modes)).finish();

// ---- pre_shared_key (§4.2.11) ----

export interface PskIdentity {
  identity: Buffer;
  obfuscatedTicketAge: number;
}
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Buffer[];
  /** Bytes of the binders vector including its 2-byte length: Truncate(ClientHello) drops them (§4.2.11.2). */
  bindersLength: number;
}

export function decodePreSharedKeyClient(data: Buffer): OfferedPsks {
  const r = new Reader(data, 'pre_shared_key');
  const ids = new Reader(r.vector(2, 7), 'pre_shared_key identities');
  const bindersStart = r.offset;
  const bs = new Reader(r.vector(2, 33), 'pre_shared_key binders');
  r.end();
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) identities.push({ identity: ids.vector(2, 1), obfuscatedTicketAge: ids.u32() });
  const binders: Buffer[] = [];
  while (bs.remaining > 0) binders.push(bs.vector(1, 32));
  // §4.2.11: one binder per identity.
  if (binders.length !== identities.length) {
    throw alert('illegal_parameter', 'pre_shared_key: binder count differs from identity count');
  }
  return { identities, binders, bindersLength: data.length - bindersStart };
}
export function encodePreSharedKeyClient(identities: readonly PskIdentity[], binders: readonly Uint8Array[]): Buffer {
  return new Writer()
    .vector(2, (w) => {
      for (const id of identities) w.opaque(2, id.identity).u32(id.obfuscatedTicketAge);
    })
    .vector(2, (w) => {
      for (const b of binders) w.opaque(1, b);
    })
    .finish();
}
/** Length of the binders vector for binders of these sizes (to build the truncated ClientHello first). */
export const bindersVectorLength = (binderLengths: readonly number[]): number =>
  2 + binderLengths.reduce((a, n) => a + 1 + n, 0);

export function decodePreSharedKeyServer(data: Buffer): number {
  const r = new Reader(data, 'pre_shared_key');
  const v = r.u16();
  r.end();
  return v;
}
export const encodePreSharedKeyServer = (selected: number): Buffer => new Writer().u16(selected).finish();

// ---- early_data (§4.2.10), cookie (§4.2.2) ----

export function expectEmpty(data: Buffer, what: string): void {
  if (data.length !== 0) throw alert('decode_error', `${what}: expected an empty extension`);
}
export function decodeEarlyDataTicket(data: Buffer): number {
  const r = new Reader(data, 'early_data');
  const v = r.u32();
  r.end();
  return v;
}
export const encodeEarlyDataTicket = (max: number): Buffer => new Writer().u32(max).finish();

export function decodeCookie(data: Buffer): Buffer {
  const r = new Reader(data, 'cookie');
  const c = r.vector(2, 1);
  r.end();
  return c;
}
export const encodeCookie = (cookie: Uint8Array): Buffer => new Writer().opaque(2, cookie).finish();
