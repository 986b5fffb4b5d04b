// DPLPMTUD (RFC 8899, RFC 9000 §14.3): the search state machine alone, then connections on a simulated
// path with an MTU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MTU_SEARCH_DELAY_MS, MtuDiscovery } from '../../../src/quic/connection/mtu-discovery.js';
import { ConnectionOptionsError } from '../../../src/quic/connection/options.js';
import { QuicConnection } from '../../../src/quic/connection/connection.js';
import { SimRandom } from '../../sim/network.js';
import { clientOptions, makePair, runHandshake, CLIENT_ADDR, transfer } from './sim-node.js';

/** Runs the search against a path that carries datagrams up to `pathMtu`; returns the result and the probes sent. */
function search(d: MtuDiscovery, pathMtu: number, budget = 200): { size: number; probes: number } {
  let probes = 0;
  for (let i = 0; i < budget; i++) {
    const size = d.probeSize();
    if (size === undefined) break;
    d.onProbeSent(size);
    probes++;
    if (size <= pathMtu) d.onProbeAcked(size, i);
    else d.onProbeLost(size, i);
  }
  return { size: d.current, probes };
}

test('the search finds the exact path MTU with a bounded number of probes', () => {
  for (const pathMtu of [1200, 1201, 1280, 1400, 1451, 1452, 1500]) {
    const d = new MtuDiscovery({ baseSize: 1200 });
    d.start(1452);
    const r = search(d, pathMtu);
    assert.equal(r.size, Math.min(pathMtu, 1452), `path ${pathMtu}`);
    assert.equal(d.state, 'complete');
    // One top probe, then a bisection of 252 sizes: 8 steps, each at most MAX_PROBES (3) probes.
    assert.ok(r.probes <= 3 * (1 + 8), `${r.probes} probes for ${pathMtu}`);
  }
});

test('a loopback-sized path is found with one probe', () => {
  const d = new MtuDiscovery({ baseSize: 1200 });
  d.start(65527);
  assert.deepEqual(search(d, 65527), { size: 65527, probes: 1 });
});

test('one lost probe is not enough to give up a size (MAX_PROBES)', () => {
  const d = new MtuDiscovery({ baseSize: 1200, maxProbes: 3 });
  d.start(1452);
  assert.equal(d.probeSize(), 1452);
  d.onProbeSent(1452);
  assert.equal(d.probeSize(), undefined, 'one probe in flight at a time');
  d.onProbeLost(1452, 1);
  assert.equal(d.probeSize(), 1452, 'tried again');
  d.onProbeSent(1452);
  d.onProbeLost(1452, 2);
  d.onProbeSent(1452);
  d.onProbeLost(1452, 3);
  assert.equal(d.probeSize(), 1326, 'after three losses the search bisects');
});

test('without a larger allowed size nothing is probed', () => {
  const d = new MtuDiscovery({ baseSize: 1200 });
  d.start(1200);
  assert.equal(d.probeSize(), undefined);
  assert.equal(d.state, 'complete');
  assert.equal(d.current, 1200);
});

test('black hole: consecutive loss events of large packets fall back to the base and search below the old size', () => {
  const d = new MtuDiscovery({ baseSize: 1200, blackHoleLossEvents: 3 });
  d.start(1452);
  search(d, 1452);
  assert.equal(d.current, 1452);
  assert.equal(d.onLargePacketsLost(), false);
  d.onLargePacketAcked(); // the path still works: the count starts over
  assert.equal(d.onLargePacketsLost(), false);
  assert.equal(d.onLargePacketsLost(), false);
  assert.equal(d.onLargePacketsLost(), true);
  assert.equal(d.current, 1200);
  assert.equal(d.state, 'searching');
  assert.equal(d.probeSize(), 1451, 'the old size is known to fail now');
  assert.equal(search(d, 1300).size, 1300);
});

