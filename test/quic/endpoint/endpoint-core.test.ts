import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointCore, type EndpointCoreOptions, type EndpointEvent, type ServerConnectionParams } from '../../../src/quic/endpoint/endpoint-core.js';
import { QuicEndpointError } from '../../../src/quic/endpoint/errors.js';
import { deriveStatelessResetToken } from '../../../src/quic/crypto/stateless-reset.js';
import { verifyRetryIntegrity } from '../../../src/quic/crypto/retry.js';
import { deriveInitialKeys } from '../../../src/quic/crypto/initial.js';
import { createPacketProtector, unprotectPacket } from '../../../src/quic/crypto/packet-protection.js';
import { decodeFrames } from '../../../src/quic/wire/frames.js';
import { parsePacket, QUIC_VERSION_1 } from '../../../src/quic/wire/header.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import type { OutgoingDatagram } from '../../../src/quic/connection/api.js';
import { StubConnection, cid, initialDatagram, seededRandom, shortDatagram } from './stub-connection.js';

const LOCAL = '127.0.0.1:4433';
const CLIENT = '127.0.0.1:50000';
const path = (remote = CLIENT) => ({ local: LOCAL, remote });
const RESET_KEY = new Uint8Array(32).fill(7);
const CLIENT_DCID = cid('0102030405060708');
const CLIENT_SCID = cid('a1a2a3a4');

interface Harness {
  core: EndpointCore;
  created: Array<{ params: ServerConnectionParams; conn: StubConnection }>;
}

function server(opts: Partial<EndpointCoreOptions> & { retry?: boolean; maxConnections?: number; maxHandshakes?: number } = {}): Harness {
  const created: Harness['created'] = [];
  const { retry, maxConnections, maxHandshakes, ...rest } = opts;
  const core = new EndpointCore({
    random: seededRandom(3),
    statelessResetKey: RESET_KEY,
    ...rest,
    server: {
      createConnection: (params) => {
        const conn = new StubConnection();
        created.push({ params, conn });
        return conn;
      },
      ...(retry !== undefined ? { retry } : {}),
      ...(maxConnections !== undefined ? { maxConnections } : {}),
      ...(maxHandshakes !== undefined ? { maxHandshakes } : {}),
    },
  });
  return { core, created };
}

function drain(core: EndpointCore, now = 0): OutgoingDatagram[] {
  const out: OutgoingDatagram[] = [];
  for (let i = 0; i < 1000; i++) {
    const d = core.poll(now);
    if (d === undefined) return out;
    out.push(d);
  }
  throw new Error('poll did not end');
}

function events(core: EndpointCore): EndpointEvent[] {
  const out: EndpointEvent[] = [];
  for (let e = core.pollEvent(); e !== undefined; e = core.pollEvent()) out.push(e);
  return out;
}

/** Decrypts a server Initial (as the client would) and returns its CONNECTION_CLOSE frame. */
function closeFrameOf(datagram: Uint8Array, clientDcid: Uint8Array) {
  const buf = Uint8Array.from(datagram);
  const p = parsePacket(buf, 0, 8);
  assert.equal(p.type, 'initial');
  if (p.type !== 'initial') throw new Error('unreachable');
  const opened = unprotectPacket(createPacketProtector(deriveInitialKeys(clientDcid).server), buf, p.packetStart, p.pnOffset, p.packetEnd, -1);
  assert.ok(opened, 'Initial must decrypt with the client DCID keys');
  const close = decodeFrames(opened.payload).find((f) => f.kind === 'connection_close');
  assert.ok(close && close.kind === 'connection_close');
  return { close, dcid: p.dcid };
}

test('options: connection ID length, reset key and limits are validated', () => {
  assert.throws(() => new EndpointCore({ connectionIdLength: 4 }), (e: unknown) => e instanceof QuicEndpointError && e.code === 'ERR_QUIC_ENDPOINT_OPTIONS');
  assert.throws(() => new EndpointCore({ connectionIdLength: 21 }), QuicEndpointError);
  assert.throws(() => new EndpointCore({ statelessResetKey: new Uint8Array(16) }), /statelessResetKey/);
  assert.throws(() => new EndpointCore({ supportedVersions: [] }), /supportedVersions/);
  assert.throws(() => new EndpointCore({ server: { createConnection: () => new StubConnection(), maxConnections: 0 } }), /maxConnections/);
});

