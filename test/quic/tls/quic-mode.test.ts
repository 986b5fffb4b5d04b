// Client and server engines in QUIC mode, pumped back to back in memory: transport parameters, ALPN,
// cipher suites, groups, certificate types, HelloRetryRequest, mutual TLS, resumption and 0-RTT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert } from '../../../src/quic/tls/alerts.js';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { TlsServer } from '../../../src/quic/tls/server.js';
import { TlsConfigError } from '../../../src/quic/tls/engine.js';
import type { CipherSuiteName, NamedGroupName } from '../../../src/quic/tls/constants.js';
import type { SessionTicket, TlsEvent } from '../../../src/quic/tls/types.js';
import { CLIENT_TP, SERVER_TP, clientOptions, newPair, pem, serverOptions, ticketing, type ServerCert } from './fixtures.js';
import { eventsOf, pump, type PumpResult } from './pair.js';

function complete(events: TlsEvent[]): Extract<TlsEvent, { type: 'handshake-complete' }> {
  const errors = eventsOf(events, 'error');
  assert.deepEqual(errors, [], 'no error');
  const done = eventsOf(events, 'handshake-complete');
  assert.equal(done.length, 1, 'handshake completes once');
  return done[0]!;
}

function errorOf(events: TlsEvent[]): Extract<TlsEvent, { type: 'error' }> {
  const errors = eventsOf(events, 'error');
  assert.equal(errors.length, 1, 'exactly one error event');
  return errors[0]!;
}

/** Each secret one side writes at a level is the one the other side reads at that level. */
function assertKeysMatch(r: PumpResult): void {
  const key = (evs: TlsEvent[], level: string, dir: string): string | undefined =>
    eventsOf(evs, 'keys').find((k) => k.level === level && k.direction === dir)?.secret.toString('hex');
  for (const level of ['early', 'handshake', 'application']) {
    assert.equal(key(r.client, level, 'write'), key(r.server, level, 'read'), `client->server ${level}`);
    assert.equal(key(r.server, level, 'write'), key(r.client, level, 'read'), `server->client ${level}`);
  }
}

function fullHandshake(c = {}, s = {}, cert: ServerCert = 'server-ecdsa'): PumpResult & { client: TlsEvent[]; server: TlsEvent[] } {
  const { client, server } = newPair(c, s, cert);
  return pump(client, server);
}

test('full handshake: transport parameters both ways, ALPN, keys at each level, peer certificates', () => {
  const r = fullHandshake({ alpn: ['x', 'mqtt'] }, { alpn: ['mqtt', 'x'] });
  const c = complete(r.client);
  const s = complete(r.server);
  assert.equal(c.alpn, 'mqtt', "server's preference wins");
  assert.equal(s.alpn, 'mqtt');
  assert.equal(s.serverName, 'localhost');
  assert.equal(c.resumed, false);
  assert.equal(c.earlyData, 'none');
  assert.equal(c.peerCertificates.length, 2, 'leaf and intermediate/CA of the chain file');
  assert.deepEqual(eventsOf(r.client, 'peer-transport-parameters')[0]!.data, SERVER_TP);
  assert.deepEqual(eventsOf(r.server, 'peer-transport-parameters')[0]!.data, CLIENT_TP);
  assertKeysMatch(r);
  // QUIC: the ClientHello goes at initial, the client's Finished at handshake, nothing at 0-RTT.
  assert.deepEqual(eventsOf(r.client, 'send').map((e) => e.level), ['initial', 'handshake']);
  assert.deepEqual(eventsOf(r.server, 'send').map((e) => e.level), ['initial', 'handshake']);
  // RFC 9001 §8.4: no middlebox compatibility session id in QUIC.
  assert.equal(eventsOf(r.client, 'send')[0]!.data[38], 0);
});