test('a PTO counts toward a black hole only while large packets are unacknowledged', () => {
  const d = new MtuDiscovery({ baseSize: 1200, blackHoleLossEvents: 2 });
  d.start(1452);
  search(d, 1452);
  // Only small packets outstanding (e.g. a PATH_CHALLENGE to a dead old path): not the MTU's fault.
  assert.equal(d.onProbeTimeout(), false);
  assert.equal(d.onProbeTimeout(), false);
  assert.equal(d.current, 1452);
  d.onLargePacketSent();
  assert.equal(d.onProbeTimeout(), false);
  assert.equal(d.onProbeTimeout(), true, 'two PTOs with large packets unacknowledged');
  assert.equal(d.current, 1200);
});

test('the raise timer searches again after a completed search (RFC 8899 §5.1.1)', () => {
  const d = new MtuDiscovery({ baseSize: 1200, raiseIntervalMs: 1000 });
  d.start(1452);
  let now = 0;
  while (d.probeSize() !== undefined) {
    const size = d.probeSize()!;
    d.onProbeSent(size);
    if (size <= 1300) d.onProbeAcked(size, now);
    else d.onProbeLost(size, now);
    now += 10;
  }
  assert.equal(d.current, 1300);
  const at = d.nextTimeout();
  assert.equal(at, now - 10 + 1000);
  d.onTimeout(at! - 1);
  assert.equal(d.probeSize(), undefined);
  d.onTimeout(at!);
  assert.equal(d.probeSize(), 1452);
  assert.equal(search(d, 1452).size, 1452, 'the path grew');
});

test('pmtu options are validated', () => {
  const net = { random: new SimRandom(1) };
  const base = clientOptions(net as never);
  assert.throws(() => QuicConnection.client({ ...base, limits: { pmtuMaxDatagramSize: 70000 } }, 0), ConnectionOptionsError);
  assert.throws(() => QuicConnection.client({ ...base, limits: { pmtuMaxDatagramSize: 1000 } }, 0), ConnectionOptionsError);
  assert.throws(() => QuicConnection.client({ ...base, limits: { pmtuMaxProbes: 0 } }, 0), ConnectionOptionsError);
  assert.throws(() => QuicConnection.client({ ...base, limits: { writeCoalescingBytes: -1 } }, 0), ConnectionOptionsError);
});

function payload(n: number): Uint8Array {
  return new SimRandom(5).bytes(n);
}

test('connections discover the MTU of a simulated path after the handshake', () => {
  const mtu = 1400;
  const p = makePair({ seed: 11, link: { delayMs: 10, mtu }, client: { limits: { pmtuMaxDatagramSize: 1500 } }, server: { limits: { pmtuMaxDatagramSize: 1500 } } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 5_000 });
  assert.equal(p.client.connection.pathMtu, mtu);
  assert.equal(p.server.connection.pathMtu, mtu);
  // Data now travels in datagrams of the discovered size.
  let largest = 0;
  p.net.tap = (d) => {
    if (d.from === CLIENT_ADDR) largest = Math.max(largest, d.data.length);
    return d.data;
  };
  const data = payload(100_000);
  const r = transfer(p, data);
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
  assert.equal(largest, mtu);
  assert.ok(p.net.stats.mtuDropped > 0, 'probes above the MTU were dropped');
});

test('discovery is off when disabled, and never exceeds the peer max_udp_payload_size', () => {
  const off = makePair({ seed: 12, link: { delayMs: 5 }, client: { limits: { pmtuDiscovery: false } } });
  runHandshake(off);
  off.net.run({ until: off.net.now + 3_000 });
  assert.equal(off.client.connection.pathMtu, 1200);
  const capped = makePair({ seed: 13, link: { delayMs: 5 }, client: { limits: { pmtuMaxDatagramSize: 9000 } }, server: { transport: { maxUdpPayloadSize: 1350 } } });
  runHandshake(capped);
  capped.net.run({ until: capped.net.now + 3_000 });
  assert.equal(capped.client.connection.pathMtu, 1350);
});

test('a path that shrinks is detected and the new MTU is found', () => {
  const p = makePair({ seed: 14, link: { delayMs: 10, mtu: 1452 } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 3_000 });
  assert.equal(p.client.connection.pathMtu, 1452);
  p.net.setDefaultLink({ delayMs: 10, mtu: 1300 });
  const data = payload(300_000);
  const r = transfer(p, data);
  assert.ok(r.finished, 'the transfer survives the shrink');
  assert.ok(Buffer.from(r.received).equals(Buffer.from(data)));
  p.net.run({ until: p.net.now + 5_000 });
  assert.equal(p.client.connection.pathMtu, 1300);
});