test('a new Initial of 1200 bytes creates a server connection with the routing facts it needs', () => {
  const { core, created } = server();
  const dg = initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID });
  core.receive(dg, path(), 5);
  assert.equal(created.length, 1);
  const { params, conn } = created[0]!;
  assert.deepEqual(params.originalDestinationConnectionId, CLIENT_DCID);
  assert.equal(params.addressValidated, false);
  assert.equal(params.retrySourceConnectionId, undefined);
  assert.equal(params.localConnectionId.length, 8);
  assert.equal(params.connectionIdLength, 8);
  assert.deepEqual(params.statelessResetKey, RESET_KEY);
  assert.deepEqual(params.path, path());
  assert.equal(conn.received.length, 1, 'the Initial is handed to the new connection');
  const ev = events(core);
  assert.equal(ev[0]?.type, 'incoming');
  assert.equal(core.connectionCount, 1);
  assert.equal(core.handshakeCount, 1);
  // A retransmitted Initial (same DCID) reaches the same connection, no second one is made.
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 6);
  assert.equal(created.length, 1);
  assert.equal(conn.received.length, 2);
  // Short headers to our chosen ID are routed too.
  core.receive(shortDatagram(params.localConnectionId, 60), path(), 7);
  assert.equal(conn.received.length, 3);
});

test('Initials in datagrams under 1200 bytes, with short DCIDs, or non-Initial long headers create nothing', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, size: 1199 }), path(), 0);
  core.receive(initialDatagram({ dcid: cid('01020304050607'), scid: CLIENT_SCID }), path(), 0);
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, type: 'handshake' }), path(), 0);
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, type: '0rtt' }), path(), 0);
  core.receive(new Uint8Array(0), path(), 0);
  core.receive(Uint8Array.of(0xc0, 0, 0), path(), 0);
  assert.equal(created.length, 0);
  assert.deepEqual(drain(core), []);
  assert.equal(core.stats.shortInitialDropped, 1);
  assert.equal(core.stats.shortDcidDropped, 1);
  assert.equal(core.stats.unroutableDropped, 2);
  assert.equal(core.stats.malformedDropped, 2);
});

test('a client endpoint (no server options) never accepts Initials', () => {
  const core = new EndpointCore({ random: seededRandom(1) });
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  assert.equal(core.connectionCount, 0);
  assert.deepEqual(drain(core), []);
});

test('Version Negotiation answers an unsupported version with swapped IDs, v1 and a greasing version', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, version: 0xff00001d }), path(), 0);
  assert.equal(created.length, 0);
  const [vn, ...more] = drain(core);
  assert.equal(more.length, 0);
  assert.ok(vn);
  assert.equal(vn.path.remote, CLIENT);
  const p = parsePacket(vn.data, 0, 8);
  assert.equal(p.type, 'version_negotiation');
  if (p.type !== 'version_negotiation') return;
  assert.deepEqual(p.dcid, CLIENT_SCID, 'RFC 9000 §17.2.1: DCID = the client SCID');
  assert.deepEqual(p.scid, CLIENT_DCID);
  assert.ok(p.supportedVersions.includes(QUIC_VERSION_1));
  const grease = p.supportedVersions.find((v) => v !== QUIC_VERSION_1)!;
  assert.equal(grease & 0x0f0f0f0f, 0x0a0a0a0a, 'RFC 9000 §15: reserved versions are 0x?a?a?a?a');
});

test('Version Negotiation is never sent for small datagrams, VN packets or short headers', () => {
  const { core } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, version: 0xff00001d, size: 1100 }), path(), 0);
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, version: 0, size: 1200 }), path(), 0);
  assert.deepEqual(drain(core), []);
  assert.equal(core.stats.versionNegotiationsSent, 0);
});

test('Version Negotiation is rate limited', () => {
  const { core } = server({ versionNegotiationsPerSecond: 1, versionNegotiationBurst: 2 });
  for (let i = 0; i < 4; i++) core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, version: 0xff00001d }), path(), 0);
  assert.equal(drain(core).length, 2);
  assert.equal(core.stats.responsesSuppressed, 2);
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, version: 0xff00001d }), path(), 1000);
  assert.equal(drain(core).length, 1, 'the bucket refills with time');
});

