// `quicmq pub` run() in-process against a scripted broker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IPublishPacket } from 'mqtt-packet';
import { run } from '../../src/cli/pub.js';
import type { CliIO } from '../../src/cli/client-options.js';
import { startFakeBroker } from '../client/fake-broker.js';
import { within } from '../client/support.js';

const RUN_MS = 10_000;

function capture(stdinText?: string): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);
  return {
    io: {
      stdout: { write: (c: string | Uint8Array) => (out += Buffer.from(c).toString()) },
      stderr: { write: (c: string | Uint8Array) => (err += Buffer.from(c).toString()) },
      stdin,
    },
    out: () => out,
    err: () => err,
  };
}

/** A v5 broker that records PUBLISHes and answers QoS 1 with `pubackReason`. */
async function recordingBroker(pubackReason = 0) {
  const published: IPublishPacket[] = [];
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 });
    if (p.cmd === 'publish') {
      published.push(p);
      if (p.qos === 1) conn.send({ cmd: 'puback', messageId: p.messageId ?? 0, reasonCode: pubackReason });
    }
  });
  return { fake, published };
}

test('--repeat with --repeat-delay publishes the message N times', async () => {
  const { fake, published } = await recordingBroker();
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/t`, '-V', '5', '-q', '1', '-m', 'x', '--repeat', '3', '--repeat-delay', '0.01'], c.io), RUN_MS, 'pub');
    assert.equal(code, 0, c.err());
    assert.deepEqual(published.map((p) => p.payload.toString()), ['x', 'x', 'x']);
  } finally {
    await fake.close();
  }
});

test('-s reads the payload from stdin; -D publish properties reach the broker', async () => {
  const { fake, published } = await recordingBroker();
  try {
    const c = capture('from stdin');
    const code = await within(
      run(['-L', `${fake.url}/t`, '-q', '1', '-s', '-D', 'publish', 'response-topic', 'r/1', '-D', 'publish', 'correlation-data', 'abc'], c.io),
      RUN_MS,
      'pub',
    );
    assert.equal(code, 0, c.err());
    assert.equal(published[0]?.payload.toString(), 'from stdin');
    assert.equal(published[0]?.properties?.responseTopic, 'r/1');
    assert.deepEqual(published[0]?.properties?.correlationData, Buffer.from('abc'));
  } finally {
    await fake.close();
  }
});

test('a PUBACK with a failure reason: "Error: Publish ... refused", exit 1', async () => {
  const { fake } = await recordingBroker(0x97);
  try {
    const c = capture();
    const code = await within(run(['-L', `${fake.url}/t`, '-V', '5', '-q', '1', '-m', 'x'], c.io), RUN_MS, 'pub');
    assert.equal(code, 1);
    assert.equal(c.err(), 'Error: Publish to "t" refused: quota exceeded (0x97)\n');
  } finally {
    await fake.close();
  }
});

test('--help prints the usage on stdout and exits 0', async () => {
  const c = capture();
  assert.equal(await run(['--help'], c.io), 0);
  assert.match(c.out(), /^Usage: quicmq pub /);
  assert.match(c.out(), /-D, --property COMMAND NAME VALUE/);
  assert.equal(c.err(), '');
});