test('a server starts at the base size on a loopback-like path and grows to the configured maximum', () => {
  const p = makePair({ seed: 15, link: { delayMs: 1 }, client: { limits: { pmtuMaxDatagramSize: 65527 } }, server: { limits: { pmtuMaxDatagramSize: 65527 } } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 1_000 });
  assert.equal(p.client.connection.pathMtu, 65527);
  assert.equal(p.server.connection.pathMtu, 65527);
});

test('a deferred search stays at the base size for its delay, then probes (RFC 8899 §5.2)', () => {
  const d = new MtuDiscovery({ baseSize: 1200, searchDelayMs: 500 });
  d.startDeferred(1452, 1000);
  assert.equal(d.state, 'pending');
  assert.equal(d.probeSize(), undefined);
  assert.equal(d.current, 1200);
  assert.equal(d.nextTimeout(), 1500);
  d.onTimeout(1499);
  assert.equal(d.state, 'pending');
  assert.equal(d.probeSize(), undefined);
  d.onTimeout(1500);
  assert.equal(d.state, 'searching');
  assert.equal(d.nextTimeout(), undefined);
  assert.equal(search(d, 1400).size, 1400);
});

test('searchNow() begins a pending search at once; reset() forgets it; the default delay is named', () => {
  const d = new MtuDiscovery({ baseSize: 1200 });
  d.startDeferred(1452, 0);
  assert.equal(d.nextTimeout(), DEFAULT_MTU_SEARCH_DELAY_MS);
  d.searchNow();
  assert.equal(d.probeSize(), 1452);
  d.searchNow(); // no effect once searching
  assert.equal(d.probeSize(), 1452);
  d.reset();
  assert.equal(d.state, 'disabled');
  d.startDeferred(1452, 10);
  d.reset();
  assert.equal(d.nextTimeout(), undefined);
  d.onTimeout(10 + DEFAULT_MTU_SEARCH_DELAY_MS);
  assert.equal(d.probeSize(), undefined, 'a reset pending search does not start later');
});

test('a zero delay searches at once; a negative delay is refused', () => {
  const d = new MtuDiscovery({ baseSize: 1200, searchDelayMs: 0 });
  d.startDeferred(1452, 0);
  assert.equal(d.probeSize(), 1452);
  assert.throws(() => new MtuDiscovery({ baseSize: 1200, searchDelayMs: -1 }), RangeError);
});

/** The largest datagram each side sends from now on. */
function largestSent(p: ReturnType<typeof makePair>): { client: number; server: number } {
  const largest = { client: 0, server: 0 };
  p.net.tap = (d) => {
    const side = d.from === CLIENT_ADDR ? 'client' : 'server';
    largest[side] = Math.max(largest[side], d.data.length);
    return d.data;
  };
  return largest;
}

/** A client and server allowed datagrams up to the loopback MTU (64 KiB), `delayMs` apart. */
function loopbackPair(seed: number, delayMs: number): ReturnType<typeof makePair> {
  const limits = { pmtuMaxDatagramSize: 65527 };
  return makePair({ seed, link: { delayMs }, client: { limits }, server: { limits } });
}

test('a connection that only completes its handshake sends no probe during the search delay', () => {
  const p = loopbackPair(16, 1);
  runHandshake(p);
  const largest = largestSent(p);
  p.net.run({ until: p.net.now + DEFAULT_MTU_SEARCH_DELAY_MS - 20 });
  assert.deepEqual([largest.client <= 1200, largest.server <= 1200], [true, true], `largest datagrams ${JSON.stringify(largest)}`);
  assert.equal(p.client.connection.pathMtu, 1200);
  p.net.run({ until: p.net.now + 1_000 });
  assert.equal(p.client.connection.pathMtu, 65527);
  assert.equal(p.server.connection.pathMtu, 65527);
});

