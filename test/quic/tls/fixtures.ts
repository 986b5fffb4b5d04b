// Test helper: engine options over the test PKI (test/helpers/certs.ts), shared by the TLS tests.
import { certFile } from '../../helpers/certs.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { TlsServer } from '../../../src/quic/tls/server.js';
import { ReplayGuard, TicketKeyring } from '../../../src/quic/tls/tickets.js';
import type { TlsClientOptions, TlsServerOptions } from '../../../src/quic/tls/types.js';

export type ServerCert = 'server-rsa' | 'server-ecdsa' | 'server-p384' | 'server-ed25519' | 'wronghost' | 'othercaserver' | 'expired' | 'selfsigned';

export const pem = (name: string): string => certFile(name).toString('utf8');

export const CLIENT_TP = Buffer.from('0f04a1b2c3d4', 'hex');
export const SERVER_TP = Buffer.from('0004800100000f04e5f60718', 'hex');

export function serverOptions(cert: ServerCert = 'server-ecdsa', extra: Partial<TlsServerOptions> = {}): TlsServerOptions {
  const chain = cert === 'selfsigned' ? pem('selfsigned.pem') : pem(`${cert}-chain.pem`);
  return {
    mode: 'quic',
    alpn: ['mqtt'],
    transportParameters: SERVER_TP,
    certificateChain: chain,
    privateKey: pem(`${cert}-key.pem`),
    ...extra,
  };
}

export function clientOptions(extra: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return {
    mode: 'quic',
    alpn: ['mqtt'],
    transportParameters: CLIENT_TP,
    serverName: 'localhost',
    ca: [pem('ca.pem')],
    ...extra,
  };
}

/** A server context shared by the connections of one test (tickets and anti-replay). */
export function ticketing(): { ticketKeyring: TicketKeyring; replayGuard: ReplayGuard } {
  return { ticketKeyring: new TicketKeyring(), replayGuard: new ReplayGuard({ windowMs: 10_000, maxEntries: 1000 }) };
}

export function newPair(c: Partial<TlsClientOptions> = {}, s: Partial<TlsServerOptions> = {}, cert: ServerCert = 'server-ecdsa'): { client: TlsClient; server: TlsServer } {
  const client = new TlsClient(clientOptions(c));
  const server = new TlsServer(serverOptions(cert, s));
  client.start();
  return { client, server };
}
