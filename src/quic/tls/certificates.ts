// Certificates for the TLS 1.3 engine: loading PEM chains and keys, trust stores, and validating a
// peer's chain (RFC 8446 §4.4.2.4) by building a path to a trust anchor and checking it as RFC 5280 §6
// describes (signatures, validity, basicConstraints, pathLen, key usage), plus the server's name
// (RFC 9525). Signatures are checked by node:crypto (OpenSSL); structure is read by certificate-fields.ts.
import { X509Certificate, createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Alert } from './alerts.js';
import { CertificateParseError, KeyUsageBit, Oid, parseCertificateFields, type CertificateFields } from './certificate-fields.js';
import { serverNameMatches } from './server-identity.js';

export type CertificateErrorReason =
  | 'empty'
  | 'malformed'
  | 'expired'
  | 'not_yet_valid'
  | 'unknown_ca'
  | 'bad_signature'
  | 'hostname_mismatch'
  | 'not_a_ca'
  | 'bad_key_usage'
  | 'chain_too_long'
  | 'self_signed'
  /** A certificate in the path has a critical extension this validator does not implement (RFC 5280 §4.2). */
  | 'unsupported_extension';

// The TLS alert each failure maps to. RFC 8446 §6.2 gives each alert's meaning; the choice below follows
// that text. OpenSSL's ssl_x509err2alert differs for not_yet_valid (bad_certificate), bad_signature
// (decrypt_error), and not_a_ca / chain_too_long (unknown_ca); peers treat all of these as fatal either way.
const ALERT_FOR_REASON: Record<CertificateErrorReason, number> = {
  empty: Alert.decode_error, // §4.4.2.4: an empty server Certificate -> decode_error
  malformed: Alert.bad_certificate, // "A certificate was corrupt"
  expired: Alert.certificate_expired,
  not_yet_valid: Alert.certificate_expired, // "has expired or is not currently valid"
  unknown_ca: Alert.unknown_ca,
  self_signed: Alert.unknown_ca, // no anchor vouches for it (OpenSSL: DEPTH_ZERO_SELF_SIGNED)
  bad_signature: Alert.bad_certificate, // "contained signatures that did not verify correctly"
  hostname_mismatch: Alert.bad_certificate,
  not_a_ca: Alert.bad_certificate,
  bad_key_usage: Alert.unsupported_certificate, // as OpenSSL's X509_V_ERR_INVALID_PURPOSE
  chain_too_long: Alert.bad_certificate,
  unsupported_extension: Alert.unsupported_certificate,
};

/** A certificate (chain) was rejected; `alert` is the TLS alert to send (RFC 8446 §6.2). */
export class CertificateError extends Error {
  readonly code = 'ERR_TLS_CERTIFICATE';
  readonly alert: number;
  constructor(
    readonly reason: CertificateErrorReason,
    message: string,
    alert?: number,
  ) {
    super(message);
    this.name = 'CertificateError';
    this.alert = alert ?? ALERT_FOR_REASON[reason];
  }
}

/** A private key could not be loaded or is of a type TLS 1.3 signing here does not support. */
export class PrivateKeyError extends Error {
  readonly code = 'ERR_TLS_PRIVATE_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'PrivateKeyError';
  }
}

/** Limits of chain validation; a peer's chain cannot make validation do more work than this. */
export const CHAIN_LIMITS = {
  /** Default `maxDepth`: certificates above the leaf in the validated path (intermediates + anchor). */
  defaultMaxDepth: 8,
  /** More certificates than this in one Certificate message are refused outright. */
  maxPresentedCertificates: 32,
  /** Signature verifications one validation may spend exploring candidate paths (Go uses 100). */
  maxSignatureChecks: 64,
} as const;

// ---------------------------------------------------------------------------------------------------
// Parsing

interface ParsedCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  readonly fields: CertificateFields;
  /** "CN=..., O=..." for messages. */
  readonly label: string;
  readonly issuerLabel: string;
  readonly selfIssued: boolean;
  /** base64 of `der`, the key of Anchors.byDer (made on first use). */
  derKey?: string;
  /** The subject public key (made on first use; X509Certificate.publicKey builds a new KeyObject per call). */
  publicKey?: KeyObject;
  /**
   * Issuers whose key this certificate's signature verified with. Both sides are immutable objects
   * parsed from exact DER bytes, so a verification that succeeded once succeeds again (see signedBy).
   * Weak, so a remembered issuer does not outlive its own cache entry or trust store.
   */
  readonly signedByIssuers: WeakSet<ParsedCertificate>;
}

