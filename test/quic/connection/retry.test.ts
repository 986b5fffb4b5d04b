// Client handling of Retry (RFC 9000 §8.1.2, §17.2.5; RFC 9001 §5.8) and Version Negotiation
// (RFC 9000 §6), and the connection ID authentication of RFC 9000 §7.3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRetryPacket } from '../../../src/quic/crypto/retry.js';
import { buildVersionNegotiation, parsePacket } from '../../../src/quic/wire/header.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR, serverOptions, type Pair } from './sim-node.js';
import type { SimNetwork } from '../../sim/network.js';

const TOKEN_PREFIX = 0x54;

interface RetryPlan {
  /** Retries sent before a connection is created for a token-carrying Initial. */
  retries: Array<{ scid: Uint8Array; corruptTag?: boolean }>;
  /** What the server says in retry_source_connection_id: 'match' (default), 'missing' or a wrong value. */
  retrySourceParameter?: 'match' | 'missing' | 'wrong';
}

/** A server node that answers tokenless Initials with Retry packets, like an endpoint doing address validation. */
function retryingPair(plan: RetryPlan, seed = 1): Pair & { tokensSeen: Uint8Array[] } {
  const tokensSeen: Uint8Array[] = [];
  let retryIndex = 0;
  const pair = makePair({
    seed,
    serverFactory: (datagram, from, now, net: SimNetwork) => {
      const first = parsePacket(datagram, 0, 8);
      if (first.type !== 'initial') return undefined;
      tokensSeen.push(Uint8Array.from(first.token));
      if (first.token.length === 0 || retryIndex < plan.retries.length) {
        const r = plan.retries[Math.min(retryIndex, plan.retries.length - 1)]!;
        retryIndex++;
        const token = Uint8Array.from([TOKEN_PREFIX, ...first.dcid]);
        const retry = buildRetryPacket(first.dcid, { dcid: first.scid, scid: r.scid, token });
        if (r.corruptTag === true) retry[retry.length - 1]! ^= 0x01;
        pendingRetries.push({ data: retry, to: from });
        return undefined;
      }
      const odcid = first.token.subarray(1);
      const param = plan.retrySourceParameter ?? 'match';
      const opts = serverOptions(net, from, { originalDestinationConnectionId: odcid, addressValidated: true });
      if (param === 'match') opts.retrySourceConnectionId = first.dcid;
      if (param === 'wrong') opts.retrySourceConnectionId = Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9]);
      return QuicConnection.server(opts, now);
    },
  });
  const pendingRetries: Array<{ data: Uint8Array; to: string }> = [];
  const origPoll = pair.server.poll.bind(pair.server);
  pair.server.poll = (now) => {
    if (pendingRetries.length > 0) return pendingRetries.splice(0, 1);
    return origPoll(now);
  };
  return Object.assign(pair, { tokensSeen });
}

test('Retry: the client resends its Initial with the token to the new connection ID and completes', () => {
  const scid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const p = retryingPair({ retries: [{ scid }] });
  runHandshake(p);
  assert.ok(p.client.has('handshake-confirmed'));
  assert.equal(p.tokensSeen[0]!.length, 0, 'first Initial without a token');
  assert.equal(p.tokensSeen[1]![0], TOKEN_PREFIX, 'second Initial carries the Retry token');
  assert.ok(!p.client.has('closed'));
});

test('Retry with a bad integrity tag is discarded (RFC 9001 §5.8)', () => {
  const p = retryingPair({ retries: [{ scid: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]), corruptTag: true }] });
  p.net.run({ until: 3000 });
  assert.ok(p.tokensSeen.length >= 2, 'the client retransmitted its Initial');
  for (const t of p.tokensSeen) assert.equal(t.length, 0, 'never used the forged token');
  assert.ok(!p.client.has('handshake-complete'));
});