test('Retry: a tokenless Initial gets an authenticated Retry; the Initial with its token creates a validated connection', () => {
  const { core, created } = server({ retry: true });
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 100);
  assert.equal(created.length, 0, 'RFC 9000 §8.1.2: no state before the address is validated');
  const [retry] = drain(core);
  assert.ok(retry);
  const p = parsePacket(retry.data, 0, 8);
  assert.equal(p.type, 'retry');
  if (p.type !== 'retry') return;
  assert.ok(verifyRetryIntegrity(CLIENT_DCID, retry.data), 'RFC 9001 §5.8 integrity tag');
  assert.deepEqual(Uint8Array.from(p.dcid), CLIENT_SCID);
  assert.equal(p.scid.length, 8);
  // RFC 9000 §17.2.5.2: the client's next Initial goes to the Retry SCID and carries the token.
  core.receive(initialDatagram({ dcid: p.scid, scid: CLIENT_SCID, token: p.token }), path(), 200);
  assert.equal(created.length, 1);
  const params = created[0]!.params;
  assert.equal(params.addressValidated, true);
  assert.deepEqual(Uint8Array.from(params.originalDestinationConnectionId), CLIENT_DCID, 'RFC 9000 §7.3 original_destination_connection_id');
  assert.deepEqual(Uint8Array.from(params.retrySourceConnectionId!), Uint8Array.from(p.scid), 'RFC 9000 §7.3 retry_source_connection_id');
});

function retryToken(core: EndpointCore, now = 0): { token: Uint8Array; scid: Uint8Array } {
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), now);
  const [retry] = drain(core, now);
  const p = parsePacket(retry!.data, 0, 8);
  if (p.type !== 'retry') throw new Error('expected a Retry');
  return { token: Uint8Array.from(p.token), scid: Uint8Array.from(p.scid) };
}

test('Retry tokens: tampered, expired, from another address or to another DCID close with INVALID_TOKEN', () => {
  const cases: Array<[string, (t: { token: Uint8Array; scid: Uint8Array }) => { token: Uint8Array; dcid: Uint8Array; remote: string; now: number }]> = [
    ['tampered', (t) => ({ token: t.token.map((b, i) => (i === t.token.length - 1 ? b ^ 1 : b)), dcid: t.scid, remote: CLIENT, now: 10 })],
    ['expired', (t) => ({ token: t.token, dcid: t.scid, remote: CLIENT, now: 60_000 })],
    ['other port', (t) => ({ token: t.token, dcid: t.scid, remote: '127.0.0.1:50001', now: 10 })],
    ['other DCID', (t) => ({ token: t.token, dcid: cid('0909090909090909'), remote: CLIENT, now: 10 })],
  ];
  for (const [name, make] of cases) {
    const { core, created } = server({ retry: true });
    const c = make(retryToken(core));
    core.receive(initialDatagram({ dcid: c.dcid, scid: CLIENT_SCID, token: c.token }), path(c.remote), c.now);
    assert.equal(created.length, 0, name);
    const out = drain(core, c.now);
    assert.equal(out.length, 1, name);
    const { close } = closeFrameOf(out[0]!.data, c.dcid);
    assert.equal(close.errorCode, TransportErrorCode.INVALID_TOKEN, name);
    assert.equal(core.stats.invalidTokenClosesSent, 1, name);
  }
});

test('NEW_TOKEN tokens validate the address on a later connection from another port, and are bound to the IP', () => {
  const { core, created } = server({ retry: true });
  const { token: rt, scid } = retryToken(core);
  core.receive(initialDatagram({ dcid: scid, scid: CLIENT_SCID, token: rt }), path(), 1);
  const newToken = created[0]!.params.newToken(1);
  // Same IP, new port: accepted without a Retry.
  core.receive(initialDatagram({ dcid: cid('1111111111111111'), scid: CLIENT_SCID, token: newToken }), path('127.0.0.1:50123'), 2);
  assert.equal(created.length, 2);
  assert.equal(created[1]!.params.addressValidated, true);
  assert.deepEqual(drain(core, 2).filter((d) => parsePacket(d.data, 0, 8).type === 'retry'), []);
  // Another IP: ignored (RFC 9000 §8.1.3), so the client is sent a Retry rather than closed.
  core.receive(initialDatagram({ dcid: cid('2222222222222222'), scid: CLIENT_SCID, token: newToken }), path('127.0.0.2:50123'), 3);
  assert.equal(created.length, 2);
  const out = drain(core, 3);
  assert.equal(out.length, 1);
  assert.equal(parsePacket(out[0]!.data, 0, 8).type, 'retry');
});

