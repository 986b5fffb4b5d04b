import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { UdpRelay } from '../helpers/udp-relay.js';

async function udp(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

function collect(s: Socket, n: number, timeoutMs: number): Promise<Array<{ msg: Buffer; port: number }>> {
  return new Promise((resolve) => {
    const got: Array<{ msg: Buffer; port: number }> = [];
    const t = setTimeout(() => done(), timeoutMs);
    const on = (msg: Buffer, r: { port: number }) => {
      got.push({ msg, port: r.port });
      if (got.length >= n) done();
    };
    const done = () => {
      clearTimeout(t);
      s.off('message', on);
      resolve(got);
    };
    s.on('message', on);
  });
}

test('relay forwards both ways with delay, and rebinding changes the source port the server sees', async (t) => {
  const server = await udp();
  server.on('message', (m, r) => server.send(m, r.port, r.address)); // echo
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: server.address().port }, { toServer: { delayMs: 20 } });
  const client = await udp();
  t.after(async () => {
    await relay.close();
    client.close();
    server.close();
  });
  const seen: number[] = [];
  server.on('message', (_m, r) => seen.push(r.port));
  const t0 = Date.now();
  client.send(Buffer.from('one'), relay.port, '127.0.0.1');
  const [first] = await collect(client, 1, 2000);
  assert.equal(first?.msg.toString(), 'one');
  assert.ok(Date.now() - t0 >= 19, 'delayed');
  await relay.rebind();
  client.send(Buffer.from('two'), relay.port, '127.0.0.1');
  const [second] = await collect(client, 1, 2000);
  assert.equal(second?.msg.toString(), 'two');
  assert.equal(seen.length, 2);
  assert.notEqual(seen[0], seen[1], 'server saw a new source port after rebinding');
  assert.equal(first?.port, relay.port);
});

test('relay drops datagrams at the configured loss rate', async (t) => {
  const server = await udp();
  let count = 0;
  server.on('message', () => count++);
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: server.address().port }, { seed: 9, toServer: { loss: 0.5 } });
  const client = await udp();
  t.after(async () => {
    await relay.close();
    client.close();
    server.close();
  });
  // Paced so that no kernel socket buffer overflows: only the relay may lose datagrams here.
  for (let i = 0; i < 400; i++) {
    client.send(Buffer.of(i & 0xff), relay.port, '127.0.0.1');
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
  }
  for (let waited = 0; count + relay.stats.dropped < 400 && waited < 5000; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(count + relay.stats.dropped, 400);
  assert.ok(relay.stats.dropped > 150 && relay.stats.dropped < 250, `dropped ${relay.stats.dropped}`);
});

test('relay drops datagrams above its path MTU and forwards the rest', async (t) => {
  const server = await udp();
  const sizes: number[] = [];
  server.on('message', (m) => sizes.push(m.length));
  const relay = await UdpRelay.start({ host: '127.0.0.1', port: server.address().port }, { toServer: { mtu: 1400 } });
  const client = await udp();
  t.after(async () => {
    await relay.close();
    client.close();
    server.close();
  });
  for (const n of [1400, 1401, 9000, 1200]) client.send(Buffer.alloc(n), relay.port, '127.0.0.1');
  for (let i = 0; i < 50 && sizes.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(sizes.sort((a, b) => a - b), [1200, 1400]);
  assert.equal(relay.stats.tooLarge, 2);
});
