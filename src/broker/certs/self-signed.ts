// The broker's out-of-the-box certificate: a private CA and a server certificate it signs, generated
// once into a directory (node.data_dir/certs) and reused while they stay valid. QUIC cannot run without
// TLS 1.3 and a certificate (RFC 9001 §4), so `npm start` with no configuration needs one.
//
// Files: ca.pem, ca-key.pem (0600), server.pem (leaf + CA), server-key.pem (0600). The CA lives ten
// years and is only replaced when it is missing, broken or about to expire, so clients that trust
// ca.pem keep working when the server certificate is renewed (or re-issued for new host names).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { canonicalDnsName, ipAddressOctets } from './alt-names.js';
import { CertificateGenerationError } from './errors.js';
import { derToPem, pemCertificates } from './pem.js';
import { buildCertificate, certificateSubject, keyIdentifier, type DistinguishedName } from './x509-builder.js';

/** File names inside the certificate directory. */
export const SELF_SIGNED_FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

export const SELF_SIGNED_DEFAULTS = {
  /** Certificates that expire sooner than this are replaced. */
  renewBeforeDays: 30,
  caValidityDays: 3650,
  // 397 days: the longest server certificate lifetime browsers and Apple platforms accept (CA/Browser
  // Forum Baseline Requirements §6.3.2); a private CA is not bound by it, but some clients enforce it.
  serverValidityDays: 397,
  /** notBefore is set this far in the past so a client whose clock is slightly behind accepts it. */
  backdateMinutes: 60,
  organization: 'quicmq',
} as const;

// 16 random octets (RFC 5280 §4.1.2.2: positive, unique per CA; CA/B BR §7.1 asks for 64+ random bits).
const SERIAL_OCTETS = 16;
const DAY_MS = 86_400_000;
const PRIVATE_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;
// Permission bits for group and others: a private key with any of them set is readable by other users.
const GROUP_OTHER_BITS = 0o077;

/** The two logger methods used (a pino Logger fits). */
export interface CertificateLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SelfSignedOptions {
  /** DNS names for subjectAltName (e.g. localhost, the machine's host name). */
  hostnames: readonly string[];
  /** IP addresses for subjectAltName (e.g. 127.0.0.1, ::1). */
  ips: readonly string[];
  /** The current time (default: now). */
  now?: Date;
  logger?: CertificateLogger;
  renewBeforeDays?: number;
  caValidityDays?: number;
  serverValidityDays?: number;
  /** Subject organization (O) of both certificates. */
  organization?: string;
}

export interface SelfSignedCertificates {
  /** Server certificate chain (leaf, then the CA): the listener's certfile. */
  certfile: string;
  /** Server private key: the listener's keyfile. */
  keyfile: string;
  /** The CA certificate clients trust (`--cafile`). */
  cafile: string;
  /** True when a certificate was written by this call, false when the existing files were reused. */
  generated: boolean;
}

interface LoadedCa {
  cert: X509Certificate;
  key: KeyObject;
  pem: string;
}

type Check<T> = { ok: true; value: T } | { ok: false; reason: string; existed: boolean };

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Why a certificate cannot be (re)used at `now`, or undefined when its validity window is fine. */
function validityProblem(cert: X509Certificate, now: Date, renewBeforeMs: number): string | undefined {
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return 'its validity dates cannot be read';
  if (notBefore > now.getTime()) return `it is not valid before ${cert.validFrom}`;
  if (notAfter - now.getTime() < renewBeforeMs) return `it expires ${cert.validTo}, within ${Math.round(renewBeforeMs / DAY_MS)} days`;
  return undefined;
}

