// Values decoded from transport parameters are kept for the connection's lifetime, so they must not be
// views into the received bytes (a datagram, or one of Node's shared 8 KiB Buffer pool blocks): a view
// of a few bytes keeps the whole underlying buffer alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTransportParameters, encodeTransportParameters } from '../../../src/quic/wire/transport-parameters.js';

const u = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

/** The encoded parameters placed in the middle of a larger "datagram", as the TLS layer hands them over. */
function inDatagram(encoded: Uint8Array): Uint8Array {
  const datagram = new Uint8Array(encoded.length + 64);
  datagram.set(encoded, 32);
  return datagram.subarray(32, 32 + encoded.length);
}

test('decoded connection IDs and tokens are copies with their own ArrayBuffer, not views of the input', () => {
  const encoded = encodeTransportParameters(
    {
      originalDestinationConnectionId: u(1, 2, 3, 4, 5, 6, 7, 8),
      initialSourceConnectionId: u(0xc1, 0xc2, 0xc3, 0xc4),
      retrySourceConnectionId: u(9, 9, 9, 9),
      statelessResetToken: new Uint8Array(16).fill(0xab),
      preferredAddress: {
        ipv4Address: u(192, 0, 2, 1),
        ipv4Port: 4433,
        ipv6Address: new Uint8Array(16).fill(0x20),
        ipv6Port: 4433,
        connectionId: u(0xaa, 0xbb, 0xcc, 0xdd),
        statelessResetToken: new Uint8Array(16).fill(0xcd),
      },
    },
    'server',
  );
  const input = inDatagram(encoded);
  const p = decodeTransportParameters(input, 'server');
  const kept: Array<[string, Uint8Array | undefined]> = [
    ['original_destination_connection_id', p.originalDestinationConnectionId],
    ['initial_source_connection_id', p.initialSourceConnectionId],
    ['retry_source_connection_id', p.retrySourceConnectionId],
    ['stateless_reset_token', p.statelessResetToken],
    ['preferred_address.ipv4Address', p.preferredAddress?.ipv4Address],
    ['preferred_address.ipv6Address', p.preferredAddress?.ipv6Address],
    ['preferred_address.connectionId', p.preferredAddress?.connectionId],
    ['preferred_address.statelessResetToken', p.preferredAddress?.statelessResetToken],
  ];
  for (const [name, value] of kept) {
    assert.ok(value !== undefined, name);
    assert.notEqual(value.buffer, input.buffer, `${name} shares the input's ArrayBuffer`);
    // Exactly its own bytes: a copy that still sat in a larger buffer would pin it all the same.
    assert.equal(value.buffer.byteLength, value.length, `${name} ArrayBuffer is larger than the value`);
  }
  assert.deepEqual(p.initialSourceConnectionId, u(0xc1, 0xc2, 0xc3, 0xc4));
  assert.deepEqual(p.preferredAddress?.connectionId, u(0xaa, 0xbb, 0xcc, 0xdd));
  // Overwriting the input (the datagram buffer being reused) leaves the decoded values intact.
  input.fill(0);
  assert.deepEqual(p.originalDestinationConnectionId, u(1, 2, 3, 4, 5, 6, 7, 8));
  assert.deepEqual(p.statelessResetToken, new Uint8Array(16).fill(0xab));
});
