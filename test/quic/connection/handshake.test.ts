// Handshake (RFC 9000 §7, RFC 9001 §4) between a client and a server QuicConnection over the simulated
// network, with real certificate verification against the test CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, runHandshake, SERVER_ADDR, CLIENT_ADDR } from './sim-node.js';
import { certFile } from '../../helpers/certs.js';

const pem = (name: string): string => certFile(name).toString('utf8');
import { MIN_INITIAL_DATAGRAM_SIZE, parsePacket } from '../../../src/quic/wire/header.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';

test('handshake on a clean link: events on both sides, keys discarded in order', () => {
  const p = makePair();
  runHandshake(p);
  // One RTT of 20 ms for the handshake, one more for HANDSHAKE_DONE: no PTO was needed on a clean link.
  assert.ok(p.net.now <= 60, `handshake confirmed at ${p.net.now} ms`);
  const c = p.client.eventsOf('handshake-complete');
  assert.equal(c.length, 1);
  assert.deepEqual(c[0], { type: 'handshake-complete', alpn: 'mqtt', serverName: 'localhost', resumed: false, earlyData: 'none' });
  const s = p.server.eventsOf('handshake-complete');
  assert.equal(s.length, 1);
  assert.equal(s[0]!.serverName, 'localhost');
  assert.ok(p.client.has('handshake-confirmed'), 'client: HANDSHAKE_DONE received');
  p.net.run({ until: p.net.now + 100 });
  assert.ok(p.server.has('handshake-confirmed'), 'server: HANDSHAKE_DONE acknowledged');
  assert.equal(p.client.connection.state, 'established');
  assert.equal(p.server.connection.state, 'established');
  assert.equal(p.client.connection.handshakeConfirmed, true);
  assert.equal(p.server.connection.handshakeConfirmed, true);
  // RFC 9001 §4.9: Initial and Handshake keys are gone once the handshake is confirmed.
  for (const node of [p.client, p.server]) {
    assert.equal(node.connection.keysAvailable('initial'), false);
    assert.equal(node.connection.keysAvailable('handshake'), false);
    assert.equal(node.connection.keysAvailable('application'), true);
  }
  // The peers exchanged transport parameters through TLS.
  assert.equal(p.client.connection.peerTransportParameters?.initialMaxStreamsBidi, 100);
});

test('every datagram carrying a client Initial is padded to 1200 bytes (RFC 9000 §14.1)', () => {
  const p = makePair();
  const sizes: number[] = [];
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR && (d.data[0]! & 0xb0) === 0x80 /* long header, type Initial */) sizes.push(d.data.length);
    return d.data;
  };
  runHandshake(p);
  assert.ok(sizes.length >= 1);
  for (const s of sizes) assert.ok(s >= MIN_INITIAL_DATAGRAM_SIZE, `client Initial datagram of ${s} bytes`);
});

test('the server coalesces Initial and Handshake packets in one datagram (RFC 9000 §12.2)', () => {
  const p = makePair();
  let coalesced = false;
  p.net.tap = (d) => {
    if (d.from === SERVER_ADDR && (d.data[0]! & 0x80) !== 0) {
      const first = parsePacket(d.data, 0, 8);
      if (first.packetEnd < d.data.length) coalesced = true;
    }
    return d.data;
  };
  runHandshake(p);
  assert.ok(coalesced);
});

for (const [name, link] of [
  ['10% loss', { delayMs: 15, loss: 0.1 }],
  ['20% loss', { delayMs: 15, loss: 0.2 }],
  ['30% loss', { delayMs: 15, loss: 0.3 }],
  ['reordering', { delayMs: 10, jitterMs: 5, reorder: 0.3, reorderDelayMs: 20 }],
  ['duplication', { delayMs: 10, duplicate: 0.5 }],
  ['loss, reordering and duplication', { delayMs: 10, jitterMs: 10, loss: 0.15, duplicate: 0.2, reorder: 0.2 }],
] as const) {
  test(`handshake completes with ${name} (several seeds)`, () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const p = makePair({ seed, link });
      runHandshake(p);
      assert.ok(p.client.has('handshake-complete'), `seed ${seed}: client complete`);
      assert.ok(p.server.has('handshake-complete'), `seed ${seed}: server complete`);
      assert.ok(p.client.has('handshake-confirmed'), `seed ${seed}: client confirmed`);
      assert.equal(p.client.eventsOf('handshake-complete').length, 1, 'completes once');
      assert.ok(!p.client.has('closed') && !p.server.has('closed'));
    }
  });
}