function isP256PrivateKey(key: KeyObject): boolean {
  return key.type === 'private' && key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function loadCa(dir: string, now: Date, renewBeforeMs: number): Check<LoadedCa> {
  const pem = readText(join(dir, SELF_SIGNED_FILES.ca));
  const keyPem = readText(join(dir, SELF_SIGNED_FILES.caKey));
  if (pem === undefined && keyPem === undefined) return { ok: false, reason: 'no CA yet', existed: false };
  const fail = (reason: string): Check<LoadedCa> => ({ ok: false, reason, existed: true });
  if (pem === undefined) return fail(`${SELF_SIGNED_FILES.ca} is missing or unreadable`);
  if (keyPem === undefined) return fail(`${SELF_SIGNED_FILES.caKey} is missing or unreadable`);
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(pem);
    key = createPrivateKey(keyPem);
  } catch (e) {
    return fail(`the CA files cannot be parsed: ${errorText(e)}`);
  }
  if (!cert.ca) return fail(`${SELF_SIGNED_FILES.ca} is not a CA certificate`);
  if (!isP256PrivateKey(key)) return fail(`${SELF_SIGNED_FILES.caKey} is not an ECDSA P-256 private key`);
  if (!cert.checkPrivateKey(key)) return fail(`${SELF_SIGNED_FILES.caKey} does not belong to ${SELF_SIGNED_FILES.ca}`);
  if (!cert.checkIssued(cert) || !cert.verify(cert.publicKey)) return fail(`${SELF_SIGNED_FILES.ca} is not self-signed`);
  const validity = validityProblem(cert, now, renewBeforeMs);
  if (validity !== undefined) return fail(`the CA certificate cannot be reused: ${validity}`);
  return { ok: true, value: { cert, key, pem } };
}

function checkServer(dir: string, ca: LoadedCa, hostnames: readonly string[], ips: readonly string[], now: Date, renewBeforeMs: number): Check<true> {
  const pem = readText(join(dir, SELF_SIGNED_FILES.server));
  const keyPem = readText(join(dir, SELF_SIGNED_FILES.serverKey));
  if (pem === undefined && keyPem === undefined) return { ok: false, reason: 'no server certificate yet', existed: false };
  const fail = (reason: string): Check<true> => ({ ok: false, reason, existed: true });
  if (pem === undefined) return fail(`${SELF_SIGNED_FILES.server} is missing or unreadable`);
  if (keyPem === undefined) return fail(`${SELF_SIGNED_FILES.serverKey} is missing or unreadable`);
  let chain: X509Certificate[];
  let key: KeyObject;
  try {
    chain = pemCertificates(pem).map((der) => new X509Certificate(der));
    key = createPrivateKey(keyPem);
  } catch (e) {
    return fail(`the server files cannot be parsed: ${errorText(e)}`);
  }
  const leaf = chain[0];
  if (leaf === undefined) return fail(`${SELF_SIGNED_FILES.server} holds no certificate`);
  if (chain.length !== 2 || !chain[1]!.raw.equals(ca.cert.raw)) return fail(`${SELF_SIGNED_FILES.server} is not the server certificate followed by ${SELF_SIGNED_FILES.ca}`);
  if (leaf.ca) return fail('the server certificate is a CA certificate');
  if (!leaf.checkIssued(ca.cert) || !leaf.verify(ca.cert.publicKey)) return fail(`the server certificate is not signed by ${SELF_SIGNED_FILES.ca}`);
  if (!leaf.checkPrivateKey(key)) return fail(`${SELF_SIGNED_FILES.serverKey} does not belong to the server certificate`);
  const validity = validityProblem(leaf, now, renewBeforeMs);
  if (validity !== undefined) return fail(`the server certificate cannot be reused: ${validity}`);
  // RFC 9525 §6: clients match only subjectAltName entries, never the subject CN.
  const missingName = hostnames.find((h) => leaf.checkHost(h, { subject: 'never', wildcards: false }) === undefined);
  if (missingName !== undefined) return fail(`the server certificate does not name ${missingName}`);
  const missingIp = ips.find((ip) => leaf.checkIP(ip) === undefined);
  if (missingIp !== undefined) return fail(`the server certificate does not name ${missingIp}`);
  return { ok: true, value: true };
}

/**
 * Writes a file so that readers see the old or the new content, never a mix: a temporary file in the
 * same directory, flushed, then renamed over the target (rename is atomic within a file system).
 */
function writeFileAtomically(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CertificateGenerationError('CERT_FILE_IO', `cannot write ${path}: ${errorText(e)}`, { cause: e });
  }
}

