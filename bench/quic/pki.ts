// The test PKI every server and client of the QUIC benchmark uses: one ECDSA P-256 server certificate
// (SAN localhost, 127.0.0.1) for QUIC, TLS and quiche alike, so the handshakes compare like with like.
import { readFileSync } from 'node:fs';
import { certPath } from '../../test/helpers/certs.js';

export const SERVER_CERT_FILE = 'server-ecdsa-chain.pem';
export const SERVER_KEY_FILE = 'server-ecdsa-key.pem';
export const CA_FILE = 'ca.pem';
/** The name the clients verify the certificate against (SNI). */
export const SERVER_NAME = 'localhost';
/** ALPN of the raw QUIC benchmarks (handshakes, bulk); MQTT uses `mqtt`. */
export const BENCH_ALPN = 'quicmq-bench';

export interface Pki {
  cert: string;
  key: string;
  ca: string;
  certFile: string;
  keyFile: string;
  caFile: string;
}

export function loadPki(): Pki {
  const certFile = certPath(SERVER_CERT_FILE);
  const keyFile = certPath(SERVER_KEY_FILE);
  const caFile = certPath(CA_FILE);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), ca: readFileSync(caFile, 'utf8'), certFile, keyFile, caFile };
}
