// Fills in the certificate of every enabled QUIC listener whose keyfile and certfile are both empty
// (schema.ts: "empty: generated"), from one self-signed CA + server certificate in node.data_dir/certs.
// Files a user configured are never touched: a listener with either path set is left as it is.
import { hostname as machineHostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { BrokerConfig, QuicListenerConfig } from '../config/types.js';
import { isWildcardHost, parseBind } from '../config/units.js';
import { canonicalDnsName } from './alt-names.js';
import { CertificateGenerationError } from './errors.js';
import { ensureSelfSignedCertificates, SELF_SIGNED_FILES, type CertificateLogger, type SelfSignedCertificates } from './self-signed.js';

/** Subdirectory of node.data_dir holding the generated certificates. */
export const GENERATED_CERTS_SUBDIR = 'certs';

// Loopback names every local client can use (RFC 6761 §6.3 reserves "localhost").
const LOOPBACK_HOSTNAMES = ['localhost'];
const LOOPBACK_IPS = ['127.0.0.1', '::1'];

export interface GeneratedCertificateOptions {
  logger?: CertificateLogger;
  now?: Date;
  /** The machine's host name (default os.hostname()); left out when it is not a valid DNS name. */
  hostname?: string;
}

function isValidDnsName(name: string): boolean {
  try {
    canonicalDnsName(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Names for the server certificate: localhost, 127.0.0.1 and ::1, the machine's host name, and every
 * bind host that is not a wildcard (an IP literal as iPAddress, a name as dNSName).
 */
export function certificateNamesFor(bindHosts: readonly string[], hostname: string): { hostnames: string[]; ips: string[] } {
  const hostnames = [...LOOPBACK_HOSTNAMES];
  const ips = [...LOOPBACK_IPS];
  if (isValidDnsName(hostname)) hostnames.push(hostname);
  for (const host of bindHosts) {
    if (isWildcardHost(host)) continue;
    if (isIP(host) !== 0) ips.push(host);
    else if (isValidDnsName(host)) hostnames.push(host);
  }
  return { hostnames, ips };
}

/** Every certificate/key/CA path the config names, with the key path that names it. */
function configuredFiles(config: BrokerConfig): Array<{ path: string; key: string }> {
  const out: Array<{ path: string; key: string }> = [];
  const add = (key: string, path: string | undefined): void => {
    if (path !== undefined && path !== '') out.push({ key, path });
  };
  for (const [name, l] of Object.entries(config.listeners.quic)) {
    add(`listeners.quic.${name}.keyfile`, l.keyfile);
    add(`listeners.quic.${name}.certfile`, l.certfile);
  }
  for (const type of ['ssl', 'wss'] as const) {
    for (const [name, l] of Object.entries(config.listeners[type])) {
      add(`listeners.${type}.${name}.ssl_options.keyfile`, l.ssl_options.keyfile);
      add(`listeners.${type}.${name}.ssl_options.certfile`, l.ssl_options.certfile);
      add(`listeners.${type}.${name}.ssl_options.cacertfile`, l.ssl_options.cacertfile);
    }
  }
  return out;
}

/**
 * Generation may replace any file in `dir` it does not recognise as its own; a file the user configured
 * there must never be one of them.
 */
function refuseConfiguredGeneratedFiles(config: BrokerConfig, dir: string, generatingFor: string): void {
  const generated = new Set(Object.values(SELF_SIGNED_FILES).map((f) => resolve(dir, f)));
  for (const { key, path } of configuredFiles(config)) {
    if (generated.has(resolve(path))) {
      throw new CertificateGenerationError(
        'CERT_FILE_CONFLICT',
        `${key} is ${path}, a file the broker generates (and may replace) for listeners.quic.${generatingFor}; move it out of ${dir} or give listeners.quic.${generatingFor} its own keyfile and certfile`,
      );
    }
  }
}

function wantsGeneratedCertificate(l: QuicListenerConfig): boolean {
  return l.enabled && l.keyfile === '' && l.certfile === '';
}

/**
 * The config with generated certificate paths in every enabled QUIC listener that left keyfile and
 * certfile empty; the same object when there is none. Generates or reuses the files (see
 * ensureSelfSignedCertificates), and throws its CertificateGenerationError when they cannot be written,
 * or CERT_FILE_CONFLICT when a configured file is one of the generated ones.
 */
export function withGeneratedCertificates(config: BrokerConfig, opts: GeneratedCertificateOptions = {}): BrokerConfig {
  const wanting = Object.entries(config.listeners.quic).filter(([, l]) => wantsGeneratedCertificate(l));
  if (wanting.length === 0) return config;
  const dir = join(config.node.data_dir, GENERATED_CERTS_SUBDIR);
  refuseConfiguredGeneratedFiles(config, dir, wanting[0]![0]);
  const bindHosts = wanting.map(([, l]) => parseBind(l.bind)?.host).filter((h): h is string => h !== undefined);
  const names = certificateNamesFor(bindHosts, opts.hostname ?? machineHostname());
  const files: SelfSignedCertificates = ensureSelfSignedCertificates(dir, {
    ...names,
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.logger === undefined ? {} : { logger: opts.logger }),
  });
  const quic: Record<string, QuicListenerConfig> = {};
  for (const [name, l] of Object.entries(config.listeners.quic)) {
    quic[name] = wantsGeneratedCertificate(l) ? { ...l, keyfile: files.keyfile, certfile: files.certfile } : l;
  }
  return { ...config, listeners: { ...config.listeners, quic } };
}
