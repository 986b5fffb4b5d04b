// Review: 0-RTT is only valid under the cipher suite, ALPN and server name of the ticket (RFC 8446 §4.2.10).
// The client protects its early data with the ticket's suite; if the handshake selects another one, the
// server cannot have read that data, so the client must not believe it was accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert } from '../../../src/quic/tls/alerts.js';
import type { SessionTicket } from '../../../src/quic/tls/types.js';
import { newPair, ticketing } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

test('early data "accepted" under another cipher suite than the ticket is illegal_parameter at the client', () => {
  const ctx = ticketing();
  const server = { ...ctx, enableEarlyData: true, sessionTickets: 2, cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256' as const, 'TLS_AES_128_GCM_SHA256' as const] };
  const tickets: SessionTicket[] = [];
  const first = newPair({ onSessionTicket: (t) => tickets.push(t) }, server);
  pump(first.client, first.server);
  assert.equal(tickets[0]?.cipherSuite, 'TLS_CHACHA20_POLY1305_SHA256', 'ticket suite');

  assert.equal(tickets.length, 2);
  // Control: a genuine ticket resumes with 0-RTT accepted.
  const ok = newPair({ session: tickets[0], enableEarlyData: true }, server);
  const rOk = pump(ok.client, ok.server);
  assert.equal(eventsOf(rOk.client, 'handshake-complete')[0]?.earlyData, 'accepted');

  // The other ticket (0-RTT is single-use per ticket, RFC 8446 §8.1), stored as if it were AES-128-GCM (same hash, so the PSK still works): the client's 0-RTT keys
  // use AES-128-GCM while the server, following its sealed state, accepts early data under ChaCha20.
  const relabelled = { ...tickets[1]!, cipherSuite: 'TLS_AES_128_GCM_SHA256' as const };
  const bad = newPair({ session: relabelled, enableEarlyData: true }, server);
  const r = pump(bad.client, bad.server);
  const clientEarly = eventsOf(r.client, 'keys').find((k) => k.level === 'early');
  const serverEarly = eventsOf(r.server, 'keys').find((k) => k.level === 'early');
  assert.equal(clientEarly?.suite.name, 'TLS_AES_128_GCM_SHA256', 'client 0-RTT suite');
  assert.equal(serverEarly?.suite.name, 'TLS_CHACHA20_POLY1305_SHA256', 'server 0-RTT suite');
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 0, 'the client must not report 0-RTT as accepted');
  const errors = eventsOf(r.client, 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.alert, Alert.illegal_parameter);
});
