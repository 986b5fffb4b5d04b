// TLS 1.3 handshakes per second: our sans-IO engines (client and server pumped back to back in
// memory, QUIC mode) for full and resumed (PSK + ECDHE) handshakes, with the CPU time of each role
// measured separately; and, as the baseline from the same run, Node's own TLS (OpenSSL) over TCP on
// 127.0.0.1 with the same certificate. Node's numbers include its sockets and event loop, ours do not
// (the QUIC packet layer is not part of this engine), so the ratio is an upper bound for the stack.
// The four measurements alternate for ROUNDS rounds and the best of each is kept, which damps noise
// from other processes on a shared machine.
//   node --import tsx bench/tls-handshake.ts [secondsPerMeasurement=1] [cert=server-ecdsa]
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { TlsClient } from '../src/quic/tls/client.js';
import { TlsServer } from '../src/quic/tls/server.js';
import { createTrustStore, loadCertificateChain, loadPrivateKey } from '../src/quic/tls/certificates.js';
import { TicketKeyring } from '../src/quic/tls/tickets.js';
import type { SessionTicket, TlsClientOptions, TlsServerOptions } from '../src/quic/tls/types.js';
import { repoRoot } from '../test/helpers/paths.js';
import { ensureTestCerts } from '../test/helpers/certs.js';

const SECONDS = Number(process.argv[2] ?? 1);
const ROUNDS = 3;
const CERT = process.argv[3] ?? 'server-ecdsa';
/** Hard cap on iterations per measurement, whatever the clock says. */
const MAX_ITERATIONS = 100_000;

const certDir = ensureTestCerts();
const read = (name: string): string => readFileSync(join(certDir, name), 'utf8');
const chainPem = read(`${CERT}-chain.pem`);
const keyPem = read(`${CERT}-key.pem`);
const caPem = read('ca.pem');

const serverOpts: TlsServerOptions = {
  mode: 'quic',
  alpn: ['mqtt'],
  transportParameters: Buffer.alloc(40, 1),
  certificateChain: loadCertificateChain(chainPem),
  privateKey: loadPrivateKey(keyPem),
  ticketKeyring: new TicketKeyring(),
};
const clientOpts: TlsClientOptions = {
  mode: 'quic',
  alpn: ['mqtt'],
  transportParameters: Buffer.alloc(40, 2),
  serverName: 'localhost',
  trustStore: createTrustStore([caPem]),
};

interface EngineRate {
  pair: number;
  client: number;
  server: number;
}

