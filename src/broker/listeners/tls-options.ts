// ssl_options -> node:tls server options (TLS 1.2 and 1.3; verify_peer = mutual TLS), and the check of a
// client's certificate once the handshake is done.
import { readFileSync } from 'node:fs';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { SslOptions } from '../config/types.js';

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  readonly code = 'TLS_CONFIG_INVALID';
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsConfigError(`cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function tlsServerOptions(ssl: SslOptions, handshakeTimeoutMs: number): TlsOptions {
  if (ssl.versions.length === 0) throw new TlsConfigError('ssl_options.versions is empty');
  const versions = ssl.versions.map((v) => (v === 'tlsv1.2' ? 'TLSv1.2' : 'TLSv1.3') as 'TLSv1.2' | 'TLSv1.3');
  const verifyPeer = ssl.verify === 'verify_peer';
  const opts: TlsOptions = {
    key: readPem(ssl.keyfile, 'keyfile'),
    cert: readPem(ssl.certfile, 'certfile'),
    minVersion: versions.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: versions.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
    requestCert: verifyPeer,
    // Node rejects both a missing and an invalid certificate when this is true; without
    // fail_if_no_peer_cert a missing one is allowed and an invalid one is refused in peerCheck().
    rejectUnauthorized: verifyPeer && ssl.fail_if_no_peer_cert,
    // A peer that opens TCP and stalls the handshake is dropped like one that never sends CONNECT.
    handshakeTimeout: handshakeTimeoutMs,
  };
  if (ssl.cacertfile) opts.ca = readPem(ssl.cacertfile, 'cacertfile');
  return opts;
}

export type PeerCheck = { ok: true; commonName?: string } | { ok: false; reason: string };

/** With verify_peer: a presented certificate must verify; its subject CN identifies the client. */
export function peerCheck(socket: TLSSocket, ssl: SslOptions): PeerCheck {
  if (ssl.verify !== 'verify_peer') return { ok: true };
  const cert = socket.getPeerCertificate();
  const presented = cert && Object.keys(cert).length > 0;
  if (!presented) return ssl.fail_if_no_peer_cert ? { ok: false, reason: 'no client certificate' } : { ok: true };
  if (!socket.authorized) return { ok: false, reason: `client certificate rejected: ${String(socket.authorizationError)}` };
  const cn = cert.subject?.CN;
  return typeof cn === 'string' ? { ok: true, commonName: cn } : { ok: true };
}

/**
 * The connection details a TLS peer adds (its certificate's common name), or undefined when peerCheck
 * refuses it: the refusal is logged, and the caller closes the connection.
 */
export function admitTlsPeer(
  socket: TLSSocket,
  ssl: SslOptions,
  log: { logger: Logger; listener: string; remote: string },
): { certCommonName?: string } | undefined {
  const check = peerCheck(socket, ssl);
  if (!check.ok) {
    log.logger.info({ listener: log.listener, remote: log.remote, reason: check.reason }, 'TLS client refused');
    return undefined;
  }
  return check.commonName !== undefined ? { certCommonName: check.commonName } : {};
}
