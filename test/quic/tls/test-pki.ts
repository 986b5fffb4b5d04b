// Test identities for the TLS engine: the test PKI (scripts/gen-test-certs.sh) as { chain, key } per key
// type, trust stores, and a small OpenSSL-driven CA for certificates the fixed PKI does not have.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { certFile } from '../../helpers/certs.js';
import { createTrustStore, loadCertificateChain, loadPrivateKey, type TrustStore } from '../../../src/quic/tls/certificates.js';

export interface TlsIdentity {
  /** DER certificates, leaf first (leaf, then the issuing CA). */
  readonly chain: Uint8Array[];
  readonly key: KeyObject;
}

export type ServerKeyType = 'rsa' | 'ecdsa' | 'p384' | 'ed25519';
export const SERVER_KEY_TYPES: readonly ServerKeyType[] = ['rsa', 'ecdsa', 'p384', 'ed25519'];

/** Loads `<name>-chain.pem` and `<name>-key.pem` of the test PKI. */
export function loadIdentity(name: string): TlsIdentity {
  return {
    chain: loadCertificateChain(certFile(`${name}-chain.pem`)),
    key: loadPrivateKey(certFile(`${name}-key.pem`)),
  };
}

/** Server identity (SAN localhost, 127.0.0.1, ::1; issued by ca.pem) for a key type. */
export function serverIdentity(type: ServerKeyType): TlsIdentity {
  return loadIdentity(`server-${type}`);
}

/** The client certificate (EC P-256, SAN client.quicmq.test, CN client; issued by ca.pem). */
export function clientIdentity(): TlsIdentity {
  return loadIdentity('client');
}

/** A trust store holding the test CA (ca.pem). */
export function testCaTrustStore(): TrustStore {
  return createTrustStore([certFile('ca.pem')]);
}

/**
 * A throw-away CA built with the openssl CLI in a temporary directory, for chains with intermediates and
 * certificates with unusual extensions. Keys are EC P-256 (fast). Call dispose() when done.
 */
export class OpensslCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'quicmq-tls-ca-'));
  private serial = 1;

  /** A self-signed certificate; `extensions` are openssl extension-file lines. */
  selfSigned(name: string, extensions: string[]): Uint8Array {
    this.request(name);
    this.openssl(['x509', '-req', '-in', `${name}.csr`, '-signkey', `${name}-key.pem`, ...this.common(name, extensions)]);
    return this.der(name);
  }

  /**
   * A certificate `name` issued by the earlier made `issuer`, with subject CN=name and a new key, or, with
   * `sameAs`, the subject and key of an earlier certificate (a re-issue or cross-signature).
   */
  issue(name: string, issuer: string, extensions: string[], opts: { days?: number; sameAs?: string; digest?: string } = {}): Uint8Array {
    this.request(name, opts.sameAs);
    this.openssl([
      'x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}-key.pem`,
      '-set_serial', String(this.serial++), ...this.common(name, extensions, opts.days, opts.digest),
    ]);
    return this.der(name);
  }

  pem(name: string): string {
    return readFileSync(join(this.dir, `${name}.pem`), 'utf8');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private request(name: string, sameAs?: string): void {
    if (sameAs === undefined) {
      this.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}-key.pem`]);
    } else {
      writeFileSync(join(this.dir, `${name}-key.pem`), readFileSync(join(this.dir, `${sameAs}-key.pem`)));
    }
    this.openssl(['req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${sameAs ?? name}`, '-out', `${name}.csr`]);
  }

  private common(name: string, extensions: string[], days = 30, digest = 'sha256'): string[] {
    writeFileSync(join(this.dir, `${name}.ext`), extensions.join('\n') + '\n');
    return ['-days', String(days), `-${digest}`, '-extfile', `${name}.ext`, '-out', `${name}.pem`];
  }

  private der(name: string): Uint8Array {
    return loadCertificateChain(this.pem(name))[0]!;
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

/** Extension lines for a CA certificate. */
export const CA_EXTENSIONS = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

/** Extension lines for a TLS server/client leaf with the given subjectAltName. */
export function leafExtensions(san: string, eku = 'serverAuth,clientAuth'): string[] {
  return [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=${eku}`,
    `subjectAltName=${san}`,
  ];
}
