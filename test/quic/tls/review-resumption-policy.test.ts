// Review: a resumed session inherits the authentication of the original one (RFC 8446 §2.2, §4.6.1), so a
// server that requires client certificates must not resume a session in which none was presented. The
// ticket keyring is an option that may be shared between listeners, or outlive a policy change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Alert } from '../../../src/quic/tls/alerts.js';
import type { SessionTicket } from '../../../src/quic/tls/types.js';
import { newPair, pem, ticketing } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

test('a server requiring client certificates does not resume a ticket issued without one', () => {
  const ctx = ticketing();
  const tickets: SessionTicket[] = [];
  // Listener A: no client authentication. It shares its ticket keyring with listener B.
  const first = newPair({ onSessionTicket: (t) => tickets.push(t) }, { ...ctx });
  const r1 = pump(first.client, first.server);
  assert.deepEqual(eventsOf(r1.server, 'error'), []);
  assert.equal(tickets.length, 1);

  // Listener B requires a client certificate; the client has none but offers A's ticket.
  const mtls = { ...ctx, requestClientCertificate: true, requireClientCertificate: true, ca: [pem('ca.pem')] };
  const second = newPair({ session: tickets[0] }, mtls);
  const r2 = pump(second.client, second.server);
  assert.equal(eventsOf(r2.server, 'handshake-complete').length, 0, 'no session without a client identity');
  const errors = eventsOf(r2.server, 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.alert, Alert.certificate_required);

  // With a certificate the full handshake succeeds, and the tickets it yields resume on B.
  const withCert = { certificateChain: pem('client-chain.pem'), privateKey: pem('client-key.pem') };
  const mtlsTickets: SessionTicket[] = [];
  const third = newPair({ ...withCert, onSessionTicket: (t) => mtlsTickets.push(t) }, mtls);
  const r3 = pump(third.client, third.server);
  assert.equal(eventsOf(r3.server, 'handshake-complete')[0]?.resumed, false);
  const fourth = newPair({ session: mtlsTickets[0] }, mtls);
  const r4 = pump(fourth.client, fourth.server);
  const done = eventsOf(r4.server, 'handshake-complete')[0];
  assert.equal(done?.resumed, true);
  assert.ok(done.peerCertificates.length >= 1, 'the resumed session keeps the client identity');
});
