// Review: TlsEngine.receive() may be handed a view of a buffer its caller reuses (a datagram or
// reassembly buffer). A message split across calls must not change when the caller later overwrites
// the bytes it already passed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPair } from './fixtures.js';
import { eventsOf, pump } from './pair.js';

test('a handshake message split across receive() calls survives the caller reusing its buffer', () => {
  const { client, server } = newPair();
  let split = false;
  const r = pump(client, server, (from, ev) => {
    if (from !== 'server' || ev.level !== 'handshake' || split) return ev.data;
    split = true;
    // Deliver all but the last 100 bytes from a scratch buffer, then wipe it as a reused buffer would be.
    const cut = ev.data.length - 100;
    const scratch = Buffer.from(ev.data.subarray(0, cut));
    client.receive('handshake', scratch);
    scratch.fill(0);
    return ev.data.subarray(cut);
  });
  assert.ok(split);
  assert.deepEqual(eventsOf(r.client, 'error'), []);
  assert.equal(eventsOf(r.client, 'handshake-complete').length, 1);
});
