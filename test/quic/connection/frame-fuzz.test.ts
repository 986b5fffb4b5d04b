// Random authenticated frames from a "client" that knows the keys: whatever they say, the server never
// throws, never hits an internal error, and either carries on or closes with a transport error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CIPHER_SUITES, derivePacketProtectionKeys } from '../../../src/quic/crypto/keys.js';
import { createPacketProtector, protectPacket, type PacketProtector } from '../../../src/quic/crypto/packet-protection.js';
import { BufferWriter } from '../../../src/quic/wire/buffer.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { encodeFrame } from '../../../src/quic/wire/frames.js';
import type { Frame } from '../../../src/quic/wire/frame-types.js';
import { writeShortHeader } from '../../../src/quic/wire/header.js';
import { SimRandom } from '../../sim/network.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR } from './sim-node.js';

function randomFrame(r: SimRandom): Frame {
  const n = (max: number): number => r.nextU32() % max;
  const big = (): number => (n(4) === 0 ? n(2 ** 30) : n(3000));
  const sid = (): number => n(4) === 0 ? n(4000) : n(16);
  switch (n(17)) {
    case 0:
      return { kind: 'ping' };
    case 1:
      return { kind: 'stream', streamId: sid(), offset: big(), data: r.bytes(n(200)), fin: n(2) === 0 };
    case 2:
      return { kind: 'reset_stream', streamId: sid(), errorCode: n(100), finalSize: big() };
    case 3:
      return { kind: 'stop_sending', streamId: sid(), errorCode: n(100) };
    case 4:
      return { kind: 'max_data', maximum: big() };
    case 5:
      return { kind: 'max_stream_data', streamId: sid(), maximum: big() };
    case 6:
      return { kind: 'max_streams', bidirectional: n(2) === 0, maximum: big() };
    case 7:
      return { kind: 'data_blocked', limit: big() };
    case 8:
      return { kind: 'stream_data_blocked', streamId: sid(), limit: big() };
    case 9:
      return { kind: 'streams_blocked', bidirectional: n(2) === 0, limit: big() };
    case 10: {
      const seq = n(12);
      return { kind: 'new_connection_id', sequenceNumber: seq, retirePriorTo: n(seq + 1), connectionId: r.bytes(1 + n(20)), statelessResetToken: r.bytes(16) };
    }
    case 11:
      return { kind: 'retire_connection_id', sequenceNumber: n(10) };
    case 12:
      return { kind: 'path_challenge', data: r.bytes(8) };
    case 13:
      return { kind: 'path_response', data: r.bytes(8) };
    case 14: {
      const largest = n(40);
      return { kind: 'ack', ranges: [{ smallest: n(largest + 1), largest }], ackDelay: n(1000) };
    }
    case 15:
      return { kind: 'crypto', offset: n(100), data: r.bytes(n(50)) };
    default:
      return { kind: 'datagram', data: r.bytes(n(100)) };
  }
}

function shortPacket(write: PacketProtector, dcid: Uint8Array, pn: number, frames: Frame[]): Uint8Array {
  const buf = new Uint8Array(4096);
  const w = new BufferWriter(buf);
  const pnOffset = writeShortHeader(w, { dcid, keyPhase: 0, packetNumber: pn, packetNumberLength: 4 });
  for (const f of frames) encodeFrame(w, f);
  while (w.offset - pnOffset < 8) w.u8(0);
  const end = protectPacket(write, buf, 0, pnOffset, 4, w.offset, pn);
  return buf.slice(0, end);
}

const EXPECTED_CODES = new Set<number>([
  TransportErrorCode.FLOW_CONTROL_ERROR,
  TransportErrorCode.STREAM_LIMIT_ERROR,
  TransportErrorCode.STREAM_STATE_ERROR,
  TransportErrorCode.FINAL_SIZE_ERROR,
  TransportErrorCode.FRAME_ENCODING_ERROR,
  TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
  TransportErrorCode.PROTOCOL_VIOLATION,
]);

for (const target of ['server', 'client'] as const) {
  test(`random authenticated frames to the ${target} never throw and never cause an internal error`, () => {
    const r = new SimRandom(target === 'server' ? 2024 : 4048);
    let closes = 0;
    for (let round = 0; round < 20; round++) {
      const lines: string[] = [];
      const keylog = (l: string): number => lines.push(l);
      const p = makePair({ seed: 100 + round, client: { keylog }, server: { keylog } });
      runHandshake(p);
      const label = target === 'server' ? 'CLIENT_TRAFFIC_SECRET_0 ' : 'SERVER_TRAFFIC_SECRET_0 ';
      const secret = Buffer.from(lines.find((l) => l.startsWith(label))!.split(' ')[2]!, 'hex');
      const write = createPacketProtector(derivePacketProtectionKeys(CIPHER_SUITES.TLS_AES_128_GCM_SHA256, secret));
      const node = target === 'server' ? p.server : p.client;
      const dcid = node.eventsOf('cid-issued')[0]!.cid;
      const conn = node.connection;
      const path = target === 'server' ? { local: SERVER_ADDR, remote: CLIENT_ADDR } : { local: CLIENT_ADDR, remote: SERVER_ADDR };
      for (let k = 0; k < 8 && conn.state === 'established'; k++) {
        const frames = Array.from({ length: 1 + (r.nextU32() % 4) }, () => randomFrame(r));
        if (target === 'client' && r.nextU32() % 8 === 0) frames.push({ kind: 'handshake_done' });
        const pkt = shortPacket(write, dcid, 1000 + k, frames);
        assert.doesNotThrow(() => conn.receive(pkt, path, p.net.now));
        assert.doesNotThrow(() => p.net.run({ until: p.net.now + 50 }));
      }
      p.net.run({ until: p.net.now + 2000, done: () => node.has('closed') });
      const closed = node.eventsOf('closed')[0];
      if (closed !== undefined) {
        closes++;
        assert.ok(EXPECTED_CODES.has(closed.info.code), `round ${round}: closed with 0x${closed.info.code.toString(16)} ${closed.info.reason}`);
      }
    }
    assert.ok(closes > 0, 'some rounds provoked a protocol error');
  });
}
