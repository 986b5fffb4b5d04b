// 0-RTT (RFC 9001 §4.6, RFC 9000 §7.4.1): stream data in the client's first flight on a resumed connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayGuard, TicketKeyring } from '../../../src/quic/tls/tickets.js';
import type { SessionTicket } from '../../../src/quic/tls/types.js';
import { EARLY_DATA_REJECTED_ERROR_CODE } from '../../../src/quic/connection/connection.js';
import { CLIENT_ADDR, concat, makePair, runHandshake } from './sim-node.js';

function firstTicket(ticketKeyring: TicketKeyring, replayGuard: ReplayGuard): SessionTicket {
  const p = makePair({ server: { tls: { ticketKeyring, replayGuard, enableEarlyData: true } } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 200, done: () => p.client.has('session-ticket') });
  const ev = p.client.eventsOf('session-ticket')[0];
  assert.ok(ev, 'ticket');
  const ticket = ev.ticket as SessionTicket;
  assert.ok(ticket.transportParameters, 'the server transport parameters are stored with the ticket (RFC 9000 §7.4.1)');
  assert.ok(ticket.maxEarlyData > 0);
  return ticket;
}

function resumeWithData(ticket: SessionTicket, serverEarlyData: boolean, ticketKeyring: TicketKeyring, replayGuard: ReplayGuard) {
  const p = makePair({
    seed: 9,
    client: { tls: { session: ticket, enableEarlyData: true } },
    server: { tls: { ticketKeyring, replayGuard, enableEarlyData: serverEarlyData } },
  });
  let zeroRttPackets = 0;
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR) {
      // Walk the coalesced long header packets: type bits 0x30 == 0x10 is 0-RTT.
      if ((d.data[0]! & 0x80) !== 0) zeroRttPackets += countZeroRtt(d.data);
    }
    return d.data;
  };
  const client = p.client.connection;
  const sid = client.openStream(true);
  assert.notEqual(sid, undefined, 'a stream opens before the handshake, within the remembered limits');
  client.streamWrite(sid!, Buffer.from('CONNECT in the first flight'), true);
  // RFC 9001 §4.6.2: on rejection the early stream is reset; the application sends again on a new one.
  const resets: Array<{ streamId: number; errorCode: number }> = [];
  let resentOn: number | undefined;
  p.client.onEvent = (ev) => {
    if (ev.type !== 'stream-reset') return;
    resets.push({ streamId: ev.streamId, errorCode: ev.errorCode });
    resentOn = client.openStream(true);
    assert.notEqual(resentOn, undefined);
    client.streamWrite(resentOn!, Buffer.from('CONNECT in the first flight'), true);
  };
  const got: Uint8Array[] = [];
  let fin = false;
  let dataBeforeComplete = false;
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') {
      if (!node.has('handshake-complete')) dataBeforeComplete = true;
      for (let d = node.connection.streamRead(ev.streamId); d; d = node.connection.streamRead(ev.streamId)) got.push(Uint8Array.from(d));
    }
    if (ev.type === 'stream-finished') fin = true;
  };
  p.net.run({ done: () => fin && p.client.has('handshake-complete') && p.server.has('handshake-complete'), until: 5000 });
  return { p, text: Buffer.from(concat(got)).toString(), fin, zeroRttPackets, dataBeforeComplete, resets, resentOn, sid: sid! };
}

function countZeroRtt(d: Uint8Array): number {
  let n = 0;
  let off = 0;
  while (off < d.length && (d[off]! & 0x80) !== 0) {
    if ((d[off]! & 0x30) === 0x10) n++;
    // Skip: first byte, version, DCID, SCID, [token], Length, payload.
    let o = off + 5;
    o += 1 + d[o]!;
    o += 1 + d[o]!;
    const type = (d[off]! & 0x30) >> 4;
    const readVarint = (): number => {
      const len = 1 << (d[o]! >> 6);
      let v = d[o]! & 0x3f;
      for (let i = 1; i < len; i++) v = v * 256 + d[o + i]!;
      o += len;
      return v;
    };
    if (type === 0) {
      const tokenLength = readVarint();
      o += tokenLength;
    }
    const length = readVarint();
    off = o + length;
  }
  return n;
}

