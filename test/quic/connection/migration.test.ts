// Migration details: congestion and RTT reset on a new address (RFC 9000 §9.4), a PATH_CHALLENGE on the
// old path when the peer migrates (§9.3.3), and the old path's validation state kept for a NAT rebinding
// back (§9.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialWindow } from '../../../src/quic/recovery/congestion/congestion-controller.js';
import { PathManager } from '../../../src/quic/connection/paths.js';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR, type Pair } from './sim-node.js';

const INITIAL_RTT = 333;

function established(): Pair {
  const p = makePair({ link: { delayMs: 10 } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 200 });
  assert.ok(p.client.has('handshake-confirmed'));
  return p;
}

/** The server sends `size` bytes to the client on a server-opened stream (its window grows). */
function serverSends(p: Pair, size: number): void {
  const server = p.server.connection;
  const sid = server.openStream(false)!;
  assert.equal(server.streamWrite(sid, new Uint8Array(size), true), size);
  let done = false;
  p.client.onEvent = (ev, node) => {
    if (ev.type === 'stream-readable') while (node.connection.streamRead(ev.streamId) !== undefined);
    if (ev.type === 'stream-finished') done = true;
  };
  p.net.run({ done: () => done, until: p.net.now + 20_000 });
  p.client.onEvent = undefined;
  assert.ok(done, 'server transfer finished');
}

/** Rebinds the client behind a new public address, makes it send, and records the server's state at the switch. */
function migrateClient(p: Pair, publicAddress: string): { cwnd: number; rtt: number; mtu: number } {
  let seen: { cwnd: number; rtt: number; mtu: number } | undefined;
  p.server.onEvent = (ev, node) => {
    if (ev.type === 'path-migrated' && seen === undefined) {
      const c = node.connection;
      seen = { cwnd: c.congestionWindow, rtt: c.smoothedRtt, mtu: c.pathMtu };
    }
  };
  p.net.rebind(CLIENT_ADDR, publicAddress);
  const sid = p.client.connection.openStream(true)!;
  p.client.connection.streamWrite(sid, new Uint8Array(100), true);
  p.net.run({ done: () => seen !== undefined, until: p.net.now + 2_000 });
  p.server.onEvent = undefined;
  assert.ok(seen, 'the server saw the migration');
  return seen;
}

test('a new peer host resets congestion control, RTT and path MTU to initial values (RFC 9000 §9.4, §14.3)', () => {
  const p = established();
  serverSends(p, 300_000);
  const server = p.server.connection;
  assert.ok(server.congestionWindow > initialWindow(server.pathMtu), 'the window grew');
  assert.ok(server.smoothedRtt < 100, 'RTT sampled');
  assert.ok(server.pathMtu > 1200, 'PMTU discovered');
  const at = migrateClient(p, '10.9.9.9:5000');
  assert.equal(at.cwnd, initialWindow(1200));
  assert.equal(at.rtt, INITIAL_RTT);
  assert.equal(at.mtu, 1200);
  // The new path is then validated and measured again.
  p.net.run({ until: p.net.now + 3_000 });
  assert.ok(p.server.eventsOf('path-validated').some((e) => e.path.remote === '10.9.9.9:5000'));
  assert.ok(server.smoothedRtt < 100);
  assert.ok(server.pathMtu > 1200, 'PMTU discovered again on the new path');
});

test('a port-only change (NAT rebinding) keeps congestion, RTT and MTU state', () => {
  const p = established();
  serverSends(p, 300_000);
  const server = p.server.connection;
  const before = { cwnd: server.congestionWindow, rtt: server.smoothedRtt, mtu: server.pathMtu };
  const at = migrateClient(p, '10.0.0.1:6000');
  assert.deepEqual(at, before);
});

test('the server challenges the old path when the peer migrates (RFC 9000 §9.3.3)', () => {
  const p = established();
  const challengedTo: string[] = [];
  p.net.tap = (d) => {
    // A PATH_CHALLENGE to a validated address is padded to 1200 bytes (RFC 9000 §8.2.1); nothing else the
    // server sends here is that large (no data, PMTU search finished).
    if (d.from === SERVER_ADDR && d.data.length >= 1200) challengedTo.push(d.to);
    return d.data;
  };
  migrateClient(p, '10.0.0.1:6000');
  p.net.run({ until: p.net.now + 2_000 });
  assert.ok(challengedTo.includes(CLIENT_ADDR), 'the old path is challenged');
  assert.ok(p.server.eventsOf('path-validated').some((e) => e.path.remote === '10.0.0.1:6000'), 'the new path is validated');
  assert.equal(p.server.connection.state, 'established');
});

test('a NAT rebinding back to the previous address needs no new validation (RFC 9000 §9.3)', () => {
  const p = established();
  migrateClient(p, '10.0.0.1:6000');
  p.net.run({ until: p.net.now + 2_000 });
  assert.deepEqual(p.server.eventsOf('path-validated').map((e) => e.path.remote), ['10.0.0.1:6000']);
  // Back to the first address: the server switches at once, without a challenge for it.
  let challengesToOld = 0;
  p.net.tap = (d) => {
    if (d.from === SERVER_ADDR && d.to === CLIENT_ADDR && d.data.length >= 1200) challengesToOld++;
    return d.data;
  };
  p.net.rebind(CLIENT_ADDR, CLIENT_ADDR);
  const sid = p.client.connection.openStream(true)!;
  p.client.connection.streamWrite(sid, new Uint8Array(100), true);
  p.net.run({ until: p.net.now + 2_000 });
  assert.deepEqual(p.server.connection.currentPath, { local: SERVER_ADDR, remote: CLIENT_ADDR });
  assert.equal(p.server.eventsOf('path-migrated').length, 2);
  assert.equal(challengesToOld, 0, 'the old address was still validated');
  assert.equal(p.server.connection.state, 'established');
});

test('PathManager keeps the previous path after the new one validates, and after its own re-validation fails', () => {
  const m = new PathManager({ local: 's:1', remote: 'c:1' }, true, false, 2);
  const first = m.current;
  const next = m.get({ local: 's:1', remote: 'c:2' });
  m.switchTo(next);
  next.startValidation(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]), 100);
  first.startValidation(Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2]), 100);
  assert.equal(m.onResponse(Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1])), next);
  assert.equal(m.previous, first, 'kept after the new path validated');
  assert.deepEqual(m.expire(100), {}, 'no revert: the current path is validated');
  assert.equal(m.previous, first, 'kept after its own challenge timed out');
  assert.equal(first.validated, true);
  assert.equal(m.get({ local: 's:1', remote: 'c:1' }), first);
});
