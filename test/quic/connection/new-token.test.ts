// NEW_TOKEN (RFC 9000 §8.1.3, §19.7) from the server, and the client's rule for tokens in server Initial
// packets (RFC 9000 §17.2.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { createPacketProtector, protectPacket } from '../../../src/quic/crypto/packet-protection.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import type { ConnectionEvent } from '../../../src/quic/connection/api.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { encodeFrame } from '../../../src/quic/wire/frames.js';
import { finishLongHeader, parseInvariantHeader, QUIC_VERSION_1, writeLongHeader } from '../../../src/quic/wire/header.js';
import { SimRandom } from '../../sim/network.js';
import { CLIENT_ADDR, clientOptions, makePair, runHandshake, SERVER_ADDR } from './sim-node.js';

test('the server sends the token from its newToken option once the handshake is confirmed; the client surfaces it', () => {
  const asked: string[] = [];
  const p = makePair({
    server: {
      newToken: (peer) => {
        asked.push(peer);
        return Uint8Array.from([7, 7, 7, 1]);
      },
    },
  });
  runHandshake(p);
  p.net.run({ until: p.net.now + 200 });
  assert.deepEqual(asked, [CLIENT_ADDR], 'one token, for the client address');
  assert.deepEqual(p.client.eventsOf('new-token').map((e) => [...e.token]), [[7, 7, 7, 1]]);
  // The token went after confirmation: the client saw handshake-confirmed no later than the token.
  const order = p.client.events.map((e) => e.type);
  assert.ok(order.indexOf('handshake-complete') < order.indexOf('new-token'));
  assert.equal(p.client.connection.state, 'established');
});

test('a NEW_TOKEN lost with its packet is sent again (RFC 9000 §13.3)', () => {
  const p = makePair({ seed: 3, server: { newToken: () => Uint8Array.from([1, 2, 3]) } });
  let dropped = 0;
  p.net.tap = (d) => {
    // Drop the server's first three 1-RTT datagrams: they carry HANDSHAKE_DONE and the NEW_TOKEN.
    if (d.from === SERVER_ADDR && (d.data[0]! & 0x80) === 0 && dropped < 3) {
      dropped++;
      return null;
    }
    return d.data;
  };
  runHandshake(p);
  p.net.run({ until: p.net.now + 3000 });
  assert.equal(dropped, 3);
  assert.deepEqual(p.client.eventsOf('new-token').map((e) => [...e.token]), [[1, 2, 3]]);
});

test('no NEW_TOKEN without the option, or when it produces an empty token', () => {
  for (const server of [{}, { newToken: () => new Uint8Array(0) }]) {
    const p = makePair({ server });
    runHandshake(p);
    p.net.run({ until: p.net.now + 200 });
    assert.equal(p.client.has('new-token'), false);
    assert.equal(p.client.connection.state, 'established');
  }
});

/** A server Initial (ack-eliciting PING) for the client's first Initial, with `token` in its header. */
function serverInitial(clientFirst: Uint8Array, token: Uint8Array): Uint8Array {
  const h = parseInvariantHeader(clientFirst, 8);
  const protector = createPacketProtector(deriveInitialKeys(h.dcid).server);
  const buf = new Uint8Array(1200);
  const w = new BufferWriter(buf);
  const layout = writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid: h.scid!, scid: Uint8Array.from([5, 5, 5, 5]), token, packetNumber: 0, packetNumberLength: 2 });
  encodeFrame(w, { kind: 'ping' });
  w.zeros(buf.length - w.offset - 16);
  finishLongHeader(w, layout, 16);
  const end = protectPacket(protector, buf, 0, layout.pnOffset, 2, w.offset, 0);
  return buf.subarray(0, end);
}

function drain(c: QuicConnection): ConnectionEvent[] {
  const out: ConnectionEvent[] = [];
  for (let ev = c.pollEvent(); ev !== undefined; ev = c.pollEvent()) out.push(ev);
  return out;
}

test('a server Initial carrying a token closes the client with PROTOCOL_VIOLATION (RFC 9000 §17.2.2)', () => {
  const net = { random: new SimRandom(4) };
  const client = QuicConnection.client(clientOptions(net as never), 0);
  const first = client.poll(0)!.data;
  client.receive(serverInitial(first, Uint8Array.from([1, 2, 3])), { local: CLIENT_ADDR, remote: SERVER_ADDR }, 10);
  assert.equal(client.state, 'closing');
  assert.ok(client.poll(10), 'CONNECTION_CLOSE is sent');
  client.handleTimeout(60_000);
  const closed = drain(client).find((e) => e.type === 'closed');
  assert.ok(closed && closed.type === 'closed');
  assert.equal(closed.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
  assert.match(closed.info.reason, /token/);
});

test('an unauthenticated Initial with a token cannot close the client: it is dropped', () => {
  const net = { random: new SimRandom(4) };
  const client = QuicConnection.client(clientOptions(net as never), 0);
  const first = client.poll(0)!.data;
  const forged = Uint8Array.from(serverInitial(first, Uint8Array.from([1, 2, 3])));
  forged[forged.length - 1]! ^= 0xff; // breaks the AEAD tag
  client.receive(forged, { local: CLIENT_ADDR, remote: SERVER_ADDR }, 10);
  assert.equal(client.state, 'handshaking');
  // The same packet without a token is processed normally (the PING is acknowledged).
  client.receive(serverInitial(first, new Uint8Array(0)), { local: CLIENT_ADDR, remote: SERVER_ADDR }, 20);
  assert.equal(client.state, 'handshaking');
  assert.ok(client.poll(20), 'an ACK of the server Initial');
});
