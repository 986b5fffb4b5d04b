// The endpoint's per-connection totals and outcome counters, the figures behind a server's metrics:
// handshakes completed or failed, 0-RTT answers, how connections ended, and packet counters summed over
// the connections gone and open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointCore } from '../../../src/quic/endpoint/endpoint-core.js';
import { closeReasonOf } from '../../../src/quic/endpoint/connection-totals.js';
import { TransportErrorCode } from '../../../src/quic/wire/errors.js';
import { StubConnection, cid, initialDatagram, seededRandom } from './stub-connection.js';

const LOCAL = '127.0.0.1:4433';

test('handshake outcomes, 0-RTT answers, close reasons and packet totals survive the connections', () => {
  const created: StubConnection[] = [];
  const core = new EndpointCore({
    random: seededRandom(9),
    server: { createConnection: () => { const c = new StubConnection(); created.push(c); return c; } },
  });
  const dcids = ['1111111111111111', '2222222222222222', '3333333333333333'];
  dcids.forEach((d, i) => core.receive(initialDatagram({ dcid: cid(d), scid: cid('a1a2a3a4') }), { local: LOCAL, remote: `127.0.0.1:${50_000 + i}` }, 0));
  assert.equal(created.length, 3);
  const [a, b, c] = created as [StubConnection, StubConnection, StubConnection];
  a.statsValue.packetsSent = 10;
  a.statsValue.packetsLost = 1;
  b.statsValue.packetsSent = 20;
  b.statsValue.pathMigrations = 2;
  c.statsValue.packetsSent = 5;
  c.statsValue.probeTimeouts = 3;
  const wakeAll = (): void => {
    for (const e of core.allConnections()) core.wake(e);
    for (let i = 0; i < 100 && core.poll(1) !== undefined; i++);
  };
  a.events.push({ type: 'handshake-complete', alpn: 'mqtt', resumed: true, earlyData: 'accepted' });
  b.events.push({ type: 'handshake-complete', alpn: 'mqtt', resumed: true, earlyData: 'rejected' });
  wakeAll();
  assert.deepEqual(core.connectionTotals(), { packetsSent: 35, packetsReceived: 0, packetsLost: 1, probeTimeouts: 3, pathMigrations: 2, keyUpdates: 0 });
  assert.equal(core.stats.handshakesCompleted, 2);
  assert.equal(core.stats.earlyDataAccepted, 1);
  assert.equal(core.stats.earlyDataRejected, 1);

  // a closes normally, c never finishes its handshake and times out.
  a.events.push({ type: 'closed', info: { code: 0, application: true, reason: '', remote: true, cause: 'close' } });
  c.events.push({ type: 'closed', info: { code: 0, application: false, reason: '', remote: false, cause: 'handshake-timeout' } });
  wakeAll();
  assert.equal(core.connectionCount, 1);
  // The figures of connections gone stay counted, as they were when they ended.
  a.statsValue.packetsSent = 1_000;
  assert.deepEqual(core.connectionTotals(), { packetsSent: 35, packetsReceived: 0, packetsLost: 1, probeTimeouts: 3, pathMigrations: 2, keyUpdates: 0 });
  b.statsValue.packetsSent = 25;
  assert.equal(core.connectionTotals().packetsSent, 40, 'open connections are read live');
  assert.equal(core.stats.handshakesCompleted, 2);
  assert.equal(core.stats.handshakesFailed, 1);
  assert.equal(core.stats.closes.normal, 1);
  assert.equal(core.stats.closes.handshake_timeout, 1);
  assert.equal(core.stats.closes.idle_timeout, 0);
});

test('close reasons: timers and resets first, then code 0 is normal, else by error space', () => {
  const info = (code: number, application: boolean, cause?: 'idle' | 'stateless-reset' | 'handshake-timeout' | 'close') => ({ code, application, reason: '', remote: false, ...(cause ? { cause } : {}) });
  assert.equal(closeReasonOf(info(0, false, 'idle')), 'idle_timeout');
  assert.equal(closeReasonOf(info(0, false, 'stateless-reset')), 'stateless_reset');
  assert.equal(closeReasonOf(info(0, false, 'handshake-timeout')), 'handshake_timeout');
  assert.equal(closeReasonOf(info(0, true, 'close')), 'normal');
  assert.equal(closeReasonOf(info(TransportErrorCode.NO_ERROR, false)), 'normal');
  assert.equal(closeReasonOf(info(TransportErrorCode.PROTOCOL_VIOLATION, false)), 'transport_error');
  assert.equal(closeReasonOf(info(0x1, true)), 'application_error');
});
