// Connection termination (RFC 9000 §10): idle timeout, immediate close, closing and draining states,
// stateless reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStatelessReset, deriveStatelessResetToken } from '../../../src/quic/crypto/stateless-reset.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR, type Pair } from './sim-node.js';

function established(o: Parameters<typeof makePair>[0] = {}): Pair {
  const p = makePair(o);
  runHandshake(p);
  p.net.run({ until: p.net.now + 100 });
  assert.ok(p.client.has('handshake-confirmed'));
  return p;
}

test('idle timeout closes both sides with cause idle (RFC 9000 §10.1: the smaller value wins)', () => {
  const p = established({ client: { transport: { maxIdleTimeout: 5000 } }, server: { transport: { maxIdleTimeout: 8000 } } });
  const start = p.net.now;
  p.net.run({ until: start + 20_000, done: () => p.client.has('closed') && p.server.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  const s = p.server.eventsOf('closed')[0];
  assert.ok(c && s);
  assert.equal(c.info.cause, 'idle');
  assert.equal(s.info.cause, 'idle');
  assert.equal(p.client.connection.state, 'closed');
  assert.ok(p.net.now - start >= 4900 && p.net.now - start <= 5200, `closed after ${p.net.now - start} ms`);
  assert.equal(p.client.connection.nextTimeout(), undefined);
});

test('keep-alive PINGs keep an idle connection open', () => {
  const p = established({ client: { transport: { maxIdleTimeout: 3000 }, limits: { keepAliveIntervalMs: 1000 } } });
  p.net.run({ until: p.net.now + 20_000 });
  assert.ok(!p.client.has('closed') && !p.server.has('closed'));
  assert.equal(p.client.connection.state, 'established');
});

test('application close delivers the code and reason; closing and draining then end', () => {
  const p = established();
  p.client.connection.close(0x1234, 'bye now');
  assert.equal(p.client.connection.state, 'closing');
  p.net.run({ until: p.net.now + 5000, done: () => p.client.has('closed') && p.server.has('closed') });
  const s = p.server.eventsOf('closed')[0];
  assert.ok(s);
  assert.deepEqual(s.info, { code: 0x1234, application: true, reason: 'bye now', remote: true, cause: 'close' });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.deepEqual(c.info, { code: 0x1234, application: true, reason: 'bye now', remote: false, cause: 'close' });
  assert.equal(p.server.connection.state, 'closed');
  // Nothing is sent after closing.
  assert.equal(p.client.connection.poll(p.net.now), undefined);
  assert.equal(p.client.connection.openStream(true), undefined);
});

test('transport close with a code and no application flag', () => {
  const p = established();
  p.server.connection.close(TransportErrorCode.INTERNAL_ERROR, 'shutting down', false);
  p.net.run({ until: p.net.now + 5000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.INTERNAL_ERROR);
  assert.equal(c.info.application, false);
  assert.equal(c.info.reason, 'shutting down');
});

test('an application close during the handshake becomes APPLICATION_ERROR without reason (RFC 9000 §10.2.3)', () => {
  const p = makePair();
  p.net.run({ until: 15 }); // the client Initial reached the server; its answer is in flight
  p.server.connection.close(0x99, 'secret reason');
  p.net.run({ until: 3000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, TransportErrorCode.APPLICATION_ERROR);
  assert.equal(c.info.application, false);
  assert.equal(c.info.reason, '');
});

test('the closing endpoint repeats CONNECTION_CLOSE at a limited rate to incoming packets (RFC 9000 §10.2.1)', () => {
  const p = established();
  // The server will not hear the close: drop everything client -> server, count what the client gets.
  let answers = 0;
  let toClient = 0;
  p.net.tap = (d) => {
    if (d.to === SERVER_ADDR) {
      answers++;
      return null;
    }
    toClient++;
    return d.data;
  };
  const sid = p.server.connection.openStream(false)!;
  p.server.connection.streamWrite(sid, new Uint8Array(30_000));
  p.client.connection.close(1, 'x');
  p.net.run({ until: p.net.now + 2000 });
  assert.ok(toClient >= 15, `the client received ${toClient} datagrams while closing`);
  // One close when closing, then answers after 1, 2, 4, 8, ... more packets: logarithmic, not one per packet.
  assert.ok(answers >= 2, 'the close was repeated');
  assert.ok(answers <= 2 + Math.log2(toClient + 1), `${answers} answers to ${toClient} datagrams`);
});

test('packets that crossed our CONNECTION_CLOSE in flight get no second one (RFC 9000 §10.2.1)', () => {
  // No PMTU probes: every client datagram after close() is then a CONNECTION_CLOSE.
  const noProbes = { limits: { pmtuDiscovery: false } };
  const p = established({ client: noProbes, server: noProbes });
  // The server sends data at the moment the client closes: its packets are in flight when the close is.
  const sid = p.server.connection.openStream(false)!;
  p.server.connection.streamWrite(sid, new Uint8Array(3_000));
  let closesSent = 0;
  let crossed = 0;
  p.net.tap = (d) => {
    if (d.to === SERVER_ADDR) closesSent++;
    else crossed++;
    return d.data;
  };
  p.client.connection.close(0, 'done');
  p.net.run({ until: p.net.now + 3000, done: () => p.client.has('closed') && p.server.has('closed') });
  assert.ok(crossed >= 1, `${crossed} server datagrams crossed the close`);
  assert.equal(closesSent, 1, 'one CONNECTION_CLOSE: the crossing packets were not answered');
  assert.equal(p.server.eventsOf('closed')[0]?.info.code, 0);
});

test('a close before any RTT sample answers the peer at once: its retransmitted first flight learns of a lost close', () => {
  // The server refuses the ALPN on the ClientHello (before any RTT sample); its first close is lost. The
  // client guesses a shorter initial RTT than the server (RFC 9002 §6.2.2 leaves it to each end), so its
  // retransmission comes well within the server's PTO.
  const p = makePair({ client: { alpn: ['x-other'], limits: { initialRttMs: 100 } } });
  let dropped = 0;
  let closesToClient = 0;
  p.net.tap = (d) => {
    if (d.to !== CLIENT_ADDR) return d.data;
    if (dropped === 0) {
      dropped++;
      return null;
    }
    closesToClient++;
    return d.data;
  };
  const start = p.net.now;
  // The client's first PTO (3 x 100 ms) retransmits its Initial; that is answered.
  p.net.run({ until: start + 500 });
  assert.equal(closesToClient, 1, 'the retransmitted Initial was answered');
  assert.equal(p.client.connection.state, 'draining', 'the client has the close within 500 ms');
  p.net.run({ until: start + 10_000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, 0x100 + 120, 'no_application_protocol (RFC 9001 §8.1)');
});

test('endClosingPeriod: once our CONNECTION_CLOSE is out, closed at once with our code; not before it is sent', () => {
  const p = established();
  const client = p.client.connection;
  client.endClosingPeriod(p.net.now);
  assert.equal(client.state, 'established', 'no effect on an open connection');
  client.close(0x42, 'bye');
  client.endClosingPeriod(p.net.now);
  assert.equal(client.state, 'closing', 'the CONNECTION_CLOSE has not been sent yet: the period goes on');
  assert.ok(client.poll(p.net.now), 'the CONNECTION_CLOSE');
  client.endClosingPeriod(p.net.now);
  assert.equal(client.state, 'closed');
  const closed = [];
  for (let ev = client.pollEvent(); ev; ev = client.pollEvent()) if (ev.type === 'closed') closed.push(ev);
  assert.equal(closed.length, 1);
  assert.deepEqual({ code: closed[0]!.info.code, reason: closed[0]!.info.reason, remote: closed[0]!.info.remote }, { code: 0x42, reason: 'bye', remote: false });
  assert.equal(client.nextTimeout(), undefined, 'no timer left');
  assert.equal(client.poll(p.net.now + 1), undefined);
});

test('endClosingPeriod in the draining state (the peer closed): closed at once with the peer\'s code', () => {
  const p = established();
  p.server.connection.close(0x77, 'server says bye');
  p.net.run({ until: p.net.now + 1_000, done: () => p.client.connection.state === 'draining' });
  const client = p.client.connection;
  assert.equal(client.state, 'draining');
  client.endClosingPeriod(p.net.now);
  assert.equal(client.state, 'closed');
  p.net.run({ until: p.net.now + 1 });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.code, 0x77);
  assert.equal(c.info.remote, true);
});

test('a stateless reset from the peer ends the connection (RFC 9000 §10.3.1)', () => {
  const p = established();
  const client = p.client.connection;
  // The server lost its state; it still derives the token for the ID the client sends to.
  const serverCids = p.server.eventsOf('cid-issued');
  const key = new Uint8Array(32).fill(7);
  const token = deriveStatelessResetToken(key, serverCids[0]!.cid);
  const reset = buildStatelessReset(token, 43, (n) => new Uint8Array(n).fill(0x55));
  client.receive(reset, { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  assert.equal(client.state, 'draining');
  assert.equal(client.poll(p.net.now), undefined, 'draining sends nothing');
  p.net.run({ until: p.net.now + 5000, done: () => p.client.has('closed') });
  const c = p.client.eventsOf('closed')[0];
  assert.ok(c);
  assert.equal(c.info.cause, 'stateless-reset');
  assert.equal(c.info.remote, true);
});

test('a datagram ending in an unknown token is not a stateless reset', () => {
  const p = established();
  const client = p.client.connection;
  client.receive(buildStatelessReset(new Uint8Array(16).fill(1), 43, (n) => new Uint8Array(n).fill(0x55)), { local: CLIENT_ADDR, remote: SERVER_ADDR }, p.net.now);
  assert.equal(client.state, 'established');
});
