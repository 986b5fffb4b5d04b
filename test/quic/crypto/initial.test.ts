// deriveInitialKeys (RFC 9001 §5.2) and its one-entry memo: the server derives the keys for the client's
// first Initial twice (to open the packet, then for the connection it starts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveInitialKeys, deriveInitialSecrets, INITIAL_CIPHER_SUITE } from '../../../src/quic/crypto/initial.js';
import { derivePacketProtectionKeys } from '../../../src/quic/crypto/keys.js';
import { QuicError } from '../../../src/quic/wire/errors.js';
import { hex, loadVectors } from '../../helpers/vectors.js';

function fresh(dcid: Uint8Array): { client: ReturnType<typeof derivePacketProtectionKeys>; server: ReturnType<typeof derivePacketProtectionKeys> } {
  const s = deriveInitialSecrets(dcid);
  return { client: derivePacketProtectionKeys(INITIAL_CIPHER_SUITE, s.client), server: derivePacketProtectionKeys(INITIAL_CIPHER_SUITE, s.server) };
}

test('Initial keys match RFC 9001 Appendix A.1, computed or repeated', () => {
  const a1 = loadVectors<Record<string, any>>('rfc9001-appendix-a.json').A1_keys;
  const dcid = hex(a1.client_dcid);
  for (let i = 0; i < 2; i++) {
    const keys = deriveInitialKeys(Uint8Array.from(dcid));
    assert.deepEqual(keys, fresh(dcid));
  }
});

test('the same DCID is served from the memo; another DCID or a changed caller buffer is not', () => {
  const a = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const first = deriveInitialKeys(a);
  assert.equal(deriveInitialKeys(Uint8Array.from(a)), first, 'same bytes: the same keys object');
  // The memo keeps its own copy of the DCID: changing the caller's array changes the keys.
  a[0] = 9;
  const changed = deriveInitialKeys(a);
  assert.notEqual(changed, first);
  assert.deepEqual(changed, fresh(a));
  assert.notDeepEqual(changed.client.key, first.client.key);
  // A DCID that is a prefix of the remembered one is another DCID.
  assert.deepEqual(deriveInitialKeys(a.subarray(0, 7)), fresh(a.subarray(0, 7)));
});

test('memoised keys cannot be modified through the returned object', () => {
  const keys = deriveInitialKeys(Uint8Array.from([7, 7, 7, 7, 7, 7, 7, 7]));
  assert.throws(() => {
    (keys as { client: unknown }).client = undefined;
  }, TypeError);
  assert.throws(() => {
    (keys.server as { key: unknown }).key = Buffer.alloc(16);
  }, TypeError);
});

test('an unknown version has no Initial salt, memo or not', () => {
  const dcid = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
  deriveInitialKeys(dcid);
  assert.throws(() => deriveInitialKeys(dcid, 0xff00001d), QuicError);
});