test('without Retry, a foreign or stale token is ignored and the connection is created unvalidated', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID, token: Uint8Array.of(1, 2, 3, 4) }), path(), 0);
  assert.equal(created.length, 1);
  assert.equal(created[0]!.params.addressValidated, false);
});

test('max_connections: further Initials are refused with CONNECTION_REFUSED in an Initial the client can read', () => {
  const { core, created } = server({ maxConnections: 1 });
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  drain(core);
  const other = cid('3333333333333333');
  core.receive(initialDatagram({ dcid: other, scid: CLIENT_SCID }), path('127.0.0.1:50002'), 0);
  assert.equal(created.length, 1);
  const out = drain(core);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.path.remote, '127.0.0.1:50002');
  const { close, dcid } = closeFrameOf(out[0]!.data, other);
  assert.deepEqual(dcid, CLIENT_SCID);
  assert.equal(close.errorCode, TransportErrorCode.CONNECTION_REFUSED);
  assert.equal(core.stats.refusedConnections, 1);
});

test('max_handshakes: Initials beyond it are dropped until a handshake completes', () => {
  const { core, created } = server({ maxHandshakes: 1 });
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  core.receive(initialDatagram({ dcid: cid('4444444444444444'), scid: CLIENT_SCID }), path('127.0.0.1:50003'), 0);
  assert.equal(created.length, 1);
  assert.equal(core.stats.handshakeLimitDropped, 1);
  assert.deepEqual(drain(core), []);
  const first = created[0]!;
  first.conn.events.push({ type: 'handshake-complete', alpn: 'mqtt', resumed: false, earlyData: 'none' });
  core.receive(shortDatagram(first.params.localConnectionId, 50), path(), 1);
  assert.equal(core.handshakeCount, 0);
  core.receive(initialDatagram({ dcid: cid('4444444444444444'), scid: CLIENT_SCID }), path('127.0.0.1:50003'), 2);
  assert.equal(created.length, 2);
});

test('cid-issued and cid-retired events keep the routing table in step; handshake-confirmed drops the client DCID route', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  const { conn } = created[0]!;
  const issued = cid('5555555555555555');
  conn.events.push({ type: 'cid-issued', cid: issued, statelessResetToken: new Uint8Array(16) });
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 1);
  core.receive(shortDatagram(issued, 50), path('10.0.0.9:1'), 2);
  assert.equal(conn.received.length, 3, 'an issued ID routes, from any address (migration)');
  conn.events.push({ type: 'cid-retired', cid: issued }, { type: 'handshake-confirmed' });
  core.wake(core.allConnections()[0]!);
  drain(core);
  core.receive(shortDatagram(issued, 50), path('10.0.0.9:1'), 3);
  assert.equal(conn.received.length, 3, 'a retired ID no longer routes');
  assert.equal(drain(core).length, 1, 'and earns a stateless reset');
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path('10.0.0.8:1'), 4);
  assert.equal(created.length, 2, 'after confirmation the client DCID no longer routes to the old connection');
  // An ID of another length can never be routed from a short header: counted, not routed.
  conn.events.push({ type: 'cid-issued', cid: cid('0102'), statelessResetToken: new Uint8Array(16) });
  core.wake(core.allConnections()[0]!);
  assert.equal(core.stats.wrongLengthCids, 1);
});

test('stateless reset: smaller than the trigger, ends in the token for its DCID, looks like a short header', () => {
  const { core } = server();
  const unknown = cid('6666666666666666');
  core.receive(shortDatagram(unknown, 1200), path(), 0);
  const [reset] = drain(core);
  assert.ok(reset);
  assert.ok(reset.data.length < 1200 && reset.data.length >= 41, `length ${reset.data.length}`);
  assert.equal(reset.data[0]! & 0xc0, 0x40, 'RFC 9000 §10.3: 0b01 header form and fixed bit');
  assert.deepEqual(reset.data.subarray(reset.data.length - 16), Uint8Array.from(deriveStatelessResetToken(RESET_KEY, unknown)));
});

