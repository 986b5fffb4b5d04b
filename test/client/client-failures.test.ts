// Failure paths: every way a connection can fail ends in one typed, readable error, never a crash or a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createClient } from '../../src/client/client.js';
import { MqttClientError } from '../../src/client/errors.js';
import { registerTransport } from '../../src/client/transports.js';
import { freePort } from '../helpers/mosquitto.js';
import { startFakeBroker } from './fake-broker.js';
import { WAIT_MS, nextEvent, within } from './support.js';

const code = (expected: string, message?: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof MqttClientError, `not an MqttClientError: ${String(e)}`);
  assert.equal(e.code, expected, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

const CONNACK_OK = { cmd: 'connack', sessionPresent: false, reasonCode: 0, returnCode: 0 } as const;

test('nothing listening: "Connection refused" with ERR_CONNECTION_REFUSED', async () => {
  const port = await freePort();
  await assert.rejects(
    within(connect(`mqtt://127.0.0.1:${port}`), WAIT_MS, 'connect'),
    code('ERR_CONNECTION_REFUSED', new RegExp(`^Connection refused by mqtt://127\\.0\\.0\\.1:${port}$`)),
  );
});

test('a server that never answers CONNECT: ERR_CONNECT_TIMEOUT after connectTimeoutMs', async () => {
  const fake = await startFakeBroker(() => {});
  try {
    await assert.rejects(
      within(connect({ url: fake.url, connectTimeoutMs: 200 }), WAIT_MS, 'connect'),
      code('ERR_CONNECT_TIMEOUT', /No CONNACK from mqtt:\/\/127\.0\.0\.1:\d+ within 200 ms/),
    );
  } finally {
    await fake.close();
  }
});

test('a server that closes before CONNACK: ERR_CONNECTION_CLOSED "before CONNACK"', async () => {
  const fake = await startFakeBroker((_p, conn) => conn.socket.end());
  try {
    await assert.rejects(within(connect(fake.url), WAIT_MS, 'connect'), code('ERR_CONNECTION_CLOSED', /before CONNACK/));
  } finally {
    await fake.close();
  }
});

test('CONNACK refusal names the reason code: MQTT 5 and MQTT 3.1.1', async () => {
  const v5 = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send({ cmd: 'connack', sessionPresent: false, reasonCode: 0x87 });
  });
  const v4 = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send({ cmd: 'connack', sessionPresent: false, returnCode: 4 });
  }, 4);
  try {
    await assert.rejects(
      within(connect({ url: v5.url, protocolVersion: 5 }), WAIT_MS, 'connect'),
      (e: unknown) => code('ERR_CONNACK_REFUSED', /^Connection refused by broker: not authorized \(0x87\)$/)(e) && (e as MqttClientError).reasonCode === 0x87,
    );
    await assert.rejects(
      within(connect(v4.url), WAIT_MS, 'connect'),
      code('ERR_CONNACK_REFUSED', /^Connection refused by broker: bad user name or password \(return code 4\)$/),
    );
  } finally {
    await v5.close();
    await v4.close();
  }
});

test('a broker DISCONNECT ends the client with its reason code and reason string (MQTT 5.0 §3.14)', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    if (p.cmd === 'publish') {
      conn.send({ cmd: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'another client took over' } });
      conn.socket.end();
    }
  });
  try {
    const client = await within(connect({ url: fake.url, protocolVersion: 5 }), WAIT_MS, 'connect');
    const closed = nextEvent<[MqttClientError | undefined]>(client, 'close', WAIT_MS);
    const publishing = client.publish('t', 'x', { qos: 1 });
    await assert.rejects(within(publishing, WAIT_MS, 'publish'), code('ERR_CONNECTION_CLOSED'));
    const [error] = await closed;
    assert.equal(error?.reasonCode, 0x8e);
    assert.equal(error?.message, 'Connection closed by broker: session taken over (0x8e) "another client took over"');
  } finally {
    await fake.close();
  }
});

test('a lost connection fails in-flight QoS 1 publishes instead of leaving them pending', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    if (p.cmd === 'publish') conn.socket.destroy();
  }, 4);
  try {
    const client = await within(connect(fake.url), WAIT_MS, 'connect');
    await assert.rejects(within(client.publish('t', 'x', { qos: 1 }), WAIT_MS, 'publish'), code('ERR_CONNECTION_CLOSED', /lost/));
    assert.equal(client.connected, false);
  } finally {
    await fake.close();
  }
});

test('a PUBACK with a failure reason rejects the publish with that reason (MQTT 5.0 §3.4.2.1)', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    if (p.cmd === 'publish') conn.send({ cmd: 'puback', messageId: p.messageId ?? 0, reasonCode: 0x97 });
  });
  try {
    const client = await within(connect({ url: fake.url, protocolVersion: 5 }), WAIT_MS, 'connect');
    await assert.rejects(
      within(client.publish('t', 'x', { qos: 1 }), WAIT_MS, 'publish'),
      (e: unknown) => code('ERR_PUBLISH_REFUSED', /^Publish to "t" refused: quota exceeded \(0x97\)$/)(e) && (e as MqttClientError).reasonCode === 0x97,
    );
    assert.equal(client.connected, true);
    await client.end();
  } finally {
    await fake.close();
  }
});

