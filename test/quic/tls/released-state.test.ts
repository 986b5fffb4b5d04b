// What an engine lets go of once the handshake completes (engine.ts markComplete): the key schedule, the
// transcript hash and our transport parameters always; the application traffic secrets in 'quic' mode,
// where QUIC does its own key update (RFC 9001 §6). What is still needed after completion keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPair, ticketing } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

interface Retained {
  schedule: unknown;
  transcript: { hash: unknown };
  transportParameters: unknown;
  applicationReadSecret: unknown;
  applicationWriteSecret: unknown;
}
const inside = (engine: object): Retained => engine as unknown as Retained;

test('QUIC mode: handshake-only state and the TLS application secrets are released at completion', () => {
  const { client, server } = newPair({}, ticketing());
  const r = pump(client, server);
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 1);
  assert.equal(eventsOf(r.server, 'handshake-complete').length, 1);
  for (const engine of [client, server]) {
    const e = inside(engine);
    assert.equal(e.schedule, undefined);
    assert.equal(e.transcript.hash, undefined, 'a fresh transcript, no hash state kept');
    assert.equal(e.transportParameters, undefined);
    assert.equal(e.applicationReadSecret, undefined);
    assert.equal(e.applicationWriteSecret, undefined);
  }
  // Still working after completion: the exporter (RFC 8446 §7.5) agrees on both sides, and the client
  // turned the server's NewSessionTicket (sent after completion) into a session to resume.
  const ctx = Buffer.from('ctx');
  assert.deepEqual(client.exportKeyingMaterial('EXPERIMENTAL x', ctx, 32), server.exportKeyingMaterial('EXPERIMENTAL x', ctx, 32));
  assert.ok(eventsOf(r.client, 'session-ticket').length >= 1);
});

test('TLS mode: the application secrets stay for KeyUpdate (RFC 8446 §4.6.3)', () => {
  const { client, server } = newPair({ mode: 'tls', transportParameters: undefined }, { mode: 'tls', transportParameters: undefined });
  const r = pump(client, server);
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 1);
  for (const engine of [client, server]) {
    const e = inside(engine);
    assert.equal(e.schedule, undefined);
    assert.ok(e.applicationReadSecret instanceof Uint8Array);
    assert.ok(e.applicationWriteSecret instanceof Uint8Array);
  }
});