const nameLabel = (name: string): string => name.split('\n').join(', ');

function parseCertificate(der: Uint8Array, what: string): ParsedCertificate {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  let x509: X509Certificate;
  let fields: CertificateFields;
  try {
    x509 = new X509Certificate(buf);
    fields = parseCertificateFields(buf);
  } catch (err) {
    const detail = err instanceof CertificateParseError ? err.message : 'not a DER X.509 certificate';
    throw new CertificateError('malformed', `${what} cannot be parsed: ${detail}`);
  }
  return {
    der: buf,
    x509,
    fields,
    label: nameLabel(x509.subject),
    issuerLabel: nameLabel(x509.issuer),
    selfIssued: fields.rawIssuer.equals(fields.rawSubject),
    signedByIssuers: new WeakSet(),
  };
}

// ---------------------------------------------------------------------------------------------------
// Cache of parsed peer certificates
//
// A client meets the same server chain on every connection (and a server the same client certificates),
// and parsing it (node's X509Certificate plus certificate-fields.ts) and checking its signatures cost
// more than the rest of the handshake's cryptography together. Parsing is a pure function of the DER
// bytes, and so is a signature check of those bytes against an issuer parsed from its own exact bytes;
// the cache therefore keys on the complete DER (a Map string key compares every byte: no hash that a
// peer could collide) and only memoises those pure results. Everything that depends on the handshake
// is still decided on every validation: path building against *this* trust store's anchors, validity
// periods against `now`, basicConstraints, key usage and EKU for the purpose, and the host name.

/** Limits of the parsed-certificate cache (least recently used goes first). */
export const CERTIFICATE_CACHE_LIMITS = {
  /** Distinct certificates kept. */
  maxEntries: 64,
  /** Larger certificates are parsed every time rather than kept (bounds the cache's memory). */
  maxDerBytes: 16 * 1024,
} as const;

const certificateCache = new Map<string, ParsedCertificate>();
const certificateCacheCounters = { hits: 0, misses: 0 };

/** Counters of the parsed-certificate cache (for tests and diagnostics). */
export function certificateCacheStats(): { size: number; hits: number; misses: number } {
  return { size: certificateCache.size, ...certificateCacheCounters };
}

/** Empties the parsed-certificate cache and resets its counters. */
export function clearCertificateCache(): void {
  certificateCache.clear();
  certificateCacheCounters.hits = 0;
  certificateCacheCounters.misses = 0;
}

const cacheKeyOf = (der: Uint8Array): string =>
  Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');

/** parseCertificate through the cache. A certificate that does not parse is never cached. */
function parseCertificateCached(der: Uint8Array, what: string): ParsedCertificate {
  if (der.byteLength > CERTIFICATE_CACHE_LIMITS.maxDerBytes) return parseCertificate(der, what);
  const key = cacheKeyOf(der);
  const hit = certificateCache.get(key);
  if (hit !== undefined) {
    certificateCacheCounters.hits++;
    certificateCache.delete(key);
    certificateCache.set(key, hit);
    return hit;
  }
  certificateCacheCounters.misses++;
  // Parse from a private copy: the caller's bytes (a view into a received packet) may be reused later.
  const parsed = parseCertificate(Buffer.from(der), what);
  certificateCache.set(key, parsed);
  if (certificateCache.size > CERTIFICATE_CACHE_LIMITS.maxEntries) certificateCache.delete(certificateCache.keys().next().value!);
  return parsed;
}

function publicKeyOf(cert: ParsedCertificate): KeyObject {
  cert.publicKey ??= cert.x509.publicKey;
  return cert.publicKey;
}

/**
 * The public key of a DER certificate, for checking the peer's CertificateVerify (RFC 8446 §4.4.3):
 * from the cache when the chain was just validated, else parsed here. Undefined when node:crypto cannot
 * read it.
 */