test('a connection with stream data waiting when the handshake is confirmed searches at once', () => {
  const p = loopbackPair(17, 5);
  p.net.run({ done: () => p.client.has('handshake-complete'), until: p.net.now + 10_000 });
  assert.equal(p.client.has('handshake-confirmed'), false);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, payload(1_000_000));
  p.net.run({ done: () => p.client.has('handshake-confirmed'), until: p.net.now + 10_000 });
  const largest = largestSent(p);
  p.net.run({ until: p.net.now + DEFAULT_MTU_SEARCH_DELAY_MS / 2 });
  assert.ok(largest.client > 1200, `client probed within half the delay (largest ${largest.client})`);
  assert.ok(client.pathMtu > 1200);
});

test('the first application write after the handshake begins a deferred search at once', () => {
  const p = loopbackPair(18, 5);
  runHandshake(p);
  assert.equal(p.client.connection.pathMtu, 1200);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  const largest = largestSent(p);
  client.streamWrite(sid, payload(200_000));
  p.net.run({ until: p.net.now + DEFAULT_MTU_SEARCH_DELAY_MS / 2 });
  assert.ok(largest.client > 1200, `client probed within half the delay (largest ${largest.client})`);
  assert.ok(client.pathMtu > 1200);
});

test('a first response goes out before the PMTU probe its write starts (the probe would hold it back)', () => {
  const p = loopbackPair(19, 5);
  runHandshake(p);
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, Uint8Array.of(0x10, 0x00)); // a request; the client's own probe may follow it
  p.net.run({ done: () => p.server.has('stream-readable'), until: p.net.now + 1_000 });
  const server = p.server.connection;
  const sent: number[] = [];
  p.net.tap = (d) => {
    if (d.from !== CLIENT_ADDR) sent.push(d.data.length);
    return d.data;
  };
  // A response of more than two datagrams starts the server's search at once.
  server.streamWrite(sid, payload(5_000));
  p.net.run({ until: p.net.now + 50 });
  assert.ok(sent.length >= 2, `server datagrams ${JSON.stringify(sent)}`);
  assert.ok(sent[0]! <= 1200, `the response leaves first, at the base size (${sent[0]} bytes)`);
  assert.ok(sent.slice(1).some((n) => n > 1200), `a probe follows it (${JSON.stringify(sent)})`);
});

test('a small response (a CONNACK) does not start the PMTU search before its delay; the delay still does', () => {
  const p = loopbackPair(20, 5);
  runHandshake(p);
  const start = p.net.now;
  const client = p.client.connection;
  const sid = client.openStream(true)!;
  client.streamWrite(sid, Uint8Array.of(0x10, 0x00));
  p.net.run({ done: () => p.server.has('stream-readable'), until: p.net.now + 1_000 });
  const sent: Array<{ at: number; size: number }> = [];
  p.net.tap = (d) => {
    if (d.from !== CLIENT_ADDR) sent.push({ at: p.net.now, size: d.data.length });
    return d.data;
  };
  p.server.connection.streamWrite(sid, Uint8Array.of(0x20, 0x02, 0x00, 0x00));
  p.net.run({ until: start + DEFAULT_MTU_SEARCH_DELAY_MS - 10 });
  assert.ok(sent.length >= 1, 'the response was sent');
  assert.ok(sent.every((d) => d.size <= 1200), `no probe before the delay: ${JSON.stringify(sent)}`);
  p.net.run({ until: start + DEFAULT_MTU_SEARCH_DELAY_MS * 3 });
  assert.ok(sent.some((d) => d.size > 1200), 'the delay starts the search');
  assert.ok(p.server.connection.pathMtu > 1200);
});

test('onApplicationData begins a pending search once more than two datagrams of data were written', () => {
  const d = new MtuDiscovery({ baseSize: 1200 });
  d.startDeferred(9000, 0);
  d.onApplicationData(1000);
  d.onApplicationData(1400);
  assert.equal(d.probeSize(), undefined, 'still pending at 2,400 bytes');
  assert.equal(d.nextTimeout(), DEFAULT_MTU_SEARCH_DELAY_MS);
  d.onApplicationData(1);
  assert.ok(d.probeSize()! > 1200, 'searching after 2,401 bytes');
  // A new deferred start counts from zero.
  d.reset();
  d.startDeferred(9000, 0);
  d.onApplicationData(2000);
  assert.equal(d.probeSize(), undefined);
});