test('stateless reset sizes follow RFC 9000 §10.3: one byte shorter up to 43 bytes, none below 22', () => {
  const { core } = server();
  for (const [size, expected] of [[43, 42], [30, 29], [22, 21], [21, undefined], [10, undefined]] as const) {
    core.receive(shortDatagram(cid('7777777777777777'), size), path(), 0);
    const out = drain(core);
    assert.equal(out[0]?.data.length, expected, `trigger of ${size} bytes`);
  }
  for (let size = 44; size < 200; size += 17) {
    core.receive(shortDatagram(cid('7777777777777777'), size), path(), 0);
    const [r] = drain(core);
    assert.ok(r && r.data.length < size && r.data.length >= 41, `trigger of ${size}: ${r?.data.length}`);
  }
});

test('stateless resets are rate limited and never answer a fixed-bit-0 packet', () => {
  const { core } = server({ statelessResetsPerSecond: 1, statelessResetBurst: 3 });
  core.receive(shortDatagram(cid('8888888888888888'), 100, 0x01), path(), 0);
  assert.deepEqual(drain(core), []);
  for (let i = 0; i < 10; i++) core.receive(shortDatagram(cid('8888888888888888'), 100), path(), 0);
  assert.equal(drain(core).length, 3);
  core.receive(shortDatagram(cid('8888888888888888'), 100), path(), 2000);
  assert.equal(drain(core).length, 1);
});

test('an unroutable short header from a peer we have connections with is offered to them (it may be their reset)', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  drain(core);
  core.receive(shortDatagram(cid('9999999999999999'), 60), path(), 1);
  assert.equal(created[0]!.conn.received.length, 2);
  assert.deepEqual(drain(core), [], 'and no reset is sent to a live peer');
  // After a migration the index follows the new address.
  created[0]!.conn.events.push({ type: 'path-migrated', from: path(), to: path('10.1.1.1:9') });
  core.wake(core.allConnections()[0]!);
  core.receive(shortDatagram(cid('9999999999999999'), 60), path('10.1.1.1:9'), 2);
  assert.equal(created[0]!.conn.received.length, 3);
  core.receive(shortDatagram(cid('9999999999999999'), 60), path(), 3);
  assert.equal(drain(core).length, 1, 'the old address now gets a reset');
});

test('a closed connection is forgotten: routes, counts and timers go, and its close reaches the application last', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  const { conn, params } = created[0]!;
  conn.timer = 50;
  conn.events.push({ type: 'closed', info: { code: 0, application: false, reason: '', remote: true } });
  core.wake(core.allConnections()[0]!);
  const ev = events(core);
  assert.equal(ev.at(-1)?.type, 'connection-event');
  assert.equal(core.connectionCount, 0);
  assert.equal(core.handshakeCount, 0);
  assert.equal(core.nextTimeout(), undefined);
  core.receive(shortDatagram(params.localConnectionId, 60), path('10.2.2.2:2'), 1);
  assert.equal(conn.received.length, 1);
  assert.equal(core.stats.statelessResetsSent, 1);
});

test('timers: the earliest connection deadline is the endpoint timer; only due connections are woken', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  core.receive(initialDatagram({ dcid: cid('abababababababab'), scid: CLIENT_SCID }), path('127.0.0.1:50009'), 0);
  const [a, b] = created;
  a!.conn.timer = 300;
  b!.conn.timer = 100;
  for (const e of core.allConnections()) core.wake(e);
  assert.equal(core.nextTimeout(), 100);
  core.handleTimeout(150);
  assert.deepEqual(b!.conn.timeouts, [150]);
  assert.deepEqual(a!.conn.timeouts, []);
  assert.equal(core.nextTimeout(), 300);
  core.handleTimeout(300);
  assert.deepEqual(a!.conn.timeouts, [300]);
  assert.equal(core.nextTimeout(), undefined);
});