export function certificatePublicKey(der: Uint8Array): KeyObject | undefined {
  if (der.byteLength <= CERTIFICATE_CACHE_LIMITS.maxDerBytes) {
    const hit = certificateCache.get(cacheKeyOf(der));
    if (hit !== undefined) return publicKeyOf(hit);
  }
  try {
    return new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength)).publicKey;
  } catch {
    return undefined;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

function pemText(pem: string | Uint8Array): string {
  return typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength).toString('latin1');
}

/**
 * The certificates of a PEM file as DER, in file order (a chain file lists the leaf first). A
 * Uint8Array that is itself one DER certificate is accepted too. Throws CertificateError ('empty' when
 * there is no certificate, 'malformed' when one does not parse).
 */
export function loadCertificateChain(pem: string | Uint8Array): Uint8Array[] {
  if (typeof pem !== 'string' && pem.length > 0 && pem[0] === 0x30) {
    parseCertificate(pem, 'DER certificate');
    return [Uint8Array.from(pem)];
  }
  const chain: Uint8Array[] = [];
  for (const match of pemText(pem).matchAll(PEM_CERTIFICATE)) {
    const der = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
    parseCertificate(der, `PEM certificate #${chain.length + 1}`);
    chain.push(new Uint8Array(der));
  }
  if (chain.length === 0) throw new CertificateError('empty', 'no "BEGIN CERTIFICATE" block found in the PEM input');
  return chain;
}

/**
 * A private key from PEM: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE
 * KEY"). Only key types TLS 1.3 can sign CertificateVerify with here are accepted: RSA, ECDSA on P-256 or
 * P-384, Ed25519 (RFC 8446 §4.2.3). Throws PrivateKeyError.
 */
export function loadPrivateKey(pem: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem' });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new PrivateKeyError(`cannot read the private key (PEM PKCS#8, PKCS#1 or SEC1 expected; encrypted keys are not supported): ${why}`);
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa' || type === 'ed25519') return key;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1' || curve === 'secp384r1') return key;
    throw new PrivateKeyError(`EC private key on curve ${curve ?? 'unknown'} is not supported (P-256 or P-384 expected)`);
  }
  throw new PrivateKeyError(`private key type ${type ?? 'unknown'} is not supported (RSA, EC P-256/P-384 or Ed25519 expected)`);
}

