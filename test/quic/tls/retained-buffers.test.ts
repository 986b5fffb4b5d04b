// What the connection keeps from the TLS engine for its lifetime (traffic secrets for key updates, the
// peer's transport parameters) must own its ArrayBuffer: HKDF output and Buffer.from copies are views
// into Node's shared 8 KiB pool, and one kept view pins the whole block for every connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPair } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

const ownsItsBuffer = (b: Uint8Array): boolean => b.byteOffset === 0 && b.buffer.byteLength === b.length;

test('every secret the engines emit, and the transport parameters the server receives, own their ArrayBuffer', () => {
  const { client, server } = newPair();
  const r = pump(client, server);
  const secrets = [...eventsOf(r.client, 'keys'), ...eventsOf(r.server, 'keys')];
  assert.ok(secrets.length >= 6, 'handshake and application secrets in both directions');
  for (const k of secrets) assert.ok(ownsItsBuffer(k.secret), `${k.level} ${k.direction} secret is a pool view`);
  const tp = eventsOf(r.server, 'peer-transport-parameters');
  assert.equal(tp.length, 1);
  assert.ok(ownsItsBuffer(tp[0]!.data), 'server-side peer transport parameters are a pool view');
});