/** One engine-to-engine handshake; returns [client ns, server ns] and the first ticket. */
function engineHandshake(session: SessionTicket | undefined): { clientNs: number; serverNs: number; ticket?: SessionTicket; resumed: boolean } {
  let clientNs = 0;
  let serverNs = 0;
  let ticket: SessionTicket | undefined;
  let resumed = false;
  let t = process.hrtime.bigint();
  const client = new TlsClient(session ? { ...clientOpts, session } : clientOpts);
  client.start();
  clientNs += Number(process.hrtime.bigint() - t);
  t = process.hrtime.bigint();
  const server = new TlsServer(serverOpts);
  serverNs += Number(process.hrtime.bigint() - t);
  for (let round = 0; round < 10; round++) {
    let moved = false;
    t = process.hrtime.bigint();
    const toServer: Array<[Parameters<TlsServer['receive']>[0], Buffer]> = [];
    for (let ev = client.poll(); ev; ev = client.poll()) {
      moved = true;
      if (ev.type === 'send') toServer.push([ev.level, ev.data]);
      else if (ev.type === 'session-ticket') ticket ??= ev.ticket;
      else if (ev.type === 'handshake-complete') resumed = ev.resumed;
      else if (ev.type === 'error') throw new Error(ev.message);
    }
    clientNs += Number(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    for (const [level, data] of toServer) server.receive(level, data);
    const toClient: Array<[Parameters<TlsClient['receive']>[0], Buffer]> = [];
    for (let ev = server.poll(); ev; ev = server.poll()) {
      moved = true;
      if (ev.type === 'send') toClient.push([ev.level, ev.data]);
      else if (ev.type === 'error') throw new Error(ev.message);
    }
    serverNs += Number(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    for (const [level, data] of toClient) client.receive(level, data);
    clientNs += Number(process.hrtime.bigint() - t);
    if (!moved) break;
  }
  return { clientNs, serverNs, ticket, resumed };
}

function engineRate(session: SessionTicket | undefined): EngineRate {
  engineHandshake(session); // warm up
  let clientNs = 0;
  let serverNs = 0;
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  while (n < MAX_ITERATIONS && process.hrtime.bigint() - start < budget) {
    const r = engineHandshake(session);
    if (r.resumed !== !!session) throw new Error('unexpected resumption state');
    clientNs += r.clientNs;
    serverNs += r.serverNs;
    n++;
  }
  const wall = Number(process.hrtime.bigint() - start);
  return { pair: (n * 1e9) / wall, client: (n * 1e9) / clientNs, server: (n * 1e9) / serverNs };
}

async function nodeRate(port: number, session: Buffer | undefined): Promise<number> {
  const connect = (): Promise<boolean> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, minVersion: 'TLSv1.3', ALPNProtocols: ['mqtt'], session }, () => {
        const reused = s.isSessionReused();
        s.destroy();
        resolve(reused);
      });
      s.on('error', reject);
    });
  if ((await connect()) !== !!session) throw new Error('unexpected Node resumption state');
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  while (n < MAX_ITERATIONS && process.hrtime.bigint() - start < budget) {
    await connect();
    n++;
  }
  return (n * 1e9) / Number(process.hrtime.bigint() - start);
}

async function main(): Promise<void> {
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(8);
  console.log(`TLS 1.3 handshakes/s, ${CERT}, x25519, TLS_AES_128_GCM_SHA256 preferred, ${SECONDS}s per measurement, best of ${ROUNDS} alternating rounds (repo ${repoRoot})`);
  const first = engineHandshake(undefined);
  if (!first.ticket) throw new Error('no ticket issued');
  let oursFull: EngineRate = { pair: 0, client: 0, server: 0 };
  let oursResumed: EngineRate = { pair: 0, client: 0, server: 0 };

  const server = tls.createServer({ key: keyPem, cert: chainPem, minVersion: 'TLSv1.3', ALPNProtocols: ['mqtt'] }, (s) => s.on('error', () => undefined));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  let nodeSession: Buffer | undefined;
  await new Promise<void>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: caPem, ALPNProtocols: ['mqtt'] });
    s.once('session', (sess: Buffer) => {
      nodeSession = sess;
      s.destroy();
      resolve();
    });
    s.on('error', reject);
  });
  let nodeFull = 0;
  let nodeResumed = 0;
  const best = (a: EngineRate, b: EngineRate): EngineRate => ({ pair: Math.max(a.pair, b.pair), client: Math.max(a.client, b.client), server: Math.max(a.server, b.server) });
  for (let round = 0; round < ROUNDS; round++) {
    oursFull = best(oursFull, engineRate(undefined));
    oursResumed = best(oursResumed, engineRate(first.ticket));
    nodeFull = Math.max(nodeFull, await nodeRate(port, undefined));
    nodeResumed = Math.max(nodeResumed, await nodeRate(port, nodeSession));
  }
  server.close();

  console.log('');
  console.log('              ours: pair   client-only  server-only |  Node tls (TCP, both roles) | ratio pair/Node');
  for (const [name, ours, node] of [['full', oursFull, nodeFull], ['resumed', oursResumed, nodeResumed]] as const) {
    console.log(`${name.padEnd(10)} ${fmt(ours.pair)}      ${fmt(ours.client)}     ${fmt(ours.server)} |  ${fmt(node)}                   | ${(ours.pair / node).toFixed(2)}x`);
  }
}

await main();
