// RFC 9221 DATAGRAM frames between two connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, runHandshake } from './sim-node.js';

test('datagrams are delivered when both sides advertise max_datagram_frame_size', () => {
  const p = makePair({ client: { transport: { maxDatagramFrameSize: 1200 } }, server: { transport: { maxDatagramFrameSize: 1200 } } });
  runHandshake(p);
  assert.equal(p.client.connection.sendDatagram(Buffer.from('ping 1')), true);
  assert.equal(p.client.connection.sendDatagram(Buffer.from('ping 2')), true);
  p.net.run({ until: p.net.now + 200 });
  assert.deepEqual(p.server.eventsOf('datagram').map((e) => Buffer.from(e.data).toString()), ['ping 1', 'ping 2']);
});

test('sendDatagram is refused without peer support or beyond its limit', () => {
  const p = makePair({ server: { transport: { maxDatagramFrameSize: 100 } } });
  runHandshake(p);
  assert.equal(p.server.connection.sendDatagram(Buffer.from('x')), false, 'client did not advertise support');
  // Frame size = type (1) + Length varint (2 bytes for 64..16383) + data.
  assert.equal(p.client.connection.sendDatagram(new Uint8Array(97)), true, '1 + 2 + 97 = 100 fits');
  assert.equal(p.client.connection.sendDatagram(new Uint8Array(98)), false, 'a frame of 101 bytes does not');
});

test('a DATAGRAM frame to an endpoint that did not advertise support is PROTOCOL_VIOLATION (RFC 9221 §3)', () => {
  // The client believes the server supports datagrams: it sees a forged larger limit.
  const p = makePair({ server: { transport: { maxDatagramFrameSize: 10 } } });
  runHandshake(p);
  const params = p.client.connection.peerTransportParameters as { maxDatagramFrameSize?: number };
  params.maxDatagramFrameSize = 1000;
  assert.equal(p.client.connection.sendDatagram(new Uint8Array(50)), true);
  p.net.run({ until: p.net.now + 500, done: () => p.server.has('closed') });
  assert.equal(p.server.eventsOf('closed')[0]?.info.code, 0x0a);
});