test('server never exceeds 3x the bytes received before the client address is validated (RFC 9000 §8.1)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    // Client-to-server losses make the server rely on its amplification budget.
    const p = makePair({ seed, link: { delayMs: 20, loss: 0.25 } });
    let received = 0;
    let sent = 0;
    let validated = false;
    let violated = false;
    p.net.tap = (d) => {
      if (d.to === SERVER_ADDR) {
        received += d.data.length;
        // A Handshake packet from the client validates its address.
        if ((d.data[0]! & 0xb0) === 0xa0 || (d.data[0]! & 0x80) === 0) validated = true;
        for (let off = 0; off < d.data.length && !validated; ) {
          const pk = safeParse(d.data, off);
          if (pk === undefined) break;
          if (pk.type === 'handshake') validated = true;
          off = pk.packetEnd;
        }
      }
      return d.data;
    };
    const origPoll = p.server.poll.bind(p.server);
    p.server.poll = (now) => {
      const out = origPoll(now);
      for (const o of out) {
        sent += o.data.length;
        if (!validated && sent > 3 * received) violated = true;
      }
      return out;
    };
    runHandshake(p);
    assert.ok(!violated, `seed ${seed}: server sent ${sent} bytes for ${received} received before validation`);
    assert.ok(p.client.has('handshake-complete'), `seed ${seed}`);
  }
});

function safeParse(d: Uint8Array, off: number): ReturnType<typeof parsePacket> | undefined {
  try {
    return parsePacket(d, off, 8);
  } catch {
    return undefined;
  }
}

test('a server that hears nothing more from the client sends at most 3x its first datagram (RFC 9000 §8.1)', () => {
  // The RSA chain makes the server's first flight larger than three client Initials can pay for.
  const p = makePair({ server: { tls: { certificateChain: pem('server-rsa-chain.pem'), privateKey: pem('server-rsa-key.pem') } } });
  let clientDatagrams = 0;
  let firstSize = 0;
  let serverBytes = 0;
  p.net.tap = (d) => {
    if (d.to === SERVER_ADDR) {
      clientDatagrams++;
      if (clientDatagrams > 1) return null;
      firstSize = d.data.length;
    } else {
      serverBytes += d.data.length;
    }
    return d.data;
  };
  p.net.run({ until: 2000 });
  assert.ok(serverBytes > 0, 'the server answered');
  assert.ok(serverBytes <= 3 * firstSize, `server sent ${serverBytes} bytes for ${firstSize}`);
  // Once the client gets through again (its probes), the handshake finishes.
  p.net.tap = undefined;
  runHandshake(p);
  assert.ok(p.client.has('handshake-confirmed'));
});

test('ALPN mismatch: the server closes with CRYPTO_ERROR 0x178 (no_application_protocol)', () => {
  const p = makePair({ client: { alpn: ['h3'] } });
  p.net.run({ until: 5000, done: () => p.client.has('closed') && p.server.has('closed') });
  const s = p.server.eventsOf('closed')[0];
  assert.ok(s, 'server closed');
  assert.equal(s.info.code, 0x178);
  assert.equal(s.info.remote, false);
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c, 'client closed');
  assert.equal(c.info.code, 0x178);
  assert.equal(c.info.remote, true);
  assert.ok(!p.client.has('handshake-complete'));
});

test('a server certificate for another host fails verification: CRYPTO_ERROR from the client', () => {
  const p = makePair({ client: { tls: { serverName: 'not-localhost.example' } } });
  p.net.run({ until: 5000, done: () => p.client.has('closed') && p.server.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.ok(c.info.code >= 0x100 && c.info.code <= 0x1ff, `code 0x${c.info.code.toString(16)}`);
  const s = p.server.eventsOf('closed')[0];
  assert.ok(s);
  assert.equal(s.info.code, c.info.code);
  assert.equal(s.info.remote, true);
});

test('handshake timeout when the server is unreachable', () => {
  const p = makePair({ link: { delayMs: 10, loss: 1 }, client: { limits: { handshakeTimeoutMs: 3000 } } });
  p.net.run({ until: 10_000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.cause, 'handshake-timeout');
  assert.equal(p.client.connection.state, 'closed');
  assert.equal(p.client.connection.nextTimeout(), undefined);
  assert.equal(c.info.code, TransportErrorCode.NO_ERROR);
});

test('the client discards Initial keys as soon as it sends a Handshake packet (RFC 9001 §4.9.1)', () => {
  const p = makePair();
  const states: boolean[] = [];
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR && safeParse(d.data, 0)?.type === 'handshake') states.push(p.client.connection.keysAvailable('initial'));
    return d.data;
  };
  runHandshake(p);
  assert.ok(states.length >= 1);
  assert.deepEqual(states, states.map(() => false));
});

test('resumption: a session ticket from the first connection resumes the second', async () => {
  const { TicketKeyring } = await import('../../../src/quic/tls/tickets.js');
  const ticketKeyring = new TicketKeyring();
  const first = makePair({ server: { tls: { ticketKeyring } } });
  runHandshake(first);
  first.net.run({ until: first.net.now + 200, done: () => first.client.has('session-ticket') });
  const ticket = first.client.eventsOf('session-ticket')[0];
  assert.ok(ticket, 'ticket received after the handshake');
  const second = makePair({ seed: 2, server: { tls: { ticketKeyring } }, client: { tls: { session: ticket.ticket as never } } });
  runHandshake(second);
  assert.equal(second.client.eventsOf('handshake-complete')[0]?.resumed, true);
  assert.equal(second.client.eventsOf('handshake-complete')[0]?.earlyData, 'none');
});