for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as CipherSuiteName[]) {
  for (const group of ['x25519', 'secp256r1'] as NamedGroupName[]) {
    test(`handshake with ${suite} over ${group}`, () => {
      const r = fullHandshake({ cipherSuites: [suite], groups: [group] });
      assert.equal(complete(r.client).cipherSuite, suite);
      assert.equal(complete(r.server).cipherSuite, suite);
      const k = eventsOf(r.client, 'keys')[0]!;
      assert.equal(k.suite.name, suite);
      assert.equal(k.secret.length, suite === 'TLS_AES_256_GCM_SHA384' ? 48 : 32);
      assertKeysMatch(r);
    });
  }
}

for (const cert of ['server-rsa', 'server-ecdsa', 'server-p384', 'server-ed25519'] as ServerCert[]) {
  test(`server authenticates with the ${cert} certificate`, () => {
    const r = fullHandshake({}, {}, cert);
    complete(r.client);
    complete(r.server);
  });
}

test('server cipher suite preference is configurable', () => {
  const r = fullHandshake({}, { cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] });
  assert.equal(complete(r.client).cipherSuite, 'TLS_CHACHA20_POLY1305_SHA256');
});

test('HelloRetryRequest: client sent a P-256 share, server only takes x25519', () => {
  const r = fullHandshake({ groups: ['secp256r1', 'x25519'] }, { groups: ['x25519'] });
  complete(r.client);
  complete(r.server);
  assert.deepEqual(eventsOf(r.client, 'send').map((e) => e.level), ['initial', 'initial', 'handshake']);
  assert.deepEqual(eventsOf(r.server, 'send').map((e) => e.level), ['initial', 'initial', 'handshake']);
  assertKeysMatch(r);
});

test('HelloRetryRequest the other way round (x25519 share, server only P-256) with SHA-384', () => {
  const r = fullHandshake({ cipherSuites: ['TLS_AES_256_GCM_SHA384'] }, { groups: ['secp256r1'] });
  assert.equal(complete(r.client).cipherSuite, 'TLS_AES_256_GCM_SHA384');
  assert.equal(eventsOf(r.server, 'send').length, 3);
});

