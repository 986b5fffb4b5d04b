// Review: the client's use of stored session tickets (RFC 8446 §4.6.1, §4.2.11). Tickets come back from
// the application's storage (JSON), so every field is untrusted shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient } from '../../../src/quic/tls/client.js';
import { ExtensionType as X, MAX_TICKET_LIFETIME_SECONDS } from '../../../src/quic/tls/constants.js';
import { decodeClientHello } from '../../../src/quic/tls/messages.js';
import { readSessionTicket } from '../../../src/quic/tls/session-ticket.js';
import type { SessionTicket } from '../../../src/quic/tls/types.js';
import { clientOptions, newPair, ticketing } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

const DAY_MS = 86_400_000;

function obtainTicket(now: () => number): SessionTicket {
  const tickets: SessionTicket[] = [];
  const { client, server } = newPair({ now, onSessionTicket: (t) => tickets.push(t) }, { ...ticketing(), now });
  const r = pump(client, server);
  assert.deepEqual(eventsOf(r.client, 'error'), []);
  assert.equal(tickets.length, 1);
  return JSON.parse(JSON.stringify(tickets[0])) as SessionTicket;
}

/** Does the ClientHello a client with this ticket and clock sends offer a PSK? */
function offersPsk(session: SessionTicket, now: number): boolean {
  const client = new TlsClient(clientOptions({ session, now: () => now }));
  client.start();
  const first = client.poll();
  assert.ok(first?.type === 'send' && first.level === 'initial');
  return decodeClientHello(first.data.subarray(4)).extensions.has(X.pre_shared_key);
}

test('RFC 8446 §4.6.1: a stored ticket is never offered after seven days, whatever lifetime it claims', () => {
  const issued = Date.now();
  const ticket = obtainTicket(() => issued);
  const claimsThirtyDays = { ...ticket, lifetimeSeconds: 30 * 86_400 };
  assert.equal(offersPsk(claimsThirtyDays, issued + 6 * DAY_MS), true, 'within seven days the ticket is offered');
  assert.equal(offersPsk(claimsThirtyDays, issued + MAX_TICKET_LIFETIME_SECONDS * 1000), false, 'at seven days it is dropped');
  assert.equal(offersPsk(claimsThirtyDays, issued + 8 * DAY_MS), false, 'after seven days it is dropped');
});

test('a stored ticket whose cipherSuite is not a suite name (e.g. "constructor") is not a usable ticket', () => {
  const issued = Date.now();
  const ticket = obtainTicket(() => issued);
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const forged = { ...ticket, cipherSuite: name, psk: Buffer.alloc(48).toString('base64') } as unknown as SessionTicket;
    assert.equal(readSessionTicket(forged), undefined, name);
  }
  assert.ok(readSessionTicket(ticket), 'the genuine ticket still reads');
});
