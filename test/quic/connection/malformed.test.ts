// Hostile and broken input (RFC 9000 §12.4, §13.1, §17, §19; RFC 9001 §5.5): a corpus of corrupted and
// truncated datagrams never throws and is dropped when it does not authenticate; authenticated packets
// with illegal content close the connection with the error code the RFC names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { CIPHER_SUITES, derivePacketProtectionKeys } from '../../../src/quic/crypto/keys.js';
import { createPacketProtector, protectPacket, type PacketProtector } from '../../../src/quic/crypto/packet-protection.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { encodeFrame } from '../../../src/quic/wire/frames.js';
import type { Frame } from '../../../src/quic/wire/frame-types.js';
import { finishLongHeader, QUIC_VERSION_1, writeLongHeader, writeShortHeader } from '../../../src/quic/wire/header.js';
import { SimRandom } from '../../sim/network.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR, serverOptions, transfer, type Pair } from './sim-node.js';

const FROM_CLIENT = { local: SERVER_ADDR, remote: CLIENT_ADDR };

/** An established pair whose client logs its secrets, so the test can forge authenticated client packets. */
function establishedWithKeys(): { p: Pair; write: PacketProtector; serverCid: Uint8Array } {
  const lines: string[] = [];
  const p = makePair({ client: { keylog: (l) => lines.push(l) } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  const line = lines.find((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 '))!;
  const secret = Buffer.from(line.split(' ')[2]!, 'hex');
  const write = createPacketProtector(derivePacketProtectionKeys(CIPHER_SUITES.TLS_AES_128_GCM_SHA256, secret));
  const serverCid = p.server.eventsOf('cid-issued')[0]!.cid;
  return { p, write, serverCid };
}

/** A 1-RTT packet from the client with these frames (RFC 9000 §17.3.1), optionally with reserved bits set. */
function shortPacket(write: PacketProtector, dcid: Uint8Array, pn: number, frames: Frame[], firstByteBits = 0): Uint8Array {
  const buf = new Uint8Array(1500);
  const w = new BufferWriter(buf);
  const pnOffset = writeShortHeader(w, { dcid, keyPhase: 0, packetNumber: pn, packetNumberLength: 4 });
  for (const f of frames) encodeFrame(w, f);
  while (w.offset - pnOffset < 8) w.u8(0); // room for the header protection sample
  buf[0]! |= firstByteBits;
  const end = protectPacket(write, buf, 0, pnOffset, 4, w.offset, pn);
  return buf.slice(0, end);
}

function expectClose(p: Pair, datagram: Uint8Array, code: number, frameType?: number): void {
  const server = p.server.connection;
  assert.doesNotThrow(() => server.receive(datagram, FROM_CLIENT, p.net.now));
  p.server.drain();
  assert.equal(server.state, 'closing');
  p.net.run({ until: p.net.now + 3000, done: () => p.server.has('closed') && p.client.has('closed') });
  const s = p.server.eventsOf('closed')[0];
  assert.ok(s, 'server closed');
  assert.equal(s.info.code, code, `code 0x${s.info.code.toString(16)}: ${s.info.reason}`);
  if (frameType !== undefined) assert.equal(s.info.frameType, frameType);
  // The client learns the code through CONNECTION_CLOSE.
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c, 'client closed');
  assert.equal(c.info.code, code);
  assert.equal(c.info.remote, true);
}

const PN = 100_000;

const cases: Array<{ name: string; frames: Frame[]; code: number; frameType?: number; bits?: number }> = [
  { name: 'ACK of a packet never sent', frames: [{ kind: 'ack', ranges: [{ smallest: 0, largest: 1_000_000 }], ackDelay: 0 }], code: TransportErrorCode.PROTOCOL_VIOLATION, frameType: 0x02 },
  { name: 'HANDSHAKE_DONE from a client', frames: [{ kind: 'handshake_done' }], code: TransportErrorCode.PROTOCOL_VIOLATION, frameType: 0x1e },
  { name: 'NEW_TOKEN from a client', frames: [{ kind: 'new_token', token: new Uint8Array([1, 2, 3]) }], code: TransportErrorCode.PROTOCOL_VIOLATION, frameType: 0x07 },
  { name: 'STREAM on a server stream never opened', frames: [{ kind: 'stream', streamId: 1, offset: 0, data: new Uint8Array(3), fin: false }], code: TransportErrorCode.STREAM_STATE_ERROR },
  { name: 'STREAM beyond the stream limit', frames: [{ kind: 'stream', streamId: 4 * 1000, offset: 0, data: new Uint8Array(3), fin: false }], code: TransportErrorCode.STREAM_LIMIT_ERROR },
  { name: 'STREAM beyond the flow control limit', frames: [{ kind: 'stream', streamId: 0, offset: 10_000_000, data: new Uint8Array(3), fin: false }], code: TransportErrorCode.FLOW_CONTROL_ERROR },
  { name: 'RETIRE_CONNECTION_ID for an ID never issued', frames: [{ kind: 'retire_connection_id', sequenceNumber: 50 }], code: TransportErrorCode.PROTOCOL_VIOLATION },
  { name: 'reserved header bits set', frames: [{ kind: 'ping' }], code: TransportErrorCode.PROTOCOL_VIOLATION, bits: 0x18 },
  { name: 'CRYPTO garbage after the handshake', frames: [{ kind: 'crypto', offset: 0, data: new Uint8Array([0x63, 0, 0, 1, 0]) }], code: 0x10a },
];

for (const c of cases) {
  test(`authenticated 1-RTT packet with ${c.name}: closes with 0x${c.code.toString(16)}`, () => {
    const { p, write, serverCid } = establishedWithKeys();
    expectClose(p, shortPacket(write, serverCid, PN, c.frames, c.bits ?? 0), c.code, c.frameType);
  });
}

test('an unknown frame type is FRAME_ENCODING_ERROR', () => {
  const { p, write, serverCid } = establishedWithKeys();
  // A raw frame type 0x3f, which no RFC defines, followed by padding.
  const buf = new Uint8Array(1500);
  const w = new BufferWriter(buf);
  const pnOffset = writeShortHeader(w, { dcid: serverCid, keyPhase: 0, packetNumber: PN + 1, packetNumberLength: 4 });
  w.u8(0x3f).zeros(8);
  const end = protectPacket(write, buf, 0, pnOffset, 4, w.offset, PN + 1);
  expectClose(p, buf.slice(0, end), TransportErrorCode.FRAME_ENCODING_ERROR, 0x3f);
});

test('a frame not allowed in an Initial packet (STREAM) is PROTOCOL_VIOLATION (RFC 9000 §12.4)', () => {
  const p = makePair();
  const net = p.net;
  const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const scid = Uint8Array.from([9, 9, 9, 9]);
  const keys = deriveInitialKeys(dcid);
  const protector = createPacketProtector(keys.client);
  const buf = new Uint8Array(1200);
  const w = new BufferWriter(buf);
  const layout = writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid, scid, token: new Uint8Array(0), packetNumber: 0, packetNumberLength: 2 });
  encodeFrame(w, { kind: 'stream', streamId: 0, offset: 0, data: new Uint8Array(10), fin: false });
  w.zeros(buf.length - w.offset - 16);
  finishLongHeader(w, layout, 16);
  protectPacket(protector, buf, 0, layout.pnOffset, 2, w.offset, 0);
  const server = QuicConnection.server(serverOptions(net, CLIENT_ADDR), 0);
  assert.doesNotThrow(() => server.receive(buf, FROM_CLIENT, 0));
  assert.equal(server.state, 'closing');
  // It answers with CONNECTION_CLOSE in an Initial packet.
  const out = server.poll(0);
  assert.ok(out);
  assert.equal(out.data[0]! & 0xf0, 0xc0, 'long header Initial');
  let closed;
  for (let ev = server.pollEvent(); ev; ev = server.pollEvent()) if (ev.type === 'closed') closed = ev;
  server.handleTimeout(10_000);
  for (let ev = server.pollEvent(); ev; ev = server.pollEvent()) if (ev.type === 'closed') closed = ev;
  assert.ok(closed);
  assert.equal(closed.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
});

/** Captures every datagram each side sends during a handshake and a small transfer. */
function capture(): { fromClient: Uint8Array[]; fromServer: Uint8Array[] } {
  const p = makePair({ seed: 11 });
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  p.net.tap = (d) => {
    (d.from === CLIENT_ADDR ? fromClient : fromServer).push(Uint8Array.from(d.data));
    return d.data;
  };
  runHandshake(p);
  transfer(p, new SimRandom(2).bytes(20_000));
  p.net.run({ until: p.net.now + 200 });
  return { fromClient, fromServer };
}

function mutations(d: Uint8Array, rnd: SimRandom): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 6; i++) {
    const m = Uint8Array.from(d);
    const bit = rnd.nextU32() % (d.length * 8);
    m[bit >> 3]! ^= 1 << (bit & 7);
    out.push(m);
  }
  for (const cut of [1, 7, Math.floor(d.length / 2), d.length - 1]) if (cut > 0 && cut < d.length) out.push(d.slice(0, cut));
  out.push(new Uint8Array(0));
  out.push(rnd.bytes(1 + (rnd.nextU32() % 1300)));
  return out;
}

