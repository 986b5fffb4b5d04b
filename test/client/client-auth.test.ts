// Authentication and authorization refusals from a real broker (mosquitto with a password file and an ACL).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/client.js';
import type { ConnectOptions } from '../../src/client/options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto.js';
import { WAIT_MS, within } from './support.js';

let broker: MosquittoBroker;
before(async () => {
  broker = await startMosquitto({
    users: { alice: 's3cret:with@chars' },
    acl: 'user alice\ntopic readwrite public/#\n',
  });
});
after(async () => {
  await broker.stop();
});

const url = (): string => `mqtt://127.0.0.1:${broker.port}`;

function refused(message: RegExp, reasonCode: number) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof MqttClientError, String(e));
    assert.equal(e.code, 'ERR_CONNACK_REFUSED', e.message);
    assert.match(e.message, message);
    assert.equal(e.reasonCode, reasonCode);
    return true;
  };
}

async function attempt(options: ConnectOptions): Promise<void> {
  const c = await within(connect({ url: url(), ...options }), WAIT_MS, 'connect');
  await c.end();
}

test('anonymous clients are refused: "not authorized (0x87)" in MQTT 5, return code 5 in MQTT 3.1.1', async () => {
  await assert.rejects(attempt({ protocolVersion: 5 }), refused(/^Connection refused by broker: not authorized \(0x87\)$/, 0x87));
  await assert.rejects(attempt({ protocolVersion: 4 }), refused(/^Connection refused by broker: not authorized \(return code 5\)$/, 5));
});

test('a wrong password is refused (mosquitto answers "not authorized" rather than telling which part was wrong)', async () => {
  await assert.rejects(
    attempt({ protocolVersion: 5, username: 'alice', password: 'wrong' }),
    refused(/^Connection refused by broker: not authorized \(0x87\)$/, 0x87),
  );
  await assert.rejects(
    attempt({ protocolVersion: 4, username: 'alice', password: 'wrong' }),
    refused(/^Connection refused by broker: not authorized \(return code 5\)$/, 5),
  );
});

test('credentials from the options and from the URL (percent-encoded) are accepted', async () => {
  await attempt({ username: 'alice', password: 's3cret:with@chars' });
  const c = await within(connect(`mqtt://alice:s3cret%3Awith%40chars@127.0.0.1:${broker.port}`), WAIT_MS, 'connect');
  await c.end();
});

test('a publish the ACL denies: MQTT 5 PUBACK 0x87 rejects it; MQTT 3.1.1 has no way to say so', async () => {
  const v5 = await within(connect({ url: url(), protocolVersion: 5, username: 'alice', password: 's3cret:with@chars' }), WAIT_MS, 'connect');
  const v4 = await within(connect({ url: url(), protocolVersion: 4, username: 'alice', password: 's3cret:with@chars' }), WAIT_MS, 'connect');
  try {
    await assert.rejects(within(v5.publish('private/x', 'x', { qos: 1 }), WAIT_MS, 'publish'), (e: unknown) => {
      assert.ok(e instanceof MqttClientError, String(e));
      assert.equal(e.code, 'ERR_PUBLISH_REFUSED');
      assert.equal(e.message, 'Publish to "private/x" refused: not authorized (0x87)');
      return true;
    });
    await within(v5.publish('public/x', 'x', { qos: 1 }), WAIT_MS, 'allowed publish');
    // MQTT 3.1.1 §3.4: PUBACK has no reason code; the broker acknowledges and drops the message.
    await within(v4.publish('private/x', 'x', { qos: 1 }), WAIT_MS, 'denied v4 publish');
    assert.equal(v5.connected && v4.connected, true);
  } finally {
    await v5.end();
    await v4.end();
  }
});