/** Is `key` the private key of the certificate's public key? (A server configuration check.) */
export function privateKeyMatchesCertificate(key: KeyObject, certDer: Uint8Array): boolean {
  try {
    const fromKey = createPublicKey(key).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(Buffer.from(certDer)).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** The last (most specific) commonName of the subject, e.g. a mutual-TLS client's identity. */
export function certificateSubjectCommonName(der: Uint8Array): string | undefined {
  try {
    const names = parseCertificateFields(der).subjectCommonNames;
    return names[names.length - 1];
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// Trust stores

interface Anchors {
  /** By the subject's DER (exact match, RFC 5280 §7.1's common case). */
  readonly bySubject: Map<string, ParsedCertificate[]>;
  /** By OpenSSL's rendering of the subject, which also matches differently encoded equal names. */
  readonly bySubjectText: Map<string, ParsedCertificate[]>;
  readonly byDer: Set<string>;
  readonly count: number;
}

const anchorsOf = new WeakMap<TrustStore, Anchors>();

/** A set of trust anchors (opaque; made by createTrustStore). */
export class TrustStore {
  /** Number of trust anchors. */
  get size(): number {
    return anchorsOf.get(this)?.count ?? 0;
  }
}

const subjectKey = (rawName: Buffer): string => rawName.toString('base64');

let nodeRootStore: TrustStore | undefined;

/**
 * A trust store of the CA certificates in the given PEM texts (each may hold several), or of Node's
 * bundled root certificates (tls.rootCertificates) when none are given.
 */
export function createTrustStore(caPems?: Array<string | Uint8Array>): TrustStore {
  if (caPems === undefined || caPems.length === 0) {
    // A root this validator cannot parse is left out rather than making every default store fail.
    nodeRootStore ??= buildTrustStore([...rootCertificates], true);
    return nodeRootStore;
  }
  // Clients pass the same CA files to every connection: parsing and indexing them per handshake cost
  // more than the handshake's own signature checks. A TrustStore never changes once built, so one per
  // distinct CA set is shared; the cache is small and bounded (least recently used goes first).
  const key = trustStoreCacheKey(caPems);
  const cached = trustStoreCache.get(key);
  if (cached !== undefined) {
    trustStoreCache.delete(key);
    trustStoreCache.set(key, cached);
    return cached;
  }
  const store = buildTrustStore(caPems);
  trustStoreCache.set(key, store);
  if (trustStoreCache.size > TRUST_STORE_CACHE_SIZE) trustStoreCache.delete(trustStoreCache.keys().next().value!);
  return store;
}

/** Distinct CA sets whose parsed trust store createTrustStore keeps. */
export const TRUST_STORE_CACHE_SIZE = 16;
const trustStoreCache = new Map<string, TrustStore>();

/** SHA-256 over the CA inputs (kind, length and bytes of each), so equal contents share a store. */
function trustStoreCacheKey(pems: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const pem of pems) {
    const bytes = typeof pem === 'string' ? Buffer.from(pem, 'utf8') : pem;
    hash.update(`${typeof pem === 'string' ? 's' : 'b'}${bytes.byteLength}:`);
    hash.update(bytes);
  }
  return hash.digest('base64');
}

function buildTrustStore(pems: Array<string | Uint8Array>, skipMalformed = false): TrustStore {
  const bySubject = new Map<string, ParsedCertificate[]>();
  const bySubjectText = new Map<string, ParsedCertificate[]>();
  const byDer = new Set<string>();
  for (const pem of pems) {
    let chain: Uint8Array[];
    try {
      chain = loadCertificateChain(pem);
    } catch (err) {
      if (skipMalformed) continue;
      throw err;
    }
    for (const der of chain) {
      const cert = parseCertificate(der, 'trust anchor');
      const derKey = cert.der.toString('base64');
      cert.derKey = derKey;
      if (byDer.has(derKey)) continue;
      byDer.add(derKey);
      addTo(bySubject, subjectKey(cert.fields.rawSubject), cert);
      addTo(bySubjectText, cert.x509.subject, cert);
    }
  }
  const store = new TrustStore();
  anchorsOf.set(store, { bySubject, bySubjectText, byDer, count: byDer.size });
  return store;
}

function addTo(map: Map<string, ParsedCertificate[]>, key: string, cert: ParsedCertificate): void {
  const list = map.get(key);
  if (list) list.push(cert);
  else map.set(key, [cert]);
}

// ---------------------------------------------------------------------------------------------------
// Chain validation

export interface VerifyChainOptions {
  readonly trust: TrustStore;
  /** The name the client connected to (DNS name or IP literal); checked against the leaf's SAN. */
  readonly serverName?: string;
  /** Which side presented the chain: 'server' needs EKU serverAuth, 'client' clientAuth (when EKU is present). */
  readonly purpose: 'server' | 'client';
  readonly now: Date;
  /** Certificates allowed above the leaf in the validated path (default CHAIN_LIMITS.defaultMaxDepth). */
  readonly maxDepth?: number;
}

/**
 * Validates a peer's certificate_list (leaf first; RFC 8446 §4.4.2: the other certificates may come in
 * any order and may include ones that are not needed). Throws CertificateError; returns when the chain
 * is acceptable.
 */
export function verifyCertificateChain(chainDer: Uint8Array[], opts: VerifyChainOptions): void {
  if (chainDer.length === 0) {
    // RFC 8446 §4.4.2.4: an empty server Certificate is a decode_error; a client that sends none when one is
    // required gets certificate_required.
    const alert = opts.purpose === 'client' ? Alert.certificate_required : Alert.decode_error;
    throw new CertificateError('empty', `the ${opts.purpose} sent no certificate`, alert);
  }
  if (chainDer.length > CHAIN_LIMITS.maxPresentedCertificates) {
    throw new CertificateError(
      'chain_too_long',
      `the ${opts.purpose} sent ${chainDer.length} certificates (at most ${CHAIN_LIMITS.maxPresentedCertificates} accepted)`,
    );
  }
  const anchors = anchorsOf.get(opts.trust);
  if (anchors === undefined) throw new TypeError('opts.trust is not a TrustStore made by createTrustStore');
  if (Number.isNaN(opts.now.getTime())) throw new TypeError('opts.now is an invalid Date');
  const leaf = parseCertificateCached(chainDer[0]!, 'the leaf certificate');
  const presented = chainDer.slice(1).map((der, i) => parseCertificateCached(der, `certificate #${i + 2} of the chain`));
  const maxDepth = opts.maxDepth ?? CHAIN_LIMITS.defaultMaxDepth;

  new PathBuilder(anchors, presented, maxDepth, (path) => checkPath(path, opts)).build(leaf);
  checkLeaf(leaf, opts);
}

// Failures of complete paths (leaf to anchor, rejected by the path checks) outrank failures to find one.
const COMPLETE_PATH_RANK = 1_000;

/**
 * Depth-first search from the leaf to a trust anchor, trying anchors before presented certificates.
 * Every complete path goes through `checkPath`; when it is rejected the search goes on, so an alternative
 * path (e.g. to a newer root when a presented cross-signed intermediate has expired) still succeeds.
 */
class PathBuilder {
  private signatureChecks = 0;
  private failure: { error: CertificateError; rank: number } | undefined;

  constructor(
    private readonly anchors: Anchors,
    private readonly presented: readonly ParsedCertificate[],
    private readonly maxDepth: number,
    private readonly checkPath: (path: readonly ParsedCertificate[]) => void,
  ) {}

  build(leaf: ParsedCertificate): ParsedCertificate[] {
    const path = this.extend([leaf]);
    if (path) return path;
    throw this.failure!.error;
  }

  private fail(error: CertificateError, rank: number): undefined {
    // Keep the failure of the branch that got furthest: it is the most telling one.
    if (this.failure === undefined || rank > this.failure.rank) this.failure = { error, rank };
    return undefined;
  }

  private complete(path: ParsedCertificate[]): ParsedCertificate[] | undefined {
    try {
      this.checkPath(path);
      return path;
    } catch (err) {
      if (!(err instanceof CertificateError)) throw err;
      return this.fail(err, COMPLETE_PATH_RANK + path.length);
    }
  }

  private isAnchor(cert: ParsedCertificate): boolean {
    cert.derKey ??= cert.der.toString('base64');
    return this.anchors.byDer.has(cert.derKey);
  }

  private extend(path: ParsedCertificate[]): ParsedCertificate[] | undefined {
    const cur = path[path.length - 1]!;
    // A presented certificate that is itself a trust anchor ends the path (this also covers a directly
    // trusted, pinned leaf).
    if (this.isAnchor(cur)) return this.complete(path);
    if (path.length - 1 >= this.maxDepth) {
      return this.fail(
        new CertificateError('chain_too_long', `no trust anchor within ${this.maxDepth} certificates above the leaf`),
        path.length,
      );
    }
    const candidates = this.issuerCandidates(cur, path);
    if (candidates.length === 0) {
      if (path.length === 1 && cur.selfIssued) {
        return this.fail(
          new CertificateError('self_signed', `certificate '${cur.label}' is self-signed and not in the trust store`),
          path.length,
        );
      }
      const message = cur.selfIssued
        ? `the chain ends at the root '${cur.label}', which is not in the trust store`
        : `unable to find the issuer '${cur.issuerLabel}' of '${cur.label}' in the trust store`;
      return this.fail(new CertificateError('unknown_ca', message), path.length);
    }
    for (const candidate of candidates) {
      if (this.signatureChecks >= CHAIN_LIMITS.maxSignatureChecks) {
        return this.fail(
          new CertificateError('chain_too_long', `gave up building a path after ${CHAIN_LIMITS.maxSignatureChecks} signature checks`),
          Number.MAX_SAFE_INTEGER,
        );
      }
      this.signatureChecks++;
      if (!ACCEPTED_CERTIFICATE_SIGNATURES.has(cur.fields.signatureAlgorithm)) {
        // RFC 8446 §4.4.2.2: a chain we cannot accept ends with unsupported_certificate by default.
        return this.fail(
          new CertificateError(
            'bad_signature',
            `'${cur.label}' is signed with algorithm ${cur.fields.signatureAlgorithm}, which is not accepted (SHA-256 or stronger RSA, ECDSA or EdDSA required)`,
            Alert.unsupported_certificate,
          ),
          path.length + 1,
        );
      }
      if (!signedBy(cur, candidate)) {
        this.fail(
          new CertificateError('bad_signature', `the signature on '${cur.label}' does not verify with the key of '${candidate.label}'`),
          path.length + 1,
        );
        continue;
      }
      const found = this.extend([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  }

  /** Certificates whose subject is `cur`'s issuer (RFC 5280 §6.1.3 (a)(4)), anchors first, not already on the path. */
  private issuerCandidates(cur: ParsedCertificate, path: readonly ParsedCertificate[]): ParsedCertificate[] {
    const onPath = (c: ParsedCertificate): boolean => path.some((p) => p.der.equals(c.der));
    const byName = (c: ParsedCertificate): boolean =>
      c.fields.rawSubject.equals(cur.fields.rawIssuer) || c.x509.subject === cur.x509.issuer;
    const fromAnchors = [
      ...(this.anchors.bySubject.get(subjectKey(cur.fields.rawIssuer)) ?? []),
      ...(this.anchors.bySubjectText.get(cur.x509.issuer) ?? []),
    ];
    const out: ParsedCertificate[] = [];
    for (const c of [...fromAnchors, ...this.presented.filter(byName)]) {
      if (!onPath(c) && !out.some((o) => o.der.equals(c.der))) out.push(c);
    }
    return out;
  }
}

// Certificate signature algorithms accepted on the certificates whose signatures we check: those behind
// the schemes we list in signature_algorithms_cert (RFC 8446 §4.2.3; signatures.ts), so no MD5 or SHA-1
// (RFC 9155 deprecates SHA-1 signatures in TLS). OIDs from RFC 4055, RFC 5758 and RFC 8410.
const ACCEPTED_CERTIFICATE_SIGNATURES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.11', 'sha256WithRSAEncryption'],
  ['1.2.840.113549.1.1.12', 'sha384WithRSAEncryption'],
  ['1.2.840.113549.1.1.13', 'sha512WithRSAEncryption'],
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'],
  ['1.2.840.10045.4.3.2', 'ecdsa-with-SHA256'],
  ['1.2.840.10045.4.3.3', 'ecdsa-with-SHA384'],
  ['1.2.840.10045.4.3.4', 'ecdsa-with-SHA512'],
  ['1.3.101.112', 'Ed25519'],
  ['1.3.101.113', 'Ed448'],
]);

/**
 * Does `issuer`'s key verify `subject`'s signature? A success is remembered on the subject: the signature
 * covers the subject's exact bytes and the key is the issuer's exact bytes, and both objects are
 * immutable parses of those bytes, so the answer cannot change. A failure is not remembered (rare, and
 * not worth keeping for a peer that sends garbage).
 */
function signedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (subject.signedByIssuers.has(issuer)) return true;
  let ok: boolean;
  try {
    ok = subject.x509.verify(publicKeyOf(issuer));
  } catch {
    ok = false; // an issuer key or signature algorithm OpenSSL cannot use
  }
  if (ok) subject.signedByIssuers.add(issuer);
  return ok;
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function purposeOid(purpose: 'server' | 'client'): string {
  return purpose === 'server' ? Oid.serverAuth : Oid.clientAuth;
}

function ekuAllows(fields: CertificateFields, purpose: 'server' | 'client'): boolean {
  const eku = fields.extendedKeyUsage;
  return eku === undefined || eku.includes(purposeOid(purpose)) || eku.includes(Oid.anyExtendedKeyUsage);
}

/** RFC 5280 §6.1.3 / §6.1.4 checks on every certificate of a built path (leaf at 0, anchor last). */
function checkPath(path: readonly ParsedCertificate[], opts: VerifyChainOptions): void {
  const now = opts.now.getTime();
  for (const [i, cert] of path.entries()) {
    const who = i === 0 ? '' : ` (issuer '${cert.label}')`;
    const { fields } = cert;
    if (fields.unprocessedCriticalExtensions.length > 0) {
      throw new CertificateError(
        'unsupported_extension',
        `certificate '${cert.label}' has unsupported critical extension(s) ${fields.unprocessedCriticalExtensions.join(', ')}`,
      );
    }
    // RFC 5280 §4.1.2.5: valid from notBefore through notAfter, both inclusive.
    if (now > fields.notAfter.getTime()) {
      throw new CertificateError('expired', `certificate expired on ${isoSeconds(fields.notAfter)}${who || ` ('${cert.label}')`}`);
    }
    if (now < fields.notBefore.getTime()) {
      throw new CertificateError('not_yet_valid', `certificate is not valid before ${isoSeconds(fields.notBefore)}${who || ` ('${cert.label}')`}`);
    }
    if (i === 0) continue;
    // A version 1/2 certificate has no basicConstraints; it can only be a configured trust anchor (as in
    // OpenSSL), never an intermediate.
    const isAnchor = i === path.length - 1;
    const legacyAnchor = isAnchor && fields.version < 3;
    if (!legacyAnchor && fields.basicConstraints?.ca !== true) {
      // RFC 5280 §6.1.4 (k)
      throw new CertificateError('not_a_ca', `certificate '${cert.label}' issued '${path[i - 1]!.label}' but is not a CA (basicConstraints CA:TRUE missing)`);
    }
    if (fields.keyUsage !== undefined && !fields.keyUsage.has(KeyUsageBit.keyCertSign)) {
      // RFC 5280 §6.1.4 (n)
      throw new CertificateError('bad_key_usage', `CA certificate '${cert.label}' does not allow certificate signing (keyUsage keyCertSign missing)`);
    }
    const pathLen = fields.basicConstraints?.pathLen;
    if (pathLen !== undefined) {
      // RFC 5280 §4.2.1.9 / §6.1.4 (l)(m): pathLen counts the non-self-issued intermediates below this CA.
      const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
      if (below > pathLen) {
        throw new CertificateError('chain_too_long', `CA certificate '${cert.label}' allows ${pathLen} intermediate(s) below it, the path has ${below}`);
      }
    }
    // An issuer restricted by extendedKeyUsage cannot vouch for other purposes (EKU chaining, as Go,
    // Mozilla and OpenSSL's purpose checks enforce).
    if (!ekuAllows(fields, opts.purpose)) {
      throw new CertificateError('bad_key_usage', `CA certificate '${cert.label}' is not allowed to issue ${opts.purpose} certificates (extendedKeyUsage)`);
    }
  }
}

/** The end-entity checks: key usage for TLS 1.3 signing, purpose, and server name. */
function checkLeaf(leaf: ParsedCertificate, opts: VerifyChainOptions): void {
  const { fields } = leaf;
  // RFC 8446 §4.4.2.2: the key signs CertificateVerify, so keyUsage (when present) must allow
  // digitalSignature (RFC 5280 §4.2.1.3).
  if (fields.keyUsage !== undefined && !fields.keyUsage.has(KeyUsageBit.digitalSignature)) {
    throw new CertificateError('bad_key_usage', `certificate '${leaf.label}' does not allow digital signatures (keyUsage)`);
  }
  // RFC 5280 §4.2.1.12: id-kp-serverAuth / id-kp-clientAuth for TLS servers / clients.
  if (!ekuAllows(fields, opts.purpose)) {
    throw new CertificateError(
      'bad_key_usage',
      `certificate '${leaf.label}' is not valid for TLS ${opts.purpose} authentication (extendedKeyUsage ${fields.extendedKeyUsage!.join(', ')})`,
    );
  }
  if (opts.serverName !== undefined && !serverNameMatches(fields.subjectAltName, opts.serverName)) {
    const san = fields.subjectAltName;
    const names = san ? [...san.dnsNames.map(printable), ...san.ipAddresses.map(ipText)] : [];
    const shown = names.length > MAX_NAMES_IN_MESSAGE ? [...names.slice(0, MAX_NAMES_IN_MESSAGE), `(${names.length - MAX_NAMES_IN_MESSAGE} more)`] : names;
    const subject = names.length > 0 ? `certificate for ${shown.join(', ')}` : `certificate '${leaf.label}' (no subjectAltName)`;
    throw new CertificateError('hostname_mismatch', `${subject} does not match host name '${opts.serverName}'`);
  }
}

// Peer-supplied names end up in error messages and logs: keep them short and printable.
const MAX_NAMES_IN_MESSAGE = 8;
const MAX_NAME_LENGTH_IN_MESSAGE = 253; // the longest DNS name (RFC 1035 §2.3.4)

function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > MAX_NAME_LENGTH_IN_MESSAGE ? `${clean.slice(0, MAX_NAME_LENGTH_IN_MESSAGE)}...` : clean;
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return groups.join(':');
  }
  return Buffer.from(bytes).toString('hex');
}