test('a SUBACK refusing one filter rejects with every grant attached', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    if (p.cmd === 'subscribe') conn.send({ cmd: 'suback', messageId: p.messageId, granted: [1, 0x87] });
  });
  try {
    const client = await within(connect({ url: fake.url, protocolVersion: 5 }), WAIT_MS, 'connect');
    await assert.rejects(within(client.subscribe(['ok', 'denied'], { qos: 1 }), WAIT_MS, 'subscribe'), (e: unknown) => {
      code('ERR_SUBSCRIBE_REFUSED', /^Subscription to "denied" refused: not authorized \(0x87\)$/)(e);
      assert.deepEqual((e as { grants: unknown }).grants, [
        { filter: 'ok', reasonCode: 1, qos: 1 },
        { filter: 'denied', reasonCode: 0x87, qos: undefined },
      ]);
      return true;
    });
    await client.end();
  } finally {
    await fake.close();
  }
});

test('garbage from the server ends the connection with a protocol error, no crash', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.socket.write(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff]));
  }, 4);
  try {
    await assert.rejects(within(connect(fake.url), WAIT_MS, 'connect'), code('ERR_PROTOCOL', /^MQTT error with mqtt:\/\/127\.0\.0\.1:\d+: /));
  } finally {
    await fake.close();
  }
});

test('a transport factory that throws is reported as a transport error', async () => {
  const unregister = registerTransport('broken-test', () => {
    throw new Error('factory exploded');
  });
  try {
    await assert.rejects(within(connect('broken-test://h:1'), WAIT_MS, 'connect'), code('ERR_TRANSPORT', /factory exploded/));
  } finally {
    unregister();
  }
});

test('MQTT 5 DISCONNECT sent by end() carries the reason code and properties', async () => {
  let disconnect: unknown;
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    if (p.cmd === 'disconnect') disconnect = p;
  });
  try {
    const client = await within(connect({ url: fake.url, protocolVersion: 5 }), WAIT_MS, 'connect');
    await client.end({ reasonCode: 0x04, sessionExpiryInterval: 30, userProperties: { bye: 'now' } });
    await within(
      (async () => {
        for (let i = 0; i < 100 && disconnect === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      })(),
      WAIT_MS,
      'DISCONNECT at the server',
    );
    const d = disconnect as { reasonCode: number; properties: { sessionExpiryInterval: number; userProperties: Record<string, string> } };
    assert.equal(d.reasonCode, 0x04);
    assert.equal(d.properties.sessionExpiryInterval, 30);
    assert.deepEqual({ ...d.properties.userProperties }, { bye: 'now' });
  } finally {
    await fake.close();
  }
});

test('a malformed packet after CONNACK closes the connection with ERR_PROTOCOL (MQTT 5.0 §4.13.1)', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
    // Packet type 0 is reserved (MQTT 5.0 §2.1.2): a Malformed Packet.
    if (p.cmd === 'subscribe') conn.socket.write(Buffer.from([0x00, 0x00]));
  }, 4);
  try {
    const client = await within(connect(fake.url), WAIT_MS, 'connect');
    const closed = nextEvent<[MqttClientError | undefined]>(client, 'close', WAIT_MS);
    const errors: MqttClientError[] = [];
    client.on('error', (e) => errors.push(e));
    await assert.rejects(within(client.subscribe('t'), WAIT_MS, 'subscribe'), code('ERR_PROTOCOL'));
    const [error] = await closed;
    assert.equal(error?.code, 'ERR_PROTOCOL');
    assert.equal(errors[0]?.code, 'ERR_PROTOCOL', 'the error event reports it as it happens');
  } finally {
    await fake.close();
  }
});

test('no PINGRESP within the keepalive interval: the connection is declared dead', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK);
  }, 4);
  try {
    const client = await within(connect({ url: fake.url, keepalive: 1 }), WAIT_MS, 'connect');
    const [error] = await nextEvent<[MqttClientError | undefined]>(client, 'close', WAIT_MS);
    assert.equal(error?.code, 'ERR_CONNECTION_CLOSED');
    assert.match(error?.message ?? '', /No answer from mqtt:\/\/127\.0\.0\.1:\d+ within the keepalive interval \(1 s\)/);
  } finally {
    await fake.close();
  }
});

test('end() bounds the wait for unacknowledged QoS 1 publishes, then fails them', async () => {
  const fake = await startFakeBroker((p, conn) => {
    if (p.cmd === 'connect') conn.send(CONNACK_OK); // and never a PUBACK
  }, 4);
  try {
    const client = await within(connect(fake.url), WAIT_MS, 'connect');
    const publishing = client.publish('t', 'x', { qos: 1 });
    await within(client.end({ timeoutMs: 100 }), WAIT_MS, 'end');
    await assert.rejects(within(publishing, WAIT_MS, 'publish'), code('ERR_CONNECTION_CLOSED', /closed by the client/));
    assert.equal(client.connected, false);
  } finally {
    await fake.close();
  }
});

test('createClient returns at once; end() before CONNACK rejects opened and sends nothing more', async () => {
  const fake = await startFakeBroker(() => {}, 4);
  try {
    const client = createClient(fake.url);
    const packets: string[] = [];
    client.on('packetsend', (p) => packets.push(p.cmd));
    await within(client.end(), WAIT_MS, 'end');
    await assert.rejects(client.opened, code('ERR_CONNECTION_CLOSED', /closed by the client before CONNACK/));
    assert.deepEqual(packets, [], 'ended before the CONNECT was sent');
  } finally {
    await fake.close();
  }
});

test('createClient throws synchronously on invalid options; connect() rejects with the same error', async () => {
  assert.throws(() => createClient({ port: 0 }), code('ERR_INVALID_OPTION', /port/));
  await assert.rejects(connect({ port: 0 }), code('ERR_INVALID_OPTION', /port/));
});
