// `quicmq sub` run() in-process against a scripted broker: the outcomes real brokers do not produce on demand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/sub.js';
import type { CliIO } from '../../src/cli/client-options.js';
import { startFakeBroker, type FakeBroker } from '../client/fake-broker.js';
import { within } from '../client/support.js';

const RUN_MS = 10_000;

function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (c: string | Uint8Array) => (out += Buffer.from(c).toString()) },
      stderr: { write: (c: string | Uint8Array) => (err += Buffer.from(c).toString()) },
      stdin: new PassThrough(),
    },
    out: () => out,
    err: () => err,
  };
}

/** A v5 broker that grants per `grant(filter)` and then runs `after` on the connection. */
function broker(grant: (filter: string) => number, afterSuback: (send: (p: object) => void, end: () => void) => void = () => {}): Promise<FakeBroker> {
  return startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
    if (p.cmd === 'subscribe') {
      conn.send({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => grant(s.topic)) });
      afterSuback((packet) => conn.send(packet as never), () => conn.socket.destroy());
    }
  });
}

test('a partly refused subscription warns and goes on', async () => {
  const fake = await broker(
    (f) => (f === 'denied' ? 0x87 : 0),
    (send) => send({ cmd: 'publish', topic: 'ok', payload: Buffer.from('still here'), qos: 0, retain: false, dup: false }),
  );
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/ok`, '-t', 'denied', '-V', '5', '-C', '1'], c.io), RUN_MS, 'sub');
    assert.equal(code, 0, c.err());
    assert.equal(c.err(), 'Warning: subscription to "denied" denied (reason code 0x87)\n');
    assert.equal(c.out(), 'still here\n');
  } finally {
    await fake.close();
  }
});

test('all subscriptions refused: error and exit 1', async () => {
  const fake = await broker(() => 0x87);
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/a`, '-V', '5'], c.io), RUN_MS, 'sub');
    assert.equal(code, 1);
    assert.equal(c.err(), 'Error: All subscription requests were denied (Subscription to "a" refused: not authorized (0x87))\n');
  } finally {
    await fake.close();
  }
});

test('a connection lost while waiting for messages: error and exit 1', async () => {
  const fake = await broker(() => 1, (_send, end) => setImmediate(end));
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/a`, '-q', '1', '-V', '5'], c.io), RUN_MS, 'sub');
    assert.equal(code, 1);
    assert.match(c.err(), /^Error: Connection to mqtt:\/\/127\.0\.0\.1:\d+ lost\n$/);
  } finally {
    await fake.close();
  }
});

test('a broker DISCONNECT while waiting: its reason is printed', async () => {
  const fake = await broker(
    () => 0,
    (send, end) => {
      send({ cmd: 'disconnect', reasonCode: 0x8b });
      setImmediate(end);
    },
  );
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/a`, '-V', '5'], c.io), RUN_MS, 'sub');
    assert.equal(code, 1);
    assert.equal(c.err(), 'Error: Connection closed by broker: server shutting down (0x8b)\n');
  } finally {
    await fake.close();
  }
});

test('--connect-timeout: a broker that never answers CONNECT is given up on, exit 1', async () => {
  const fake = await startFakeBroker(() => {});
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/a`, '--connect-timeout', '1'], c.io), RUN_MS, 'sub');
    assert.equal(code, 1);
    assert.match(c.err(), /^Error: No CONNACK from mqtt:\/\/127\.0\.0\.1:\d+ within 1000 ms\n$/);
  } finally {
    await fake.close();
  }
});
