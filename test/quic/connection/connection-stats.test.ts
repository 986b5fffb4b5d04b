// QuicConnection.stats(): the counters agree with what the simulated network carried, and the recovery
// figures with the link's delay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ADDR, makePair, runHandshake, transfer, type ConnNode } from './sim-node.js';

/** Counts the datagrams a node hands to the network (ConnNode counts their bytes in `sent`). */
function countDatagrams(node: ConnNode): { datagrams: number } {
  const out = { datagrams: 0 };
  const poll = node.poll.bind(node);
  node.poll = (now) => {
    const d = poll(now);
    out.datagrams += d.length;
    return d;
  };
  return out;
}

test('on a clean link both sides count every datagram and byte, and the RTT is the link round trip', () => {
  const p = makePair({ seed: 41, link: { delayMs: 10 } });
  const clientDatagrams = countDatagrams(p.client);
  const serverDatagrams = countDatagrams(p.server);
  runHandshake(p);
  const r = transfer(p, new Uint8Array(50_000).fill(3));
  assert.ok(r.finished);
  p.net.run({ until: p.net.now + 1_000 });
  const c = p.client.connection.stats();
  const s = p.server.connection.stats();
  assert.equal(c.datagramsSent, clientDatagrams.datagrams);
  assert.equal(c.bytesSent, p.client.sent);
  assert.equal(s.datagramsSent, serverDatagrams.datagrams);
  assert.equal(s.bytesSent, p.server.sent);
  // Nothing lost, duplicated or still in flight: what one side sent, the other received.
  assert.equal(s.datagramsReceived, c.datagramsSent);
  assert.equal(s.bytesReceived, c.bytesSent);
  assert.equal(c.datagramsReceived, s.datagramsSent);
  assert.equal(c.bytesReceived, s.bytesSent);
  // Coalesced handshake packets: more packets than datagrams, every one received.
  assert.ok(c.packetsSent > c.datagramsSent, `${c.packetsSent} packets in ${c.datagramsSent} datagrams`);
  assert.equal(s.packetsReceived, c.packetsSent);
  assert.equal(c.packetsReceived, s.packetsSent);
  assert.equal(c.packetsLost + s.packetsLost, 0);
  assert.equal(c.probeTimeouts + s.probeTimeouts, 0);
  // 10 ms each way; the simulation adds no processing time (the ACK delay is subtracted, RFC 9002 §5.3).
  assert.equal(c.minRttMs, 20);
  assert.ok(c.smoothedRttMs >= 20 && c.smoothedRttMs < 30, `smoothed ${c.smoothedRttMs}`);
  assert.equal(c.latestRttMs >= 20, true);
  // The client completes on the server's first flight: one round trip.
  assert.equal(c.handshakeMs, 20);
  assert.ok(s.handshakeMs !== undefined && s.handshakeMs >= 10 && s.handshakeMs <= 30, `server handshake ${s.handshakeMs}`);
  assert.equal(c.pathMigrations, 0);
  assert.equal(c.bytesInFlight, 0);
  assert.ok(c.congestionWindow >= 2 * 1200);
});

test('before the handshake completes there is no handshake time and no RTT sample', () => {
  const p = makePair({ seed: 42 });
  p.client.poll(p.net.now);
  const c = p.client.connection.stats();
  assert.equal(c.handshakeMs, undefined);
  assert.equal(c.minRttMs, 0);
  assert.equal(c.datagramsSent, 1);
  assert.equal(c.packetsSent, 1);
  assert.equal(c.bytesSent, 1200);
});

test('losses and probe timeouts are counted on a lossy link', () => {
  const p = makePair({ seed: 43, link: { delayMs: 15, loss: 0.2 } });
  runHandshake(p);
  const r = transfer(p, new Uint8Array(200_000).fill(9));
  assert.ok(r.finished);
  const c = p.client.connection.stats();
  const s = p.server.connection.stats();
  assert.ok(c.packetsLost > 0, `client lost ${c.packetsLost}`);
  assert.ok(c.packetsLost < c.packetsSent);
  // Some datagrams never arrived.
  assert.ok(s.datagramsReceived < c.datagramsSent, `${s.datagramsReceived} of ${c.datagramsSent}`);
  assert.ok(c.probeTimeouts + s.probeTimeouts > 0, 'a 20 % loss rate fires some PTOs');
});

test('a NAT rebinding counts as a path migration on the server; key updates are counted', () => {
  const p = makePair({ seed: 44, link: { delayMs: 5 } });
  runHandshake(p);
  assert.ok(p.client.connection.updateKeys());
  p.net.rebind(CLIENT_ADDR, '10.0.0.1:6000');
  const r = transfer(p, new Uint8Array(10_000));
  assert.ok(r.finished);
  assert.equal(p.server.connection.stats().pathMigrations, 1);
  assert.equal(p.client.connection.stats().pathMigrations, 0);
  assert.equal(p.client.connection.stats().keyUpdates, 1);
  assert.equal(p.server.connection.stats().keyUpdates, 1);
});

test('CONNECTION_CLOSE datagrams are counted, and nothing after the connection is closed', () => {
  const p = makePair({ seed: 45 });
  runHandshake(p);
  const before = p.client.connection.stats();
  p.client.connection.close(0, 'bye');
  p.net.run({ until: p.net.now + 10_000 });
  const after = p.client.connection.stats();
  assert.equal(p.client.connection.state, 'closed');
  assert.ok(after.datagramsSent > before.datagramsSent);
  assert.ok(after.packetsSent > before.packetsSent);
  p.client.connection.receive(new Uint8Array(1200), { local: CLIENT_ADDR, remote: '10.0.0.2:4433' }, p.net.now);
  assert.equal(p.client.connection.stats().datagramsReceived, after.datagramsReceived);
});
