// Acknowledgments (RFC 9000 §13.2): delayed ACKs, no ACK of ACK-only packets, loss recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_ADDR, makePair, runHandshake, SERVER_ADDR, transfer } from './sim-node.js';

test('one small ack-eliciting packet is acknowledged after max_ack_delay, not at once (RFC 9000 §13.2.1)', () => {
  const p = makePair({ server: { transport: { maxAckDelay: 25 } } });
  runHandshake(p);
  p.net.run({ until: p.net.now + 500 });
  const sends: Array<{ at: number; from: string; size: number }> = [];
  p.net.tap = (d) => {
    sends.push({ at: d.now, from: d.from, size: d.data.length });
    return d.data;
  };
  const sid = p.client.connection.openStream(true)!;
  p.client.connection.streamWrite(sid, Buffer.from('one'));
  p.net.run({ until: p.net.now + 200 });
  const fromClient = sends.filter((s) => s.from === CLIENT_ADDR);
  const fromServer = sends.filter((s) => s.from === SERVER_ADDR);
  assert.equal(fromClient.length, 1, 'one data packet');
  assert.equal(fromServer.length, 1, 'one ACK');
  // Delivered 10 ms after the data arrived: the ACK waited max_ack_delay (25 ms) at the server.
  assert.ok(fromServer[0]!.at - fromClient[0]!.at >= 25 + 10, `ACK delivered ${fromServer[0]!.at - fromClient[0]!.at} ms after the data`);
});

test('ACK-only packets are not acknowledged: a finished exchange goes quiet', () => {
  const p = makePair();
  runHandshake(p);
  assert.ok(transfer(p, new Uint8Array(50_000)).finished);
  p.net.run({ until: p.net.now + 300 });
  let datagrams = 0;
  p.net.tap = (d) => {
    datagrams++;
    return d.data;
  };
  p.net.run({ until: p.net.now + 5000 });
  assert.equal(datagrams, 0, 'nothing sent on an idle connection');
  assert.equal(p.client.connection.state, 'established');
});

test('every second ack-eliciting packet is acknowledged at once (RFC 9000 §13.2.2)', () => {
  const p = makePair();
  runHandshake(p);
  p.net.run({ until: p.net.now + 500 });
  let acks = 0;
  let data = 0;
  p.net.tap = (d) => {
    if (d.from === SERVER_ADDR) acks++;
    else data++;
    return d.data;
  };
  // At least 50 full datagrams, also after PMTU discovery grew them to 1452 bytes.
  assert.ok(transfer(p, new Uint8Array(80_000)).finished);
  p.net.run({ until: p.net.now + 200 }); // the last ACKs are still on their way
  assert.ok(data >= 50);
  assert.ok(acks >= Math.floor(data / 2) && acks <= Math.ceil(data / 2) + 1, `${acks} ACKs for ${data} packets`);
});