test('no common group / cipher suite ends in handshake_failure at the server', () => {
  const groups = fullHandshake({ groups: ['secp256r1'] }, { groups: ['x25519'] });
  assert.equal(errorOf(groups.server).alert, Alert.handshake_failure);
  const suites = fullHandshake({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] }, { cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
  assert.equal(errorOf(suites.server).alert, Alert.handshake_failure);
  assert.equal(eventsOf(suites.client, 'handshake-complete').length, 0);
});

test('ALPN: no common protocol, or none offered, is no_application_protocol (QUIC 0x0178)', () => {
  const mismatch = fullHandshake({ alpn: ['h3'] });
  const e = errorOf(mismatch.server);
  assert.equal(e.alert, Alert.no_application_protocol);
  assert.equal(e.quicErrorCode, 0x0178);
  const none = fullHandshake({ alpn: [] });
  assert.equal(errorOf(none.server).alert, Alert.no_application_protocol);
  assert.throws(() => new TlsServer(serverOptions('server-ecdsa', { alpn: [] })), TlsConfigError);
});

test('QUIC mode needs transport parameters locally; certificate and key go together', () => {
  assert.throws(() => new TlsClient({ ...clientOptions(), transportParameters: undefined }), TlsConfigError);
  assert.throws(() => new TlsServer({ ...serverOptions(), privateKey: undefined }), TlsConfigError);
  assert.throws(() => new TlsClient(clientOptions({ serverName: undefined })), TlsConfigError);
  assert.throws(() => new TlsClient(clientOptions({ cipherSuites: ['TLS_NOPE' as CipherSuiteName] })), TlsConfigError);
  const { client } = newPair();
  assert.throws(() => client.start(), TlsConfigError);
});

test('certificate validation failures give distinct alerts at the client', () => {
  const cases: Array<[ServerCert, number]> = [
    ['othercaserver', Alert.unknown_ca],
    ['selfsigned', Alert.unknown_ca],
    ['expired', Alert.certificate_expired],
    ['wronghost', Alert.bad_certificate],
  ];
  for (const [cert, alert] of cases) {
    const r = fullHandshake({}, {}, cert);
    const e = errorOf(r.client);
    assert.equal(e.alert, alert, `${cert}: ${e.message}`);
    assert.equal(e.quicErrorCode, 0x100 + alert);
  }
  // insecure skips chain and name validation (CertificateVerify is still checked).
  complete(fullHandshake({ insecure: true }, {}, 'wronghost').client);
});

test('mutual TLS: the server verifies the client chain and reports it', () => {
  const s = { requestClientCertificate: true, requireClientCertificate: true, ca: [pem('ca.pem')] };
  const ok = fullHandshake({ certificateChain: pem('client-chain.pem'), privateKey: pem('client-key.pem') }, s);
  complete(ok.client);
  assert.equal(complete(ok.server).peerCertificates.length >= 1, true);
  assertKeysMatch(ok);
  const missing = fullHandshake({}, s);
  assert.equal(errorOf(missing.server).alert, Alert.certificate_required);
  const optional = fullHandshake({}, { ...s, requireClientCertificate: false });
  assert.deepEqual(complete(optional.server).peerCertificates, []);
  const untrusted = fullHandshake({ certificateChain: pem('othercaserver-chain.pem'), privateKey: pem('othercaserver-key.pem') }, s);
  assert.equal(errorOf(untrusted.server).alert, Alert.unknown_ca);
});

/** Runs a full handshake and returns the ticket(s) the client received. */
function obtainTickets(ctx: ReturnType<typeof ticketing>, s: object = {}, c: object = {}, now?: () => number): SessionTicket[] {
  const tickets: SessionTicket[] = [];
  const r = fullHandshake({ onSessionTicket: (t: SessionTicket) => tickets.push(t), ...(now ? { now } : {}), ...c }, { ...ctx, enableEarlyData: true, ...(now ? { now } : {}), ...s });
  complete(r.client);
  assert.deepEqual(eventsOf(r.client, 'session-ticket').map((e) => e.ticket), tickets);
  assert.deepEqual(eventsOf(r.server, 'send').map((e) => e.level), ['initial', 'handshake', 'application']);
  return tickets.map((t) => JSON.parse(JSON.stringify(t)) as SessionTicket); // tickets survive JSON
}

test('resumption with 0-RTT accepted: early keys match, no certificate flight, ticket max_early_data 0xffffffff', () => {
  const ctx = ticketing();
  const [ticket] = obtainTickets(ctx);
  assert.equal(ticket!.maxEarlyData, 0xffffffff);
  assert.equal(ticket!.alpn, 'mqtt');
  assert.equal(Buffer.from(ticket!.transportParameters!, 'base64').toString('hex'), SERVER_TP.toString('hex'));
  const r = fullHandshake({ session: ticket, enableEarlyData: true }, { ...ctx, enableEarlyData: true });
  const c = complete(r.client);
  const s = complete(r.server);
  assert.equal(c.resumed, true);
  assert.equal(s.resumed, true);
  assert.equal(c.earlyData, 'accepted');
  assert.equal(s.earlyData, 'accepted');
  assert.equal(eventsOf(r.client, 'keys')[0]!.level, 'early', '0-RTT keys come right after the ClientHello');
  assertKeysMatch(r);
  assert.equal(eventsOf(r.server, 'keys').filter((k) => k.level === 'early').length, 1);
  assert.equal(eventsOf(r.client, 'peer-transport-parameters').length, 1);
  // RFC 9001 §8.3: no EndOfEarlyData in QUIC: the client's handshake flight is only its Finished.
  assert.equal(eventsOf(r.client, 'send')[1]!.data[0], 20);
});

test('0-RTT rejected when the server disables it; the PSK still resumes', () => {
  const ctx = ticketing();
  const [ticket] = obtainTickets(ctx);
  const r = fullHandshake({ session: ticket, enableEarlyData: true }, { ...ctx, enableEarlyData: false });
  const c = complete(r.client);
  assert.equal(c.resumed, true);
  assert.equal(c.earlyData, 'rejected');
  assert.equal(complete(r.server).earlyData, 'rejected');
  assert.equal(eventsOf(r.server, 'keys').some((k) => k.level === 'early'), false);
});

test('ticket replay: the ReplayGuard accepts 0-RTT once per ticket, later uses resume without it', () => {
  const ctx = ticketing();
  const [ticket] = obtainTickets(ctx);
  const first = fullHandshake({ session: ticket, enableEarlyData: true }, { ...ctx, enableEarlyData: true });
  assert.equal(complete(first.server).earlyData, 'accepted');
  // The same ClientHello bytes replayed to another connection of the same server.
  const replayed = eventsOf(first.client, 'send')[0]!.data;
  const server2 = new TlsServer(serverOptions('server-ecdsa', { ...ctx, enableEarlyData: true }));
  server2.receive('initial', replayed);
  const evs: TlsEvent[] = [];
  for (let e = server2.poll(); e; e = server2.poll()) evs.push(e);
  assert.equal(evs.some((e) => e.type === 'keys' && e.level === 'early'), false, 'no 0-RTT keys for a replay');
  // A fresh ClientHello with the same ticket also loses 0-RTT (single-use for early data, RFC 8446 §8.1).
  const again = fullHandshake({ session: ticket, enableEarlyData: true }, { ...ctx, enableEarlyData: true });
  assert.equal(complete(again.client).earlyData, 'rejected');
  assert.equal(complete(again.client).resumed, true);
});

test('0-RTT is rejected for a ticket age outside the window, another earlyDataContext, or after HRR', () => {
  const ctx = ticketing();
  let clientClock = Date.now();
  let serverClock = clientClock;
  const [ticket] = obtainTickets(ctx, { now: () => serverClock }, { now: () => clientClock });
  clientClock += 1000;
  serverClock += 1000 + 30_000; // the client's idea of the age is 30 s off
  const skewed = fullHandshake({ session: ticket, enableEarlyData: true, now: () => clientClock }, { ...ctx, enableEarlyData: true, now: () => serverClock });
  assert.equal(complete(skewed.server).earlyData, 'rejected');
  assert.equal(complete(skewed.server).resumed, true);

  const [t2] = obtainTickets(ctx, { earlyDataContext: Buffer.from('a') });
  const ctxChanged = fullHandshake({ session: t2, enableEarlyData: true }, { ...ctx, enableEarlyData: true, earlyDataContext: Buffer.from('b') });
  assert.equal(complete(ctxChanged.server).earlyData, 'rejected');

  const [t3] = obtainTickets(ctx);
  const hrr = fullHandshake({ session: t3, enableEarlyData: true, groups: ['secp256r1', 'x25519'] }, { ...ctx, enableEarlyData: true, groups: ['x25519'] });
  const c = complete(hrr.client);
  assert.equal(c.resumed, true, 'PSK survives the HelloRetryRequest');
  assert.equal(c.earlyData, 'rejected');
  assert.equal(complete(hrr.server).earlyData, 'rejected');
});

test('tickets are not offered or not accepted when expired, for another name, or another suite hash', () => {
  const ctx = ticketing();
  let now = Date.now();
  const [ticket] = obtainTickets(ctx, { ticketLifetimeSeconds: 60, now: () => now }, { now: () => now });
  assert.equal(ticket!.lifetimeSeconds, 60);
  now += 61_000;
  const expired = fullHandshake({ session: ticket, now: () => now }, { ...ctx, now: () => now });
  assert.equal(complete(expired.client).resumed, false);
  assert.equal(eventsOf(expired.client, 'send')[0]!.data.includes(Buffer.from(ticket!.ticket, 'base64')), false, 'not offered');

  const [t2] = obtainTickets(ctx);
  // The client does not offer a ticket issued for another name...
  const wrongName = fullHandshake({ session: { ...t2!, serverName: 'other.example' } }, ctx);
  assert.equal(complete(wrongName.client).resumed, false);
  // ...and the server refuses one whose sealed server name differs from this ClientHello's SNI.
  const sniChanged = fullHandshake({ session: { ...t2!, serverName: '127.0.0.1' }, serverName: '127.0.0.1' }, ctx);
  assert.equal(complete(sniChanged.client).resumed, false);

  const [t3] = obtainTickets(ctx);
  const otherHash = fullHandshake({ session: t3 }, { ...ctx, cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
  assert.equal(complete(otherHash.client).resumed, false);
  assert.equal(complete(otherHash.client).cipherSuite, 'TLS_AES_256_GCM_SHA384');
  // A ticket from a server with other ticket keys is ignored (full handshake, no error).
  const foreign = fullHandshake({ session: t3 }, ticketing());
  assert.equal(complete(foreign.client).resumed, false);
});

test('resumption keeps the client identity of a mutual-TLS session and issues the configured number of tickets', () => {
  const ctx = ticketing();
  const s = { requestClientCertificate: true, ca: [pem('ca.pem')], sessionTickets: 2 };
  const tickets = obtainTickets(ctx, s, { certificateChain: pem('client-chain.pem'), privateKey: pem('client-key.pem') });
  assert.equal(tickets.length, 2);
  assert.notEqual(tickets[0]!.psk, tickets[1]!.psk, 'distinct nonces give distinct PSKs');
  const r = fullHandshake({ session: tickets[1] }, { ...ctx, ...s });
  const done = complete(r.server);
  assert.equal(done.resumed, true);
  assert.equal(done.peerCertificates.length >= 1, true);
});

test('the client keeps at most maxSessionTickets tickets from one connection', () => {
  const tickets: SessionTicket[] = [];
  const r = fullHandshake({ maxSessionTickets: 2, onSessionTicket: (t: SessionTicket) => tickets.push(t) }, { ...ticketing(), sessionTickets: 5 });
  complete(r.client);
  assert.equal(tickets.length, 2);
  assert.equal(eventsOf(r.client, 'session-ticket').length, 2);
});

test('byte-by-byte delivery of every flight completes the handshake', () => {
  const { client, server } = newPair({ groups: ['secp256r1', 'x25519'] }, { groups: ['x25519'] });
  const result: PumpResult = { client: [], server: [] };
  for (let round = 0; round < 10; round++) {
    for (const [from, to, log] of [[client, server, result.client], [server, client, result.server]] as const) {
      for (let ev = from.poll(); ev; ev = from.poll()) {
        log.push(ev);
        if (ev.type === 'send') for (const b of ev.data) to.receive(ev.level, Buffer.of(b));
      }
    }
  }
  complete(result.client);
  complete(result.server);
});

test('key log lines use the client random and match the installed secrets; exporter agrees on both sides', () => {
  const clientLines: string[] = [];
  const serverLines: string[] = [];
  const { client, server } = newPair({ keylog: (l) => clientLines.push(l) }, { keylog: (l) => serverLines.push(l) });
  assert.throws(() => client.exportKeyingMaterial('EXPERIMENTAL x', Buffer.alloc(0), 16), TlsConfigError);
  const r = pump(client, server);
  complete(r.client);
  const labels = (lines: string[]): string[] => lines.map((l) => l.split(' ')[0]!).sort();
  const expected = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];
  assert.deepEqual(labels(clientLines), expected);
  assert.deepEqual(labels(serverLines), expected);
  assert.deepEqual([...clientLines].sort(), [...serverLines].sort());
  const chRandom = eventsOf(r.client, 'send')[0]!.data.subarray(6, 38).toString('hex');
  assert.ok(clientLines.every((l) => l.split(' ')[1] === chRandom));
  const hsWrite = eventsOf(r.client, 'keys').find((k) => k.level === 'handshake' && k.direction === 'write')!;
  assert.ok(clientLines.includes(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${chRandom} ${hsWrite.secret.toString('hex')}`));
  const a = client.exportKeyingMaterial('EXPERIMENTAL quicmq', Buffer.from('ctx'), 32);
  assert.deepEqual(a, server.exportKeyingMaterial('EXPERIMENTAL quicmq', Buffer.from('ctx'), 32));
  assert.equal(client.handshakeComplete && server.handshakeComplete, true);
  // A throwing key logger does not break the handshake.
  const r2 = fullHandshake({ keylog: () => { throw new Error('disk full'); } });
  complete(r2.client);
});