test('poll drains stateless answers first, then connections in round robin', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  core.receive(initialDatagram({ dcid: cid('cdcdcdcdcdcdcdcd'), scid: CLIENT_SCID }), path('127.0.0.1:50010'), 0);
  const [a, b] = created;
  const dg = (tag: number, remote: string) => ({ data: Uint8Array.of(tag), path: { local: LOCAL, remote } });
  a!.conn.outgoing.push(dg(1, CLIENT), dg(2, CLIENT), dg(3, CLIENT));
  b!.conn.outgoing.push(dg(4, '127.0.0.1:50010'), dg(5, '127.0.0.1:50010'));
  core.receive(shortDatagram(cid('efefefefefefefef'), 100), path('10.9.9.9:9'), 0);
  for (const e of core.allConnections()) core.wake(e);
  const order = drain(core).map((d) => (d.data.length === 1 ? d.data[0] : 'reset'));
  assert.deepEqual(order, ['reset', 1, 4, 2, 5, 3]);
  assert.equal(core.hasPendingOutput, false);
});

test('the stateless answer queue is bounded', () => {
  const { core } = server({ maxPendingDatagrams: 2, statelessResetBurst: 100 });
  for (let i = 0; i < 5; i++) core.receive(shortDatagram(cid('1212121212121212'), 100), path(), 0);
  assert.equal(drain(core).length, 2);
  assert.equal(core.stats.responsesSuppressed, 3);
});

test('a connection that throws is contained: closed with INTERNAL_ERROR and forgotten', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  events(core);
  const { conn, params } = created[0]!;
  conn.throwOnReceive = true;
  assert.doesNotThrow(() => core.receive(shortDatagram(params.localConnectionId, 60), path(), 1));
  const ev = events(core);
  const closed = ev.find((e) => e.type === 'connection-event' && e.event.type === 'closed');
  assert.ok(closed && closed.type === 'connection-event' && closed.event.type === 'closed');
  assert.equal(closed.event.info.code, TransportErrorCode.INTERNAL_ERROR);
  assert.match(closed.event.info.reason, /stub receive failure/);
  assert.equal(conn.closes[0]?.code, TransportErrorCode.INTERNAL_ERROR);
  assert.equal(core.connectionCount, 0);
  assert.equal(core.stats.connectionFailures, 1);
});

test('a factory that throws creates nothing and does not throw out of receive', () => {
  const core = new EndpointCore({ random: seededRandom(2), server: { createConnection: () => { throw new Error('no cert'); } } });
  assert.doesNotThrow(() => core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0));
  assert.equal(core.connectionCount, 0);
  assert.equal(core.stats.connectionFactoryErrors, 1);
});

test('stopAccepting: new Initials are dropped, existing connections keep routing', () => {
  const { core, created } = server();
  core.receive(initialDatagram({ dcid: CLIENT_DCID, scid: CLIENT_SCID }), path(), 0);
  core.stopAccepting();
  core.receive(initialDatagram({ dcid: cid('3434343434343434'), scid: CLIENT_SCID }), path('127.0.0.1:50011'), 0);
  core.receive(shortDatagram(created[0]!.params.localConnectionId, 60), path(), 0);
  assert.equal(created.length, 1);
  assert.equal(created[0]!.conn.received.length, 2);
  assert.equal(core.isAccepting, false);
});

test('connect: a client connection gets a random 8+ byte initial DCID, its ID is routed, its first datagram polled', () => {
  const core = new EndpointCore({ random: seededRandom(4), connectionIdLength: 10 });
  const conn = new StubConnection();
  conn.outgoing.push({ data: Uint8Array.of(9), path: { local: LOCAL, remote: '127.0.0.1:4434' } });
  let params: import('../../../src/quic/endpoint/endpoint-core.js').ClientConnectionParams | undefined;
  const entry = core.connect({ local: LOCAL, remote: '127.0.0.1:4434' }, 0, (p) => {
    params = p;
    return conn;
  });
  assert.ok(params);
  assert.equal(params.localConnectionId.length, 10);
  assert.ok(params.initialDestinationConnectionId.length >= 8);
  assert.equal(entry.incoming, false);
  assert.deepEqual(drain(core).map((d) => d.data[0]), [9]);
  core.receive(shortDatagram(params.localConnectionId, 60), { local: LOCAL, remote: '127.0.0.1:4434' }, 1);
  assert.equal(conn.received.length, 1);
});