test('0-RTT accepted: the stream data of the first flight reaches the server before the handshake completes', () => {
  const ticketKeyring = new TicketKeyring();
  const replayGuard = new ReplayGuard({ windowMs: 10_000, maxEntries: 100 });
  const ticket = firstTicket(ticketKeyring, replayGuard);
  const r = resumeWithData(ticket, true, ticketKeyring, replayGuard);
  assert.ok(r.zeroRttPackets >= 1, 'a 0-RTT packet was coalesced with the first Initial');
  assert.equal(r.text, 'CONNECT in the first flight');
  assert.ok(r.fin);
  assert.ok(r.dataBeforeComplete, 'delivered from 0-RTT, before the client Finished');
  const c = r.p.client.eventsOf('handshake-complete')[0]!;
  assert.equal(c.resumed, true);
  assert.equal(c.earlyData, 'accepted');
  assert.equal(r.p.server.eventsOf('handshake-complete')[0]!.earlyData, 'accepted');
});

test('0-RTT rejected: early streams are reset and the application sends again on new ones (RFC 9001 §4.6.2)', () => {
  const ticketKeyring = new TicketKeyring();
  const replayGuard = new ReplayGuard({ windowMs: 10_000, maxEntries: 100 });
  const ticket = firstTicket(ticketKeyring, replayGuard);
  const r = resumeWithData(ticket, false, ticketKeyring, replayGuard);
  assert.ok(r.zeroRttPackets >= 1, 'the client tried 0-RTT');
  assert.equal(r.p.client.eventsOf('handshake-complete')[0]!.earlyData, 'rejected');
  assert.deepEqual(r.resets, [{ streamId: r.sid, errorCode: EARLY_DATA_REJECTED_ERROR_CODE }], 'the early stream is reset locally');
  // The server never saw the early stream: stream IDs start over under its real limits.
  assert.equal(r.resentOn, r.sid);
  assert.equal(r.text, 'CONNECT in the first flight', 'exactly one copy arrives');
  assert.ok(r.fin);
  assert.equal(r.dataBeforeComplete, false);
  assert.equal(r.p.server.eventsOf('stream-opened').length, 1);
  assert.equal(r.p.server.has('stream-reset'), false, 'nothing about the early stream reaches the server');
});

test('0-RTT rejected: the server limits, not the remembered ones, apply afterwards (RFC 9000 §7.4.1)', () => {
  const ticketKeyring = new TicketKeyring();
  const replayGuard = new ReplayGuard({ windowMs: 10_000, maxEntries: 100 });
  const ticket = firstTicket(ticketKeyring, replayGuard);
  // The server now allows only 2 bidirectional streams (the ticket remembered 100) and rejects 0-RTT.
  const p = makePair({
    seed: 9,
    client: { tls: { session: ticket, enableEarlyData: true } },
    server: { tls: { ticketKeyring, replayGuard, enableEarlyData: true }, transport: { initialMaxStreamsBidi: 2 } },
  });
  const client = p.client.connection;
  const early = [client.openStream(true), client.openStream(true), client.openStream(true)];
  assert.ok(early.every((id) => id !== undefined), 'three streams within the remembered limit');
  runHandshake(p);
  assert.equal(p.client.eventsOf('handshake-complete')[0]!.earlyData, 'rejected', 'changed parameters reject 0-RTT (RFC 9001 §4.6.1)');
  assert.deepEqual(p.client.eventsOf('stream-reset').map((e) => e.streamId), early);
  assert.ok(p.client.eventsOf('stream-reset').every((e) => e.earlyDataRejected === true), 'marked as a rejection, not a reset by the peer');
  // The outcome comes first, so the application knows why the resets follow.
  const kinds = p.client.events.map((e) => e.type).filter((t) => t === 'handshake-complete' || t === 'stream-reset');
  assert.deepEqual(kinds, ['handshake-complete', 'stream-reset', 'stream-reset', 'stream-reset']);
  assert.notEqual(client.openStream(true), undefined);
  assert.notEqual(client.openStream(true), undefined);
  assert.equal(client.openStream(true), undefined, 'the server allows two');
});

test('a ticket without transport parameters does not offer 0-RTT', () => {
  const ticketKeyring = new TicketKeyring();
  const replayGuard = new ReplayGuard({ windowMs: 10_000, maxEntries: 100 });
  const ticket = { ...firstTicket(ticketKeyring, replayGuard) };
  delete ticket.transportParameters;
  const p = makePair({ client: { tls: { session: ticket, enableEarlyData: true } }, server: { tls: { ticketKeyring, replayGuard, enableEarlyData: true } } });
  assert.equal(p.client.connection.openStream(true), undefined, 'no stream credit before the handshake');
  runHandshake(p);
  assert.equal(p.client.eventsOf('handshake-complete')[0]!.earlyData, 'none');
  assert.equal(p.client.eventsOf('handshake-complete')[0]!.resumed, true);
});