function newP256KeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A random positive serial number of SERIAL_OCTETS octets (high bit clear: no sign padding needed). */
function randomSerial(): Buffer {
  const serial = randomBytes(SERIAL_OCTETS);
  serial[0] = serial[0]! & 0x7f;
  // All-zero is not positive; setting the lowest bit keeps every other bit random.
  serial[SERIAL_OCTETS - 1] = serial[SERIAL_OCTETS - 1]! | 0x01;
  return serial;
}

function privateKeyPem(key: KeyObject): string {
  // PKCS #8 (RFC 5208) "PRIVATE KEY": read by Node, OpenSSL, Go and rustls alike.
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function generateCa(dir: string, now: Date, validityDays: number, organization: string): LoadedCa {
  const keys = newP256KeyPair();
  // A per-CA suffix tells several brokers' CAs apart in a client's trust store.
  const name: DistinguishedName = { organization, commonName: `quicmq self-signed CA ${keyIdentifier(keys.publicKey).subarray(0, 4).toString('hex')}` };
  const der = buildCertificate({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore: new Date(now.getTime() - SELF_SIGNED_DEFAULTS.backdateMinutes * 60_000),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    publicKey: keys.publicKey,
    issuerPublicKey: keys.publicKey,
    signingKey: keys.privateKey,
    // pathLen 0: this CA signs server certificates only, never another CA (RFC 5280 §4.2.1.9).
    ca: { pathLength: 0 },
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  const pem = derToPem('CERTIFICATE', der);
  // Key first: a crash between the two writes leaves a pair that does not match, which the next start
  // detects and replaces, instead of a new certificate beside an old key.
  writeFileAtomically(join(dir, SELF_SIGNED_FILES.caKey), privateKeyPem(keys.privateKey), PRIVATE_FILE_MODE);
  writeFileAtomically(join(dir, SELF_SIGNED_FILES.ca), pem, PUBLIC_FILE_MODE);
  return { cert: new X509Certificate(der), key: keys.privateKey, pem };
}

function generateServer(dir: string, ca: LoadedCa, hostnames: readonly string[], ips: readonly string[], now: Date, validityDays: number, organization: string): void {
  const keys = newP256KeyPair();
  const first = hostnames[0] ?? ips[0]!;
  const der = buildCertificate({
    serialNumber: randomSerial(),
    subject: { organization, commonName: first.length <= 64 ? first : 'quicmq broker' },
    // The CA's subject bytes verbatim: issuer and subject must match exactly (RFC 5280 §7.1).
    issuer: certificateSubject(ca.cert.raw),
    notBefore: new Date(now.getTime() - SELF_SIGNED_DEFAULTS.backdateMinutes * 60_000),
    // Never beyond the CA: a chain is only valid while every certificate in it is (RFC 5280 §6.1.3).
    notAfter: new Date(Math.min(now.getTime() + validityDays * DAY_MS, Date.parse(ca.cert.validTo))),
    publicKey: keys.publicKey,
    issuerPublicKey: ca.cert.publicKey,
    signingKey: ca.key,
    // ECDSA signs the TLS 1.3 CertificateVerify (RFC 8446 §4.4.3): digitalSignature is the only usage.
    keyUsage: ['digitalSignature'],
    extendedKeyUsage: ['serverAuth'],
    dnsNames: hostnames,
    ipAddresses: ips,
  });
  writeFileAtomically(join(dir, SELF_SIGNED_FILES.serverKey), privateKeyPem(keys.privateKey), PRIVATE_FILE_MODE);
  writeFileAtomically(join(dir, SELF_SIGNED_FILES.server), derToPem('CERTIFICATE', der) + ca.pem, PUBLIC_FILE_MODE);
}

function canonicalNames(hostnames: readonly string[], ips: readonly string[]): { hostnames: string[]; ips: string[] } {
  const dns = [...new Set(hostnames.map(canonicalDnsName))];
  const seen = new Set<string>();
  const addresses: string[] = [];
  for (const ip of ips) {
    const key = ipAddressOctets(ip).toString('hex');
    if (!seen.has(key)) {
      seen.add(key);
      addresses.push(ip);
    }
  }
  if (dns.length + addresses.length === 0) throw new CertificateGenerationError('CERT_INVALID_NAME', 'a server certificate needs at least one host name or IP address');
  return { hostnames: dns, ips: addresses };
}

function warnIfKeyReadableByOthers(path: string, logger: CertificateLogger | undefined): void {
  if (process.platform === 'win32' || logger === undefined) return;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & GROUP_OTHER_BITS) !== 0) logger.warn({ file: path, mode: mode.toString(8) }, `private key ${path} is readable by other users; chmod 600 it`);
  } catch {
    // It was just read successfully; a race with its removal is reported on the next start.
  }
}

