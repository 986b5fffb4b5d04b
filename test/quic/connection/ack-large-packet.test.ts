// A large ack-eliciting packet is acknowledged at once (ack-tracker.ts, DEFAULT_ACK_ELICITING_BYTES_THRESHOLD).
// Regression: on loopback, PMTU discovery grows datagrams to 64 KiB; one such packet filled the sender's
// initial congestion window (RFC 9002 §7.2) and its ACK waited max_ack_delay, so the MQTT-over-QUIC
// benchmark's sender sat idle for 25 ms at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR } from './sim-node.js';

const LARGE_PATH_MTU = 9000;
const ONE_WAY_DELAY_MS = 10;
const MAX_ACK_DELAY_MS = 25;

function sendOnce(bytes: number): { dataSize: number; ackAfterMs: number } {
  const limits = { pmtuMaxDatagramSize: LARGE_PATH_MTU };
  const p = makePair({ link: { delayMs: ONE_WAY_DELAY_MS }, client: { limits }, server: { limits, transport: { maxAckDelay: MAX_ACK_DELAY_MS } } });
  runHandshake(p);
  // Let PMTU discovery (RFC 8899) finish and everything settle.
  p.net.run({ until: p.net.now + 3_000 });
  assert.equal(p.client.connection.pathMtu, LARGE_PATH_MTU, 'the path MTU grew');
  const sends: Array<{ at: number; from: string; size: number }> = [];
  p.net.tap = (d) => {
    sends.push({ at: d.now, from: d.from, size: d.data.length });
    return d.data;
  };
  const sid = p.client.connection.openStream(true)!;
  assert.equal(p.client.connection.streamWrite(sid, new Uint8Array(bytes)), bytes);
  p.net.run({ until: p.net.now + 200 });
  const fromClient = sends.filter((s) => s.from === CLIENT_ADDR);
  const fromServer = sends.filter((s) => s.from === SERVER_ADDR);
  assert.equal(fromClient.length, 1, 'one data packet');
  assert.equal(fromServer.length, 1, 'one ACK');
  return { dataSize: fromClient[0]!.size, ackAfterMs: fromServer[0]!.at - fromClient[0]!.at };
}

test('one large ack-eliciting packet is acknowledged without waiting max_ack_delay', () => {
  const { dataSize, ackAfterMs } = sendOnce(8_000);
  assert.ok(dataSize > 8_000, `one ${dataSize}-byte datagram`);
  // The ACK is sent as the data arrives: it is delivered one link delay later.
  assert.ok(ackAfterMs < ONE_WAY_DELAY_MS + MAX_ACK_DELAY_MS, `ACK delivered ${ackAfterMs} ms after the data`);
});

test('one small packet on the same path still waits max_ack_delay (RFC 9000 §13.2.1)', () => {
  const { ackAfterMs } = sendOnce(100);
  assert.ok(ackAfterMs >= ONE_WAY_DELAY_MS + MAX_ACK_DELAY_MS, `ACK delivered ${ackAfterMs} ms after the data`);
});