test('only the first Retry is honoured (RFC 9000 §17.2.5.2)', () => {
  const first = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
  const second = Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2]);
  // The server sends a second Retry to the first token-carrying Initial; the client must ignore it.
  const p = retryingPair({ retries: [{ scid: first }, { scid: second }] });
  p.net.run({ until: 3000 });
  const withToken = p.tokensSeen.filter((t) => t.length > 0);
  assert.ok(withToken.length >= 2, 'the client kept sending Initials with the first token');
  const firstToken = Buffer.from(withToken[0]!).toString('hex');
  for (const t of withToken) assert.equal(Buffer.from(t).toString('hex'), firstToken);
});

test('missing retry_source_connection_id after a Retry: TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.3)', () => {
  const p = retryingPair({ retries: [{ scid: Uint8Array.from([3, 3, 3, 3, 3, 3, 3, 3]) }], retrySourceParameter: 'missing' });
  p.net.run({ until: 5000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  assert.equal(c.info.remote, false);
});

test('wrong retry_source_connection_id: PROTOCOL_VIOLATION (RFC 9000 §7.3)', () => {
  const p = retryingPair({ retries: [{ scid: Uint8Array.from([3, 3, 3, 3, 3, 3, 3, 3]) }], retrySourceParameter: 'wrong' });
  p.net.run({ until: 5000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
});

test('retry_source_connection_id without a Retry: TRANSPORT_PARAMETER_ERROR', () => {
  const p = makePair({ server: { retrySourceConnectionId: Uint8Array.from([5, 5, 5, 5]) } });
  p.net.run({ until: 5000, done: () => p.client.has('closed') });
  assert.equal(p.client.eventsOf('closed')[0]?.info.code, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
});

test('original_destination_connection_id that does not match: PROTOCOL_VIOLATION', () => {
  const p = makePair({ server: { originalDestinationConnectionId: Uint8Array.from([7, 7, 7, 7, 7, 7, 7, 7]) } });
  p.net.run({ until: 5000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
  // The client tells the server (CONNECTION_CLOSE in a Handshake packet).
  p.net.run({ until: 10_000, done: () => p.server.has('closed') });
  assert.equal(p.server.eventsOf('closed')[0]?.info.code, TransportErrorCode.PROTOCOL_VIOLATION);
});

const CLIENT_SCID = Uint8Array.from([0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]);
const CLIENT_DCID = Uint8Array.from([0xd1, 0xd1, 0xd1, 0xd1, 0xd1, 0xd1, 0xd1, 0xd1]);

function vnPair(): Pair {
  return makePair({ client: { localConnectionId: CLIENT_SCID, initialDestinationConnectionId: CLIENT_DCID } });
}

test('Version Negotiation without QUIC v1 ends the connection attempt (RFC 9000 §6.2)', () => {
  const p = vnPair();
  p.client.connection.poll(0);
  p.client.connection.receive(buildVersionNegotiation(CLIENT_SCID, CLIENT_DCID, [0xff00001d, 0x6b3343cf]), { local: CLIENT_ADDR, remote: SERVER_ADDR }, 5);
  p.client.drain();
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.CONNECTION_REFUSED);
  assert.equal(p.client.connection.state, 'closed');
  assert.equal(p.client.connection.poll(6), undefined);
});

test('Version Negotiation listing v1, or with other connection IDs, is ignored', () => {
  const p = vnPair();
  const path = { local: CLIENT_ADDR, remote: SERVER_ADDR };
  p.client.connection.receive(buildVersionNegotiation(CLIENT_SCID, CLIENT_DCID, [0x00000001, 0xff00001d]), path, 1);
  p.client.connection.receive(buildVersionNegotiation(Uint8Array.from([1, 2, 3]), CLIENT_DCID, [0xff00001d]), path, 1);
  p.client.drain();
  assert.ok(!p.client.has('closed'));
  runHandshake(p);
  assert.ok(p.client.has('handshake-confirmed'));
});

test('Version Negotiation after a valid packet is ignored', () => {
  const p = vnPair();
  runHandshake(p);
  p.client.connection.receive(buildVersionNegotiation(CLIENT_SCID, CLIENT_DCID, [0xff00001d]), { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  p.client.drain();
  assert.ok(!p.client.has('closed'));
  assert.equal(p.client.connection.state, 'established');
});