/**
 * Returns a CA and a server certificate in `dir`, generating what is missing, broken, expiring within
 * renewBeforeDays, or not naming every requested host name and IP. A valid CA is kept when only the
 * server certificate needs replacing. Throws CertificateGenerationError (CERT_INVALID_NAME for a bad
 * name, CERT_FILE_IO when the directory cannot be written).
 *
 * Not safe for two processes on one directory at once (each would write its own CA); the broker's
 * data_dir belongs to one broker.
 */
export function ensureSelfSignedCertificates(dir: string, opts: SelfSignedOptions): SelfSignedCertificates {
  const now = opts.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new CertificateGenerationError('CERT_INVALID_VALUE', 'opts.now is an invalid Date');
  const days = (name: string, value: number | undefined, fallback: number): number => {
    const d = value ?? fallback;
    if (!Number.isFinite(d) || d < 0 || (name !== 'renewBeforeDays' && d === 0)) throw new CertificateGenerationError('CERT_INVALID_VALUE', `opts.${name} must be a positive number of days, got ${d}`);
    return d;
  };
  const renewBeforeMs = days('renewBeforeDays', opts.renewBeforeDays, SELF_SIGNED_DEFAULTS.renewBeforeDays) * DAY_MS;
  const caValidityDays = days('caValidityDays', opts.caValidityDays, SELF_SIGNED_DEFAULTS.caValidityDays);
  const serverValidityDays = days('serverValidityDays', opts.serverValidityDays, SELF_SIGNED_DEFAULTS.serverValidityDays);
  const organization = opts.organization ?? SELF_SIGNED_DEFAULTS.organization;
  const { hostnames, ips } = canonicalNames(opts.hostnames, opts.ips);
  const files = {
    certfile: join(dir, SELF_SIGNED_FILES.server),
    keyfile: join(dir, SELF_SIGNED_FILES.serverKey),
    cafile: join(dir, SELF_SIGNED_FILES.ca),
  };
  const log = opts.logger;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CertificateGenerationError('CERT_FILE_IO', `cannot create the certificate directory ${dir}: ${errorText(e)}`, { cause: e });
  }
  const hint = `clients trust it with --cafile ${files.cafile} (e.g. quicmq sub -L quic://localhost -t '#' --cafile ${files.cafile}), or skip verification with --insecure`;

  const loaded = loadCa(dir, now, renewBeforeMs);
  let ca: LoadedCa;
  if (loaded.ok) {
    ca = loaded.value;
    const server = checkServer(dir, ca, hostnames, ips, now, renewBeforeMs);
    if (server.ok) {
      warnIfKeyReadableByOthers(join(dir, SELF_SIGNED_FILES.caKey), log);
      warnIfKeyReadableByOthers(files.keyfile, log);
      log?.info({ ...files, generated: false }, `using the self-signed certificate in ${dir}; ${hint}`);
      return { ...files, generated: false };
    }
    if (server.existed) log?.info({ file: files.certfile, reason: server.reason }, `renewing the self-signed server certificate: ${server.reason}`);
  } else {
    if (loaded.existed) {
      log?.warn({ file: files.cafile, reason: loaded.reason }, `replacing the self-signed CA (${loaded.reason}); clients that trust the old ${files.cafile} need the new one`);
    }
    ca = generateCa(dir, now, caValidityDays, organization);
  }
  generateServer(dir, ca, hostnames, ips, now, serverValidityDays, organization);
  log?.info({ ...files, generated: true, hostnames, ips }, `generated a self-signed certificate in ${dir}; ${hint}`);
  return { ...files, generated: true };
}