test('a corpus of bit flips and truncations of real datagrams is dropped silently, in any state', () => {
  const { fromClient, fromServer } = capture();
  assert.ok(fromClient.length > 10 && fromServer.length > 5, `${fromClient.length} / ${fromServer.length} datagrams captured`);
  const rnd = new SimRandom(77);
  const p = makePair({ seed: 12 });
  runHandshake(p);
  // Garbage before, during and after use: at an established client and server.
  let fed = 0;
  for (const d of fromClient) {
    for (const m of mutations(d, rnd)) {
      assert.doesNotThrow(() => p.server.connection.receive(m, FROM_CLIENT, p.net.now));
      assert.doesNotThrow(() => p.server.connection.poll(p.net.now));
      fed++;
    }
  }
  for (const d of fromServer) {
    for (const m of mutations(d, rnd)) {
      assert.doesNotThrow(() => p.client.connection.receive(m, { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now));
      fed++;
    }
  }
  p.client.drain();
  p.server.drain();
  assert.ok(fed > 250, `${fed} datagrams fed`);
  // Packets that fail authentication are dropped (RFC 9001 §5.5): nothing closed, and the connection still works.
  assert.equal(p.server.connection.state, 'established');
  assert.equal(p.client.connection.state, 'established');
  const data = new SimRandom(3).bytes(30_000);
  const r = transfer(p, data);
  assert.ok(r.finished);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
});

test('mutated client Initials never throw at a fresh server', () => {
  const { fromClient } = capture();
  const rnd = new SimRandom(5);
  const first = fromClient[0]!;
  const net = makePair().net;
  for (const m of mutations(first, rnd).concat(mutations(first, rnd))) {
    const server = QuicConnection.server(serverOptions(net, CLIENT_ADDR), 0);
    assert.doesNotThrow(() => {
      server.receive(m, FROM_CLIENT, 0);
      for (let i = 0; i < 5 && server.poll(0) !== undefined; i++);
      server.handleTimeout(100_000);
    });
    for (let ev = server.pollEvent(); ev; ev = server.pollEvent()) {
      if (ev.type === 'closed') assert.ok(ev.info.code !== TransportErrorCode.INTERNAL_ERROR, ev.info.reason);
    }
  }
});

test('a server whose first datagram is a corrupted Initial still accepts the real one that follows', () => {
  const p = makePair();
  let first = true;
  p.net.tap = (d) => {
    if (d.to === SERVER_ADDR && first) {
      first = false;
      const bad = Uint8Array.from(d.data);
      bad[bad.length - 20]! ^= 0xff; // inside the AEAD-protected payload
      return bad;
    }
    return d.data;
  };
  runHandshake(p);
  assert.ok(p.client.has('handshake-confirmed'), 'the retransmitted Initial started the connection');
  assert.ok(p.server.has('handshake-complete'));
});

test('a server discards an Initial in a datagram below 1200 bytes (RFC 9000 §14.1)', () => {
  const net = makePair().net;
  const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const initial = (datagramSize: number): Uint8Array => {
    const buf = new Uint8Array(datagramSize);
    const w = new BufferWriter(buf);
    const layout = writeLongHeader(w, { type: 'initial', version: QUIC_VERSION_1, dcid, scid: Uint8Array.from([9, 9]), token: new Uint8Array(0), packetNumber: 0, packetNumberLength: 2 });
    encodeFrame(w, { kind: 'ping' });
    w.zeros(datagramSize - w.offset - 16);
    finishLongHeader(w, layout, 16);
    protectPacket(createPacketProtector(deriveInitialKeys(dcid).client), buf, 0, layout.pnOffset, 2, w.offset, 0);
    return buf;
  };
  const small = QuicConnection.server(serverOptions(net, CLIENT_ADDR), 0);
  small.receive(initial(1199), FROM_CLIENT, 0);
  assert.equal(small.poll(0), undefined, 'dropped: no ACK');
  const full = QuicConnection.server(serverOptions(net, CLIENT_ADDR), 0);
  full.receive(initial(1200), FROM_CLIENT, 0);
  assert.ok(full.poll(0), 'processed: the PING is acknowledged');
});

test('a NEW_TOKEN from the server surfaces as a new-token event at the client (RFC 9000 §19.7)', () => {
  const lines: string[] = [];
  const p = makePair({ server: { keylog: (l) => lines.push(l) } });
  runHandshake(p);
  const secret = Buffer.from(lines.find((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 '))!.split(' ')[2]!, 'hex');
  const write = createPacketProtector(derivePacketProtectionKeys(CIPHER_SUITES.TLS_AES_128_GCM_SHA256, secret));
  const clientCid = p.client.eventsOf('cid-issued')[0]!.cid;
  const token = Uint8Array.from([1, 2, 3, 4, 5]);
  p.client.connection.receive(shortPacket(write, clientCid, PN, [{ kind: 'new_token', token }]), { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  p.client.drain();
  assert.deepEqual(p.client.eventsOf('new-token').map((e) => [...e.token]), [[1, 2, 3, 4, 5]]);
  assert.equal(p.client.connection.state, 'established');
});
