// `quicmq pub` / shared client options: command-line parsing, in-process (no broker, no subprocess).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePubArgs, type PubPlan } from '../../src/cli/pub.js';
import { UsageError, exitCodeFor, errorLine, extractProperties, CLIENT_OPTIONS } from '../../src/cli/client-options.js';
import { MqttClientError } from '../../src/client/errors.js';
import { SESSION_NEVER_EXPIRES } from '../../src/client/options.js';

const plan = (...argv: string[]): PubPlan => {
  const p = parsePubArgs(argv);
  assert.ok(p, 'not --help');
  return p;
};
const usage = (argv: string[], pattern: RegExp): void =>
  assert.throws(() => parsePubArgs(argv), (e: unknown) => e instanceof UsageError && pattern.test(e.message));

test('defaults: mqtt://localhost:1883, MQTT 3.1.1, QoS 0, clean session, generated client id, no reconnect', () => {
  const p = plan('-t', 'a/b', '-m', 'hello');
  assert.equal(p.topic, 'a/b');
  assert.deepEqual(p.source, { kind: 'message', payload: Buffer.from('hello') });
  assert.deepEqual(p.publish, { qos: 0, retain: false });
  assert.equal(p.common.connect.scheme, 'mqtt');
  assert.equal(p.common.connect.protocolVersion, 4);
  assert.equal(p.common.connect.cleanStart, true);
  assert.equal(p.common.connect.reconnectPeriodMs, 0);
  assert.match(p.common.connect.clientId ?? '', /^quicmq-pub-[0-9a-f]{1,8}$/);
  assert.ok((p.common.connect.clientId ?? '').length <= 23, 'fits MQTT 3.1 client id limit');
});

test('--help returns undefined (usage is printed by run)', () => {
  assert.equal(parsePubArgs(['--help']), undefined);
});

test('host, port, qos, retain, id, credentials, keepalive', () => {
  const p = plan('-h', 'broker', '-p', '1999', '-q', '2', '-r', '-i', 'me', '-u', 'user', '-P', 'pw', '-k', '30', '-t', 't', '-n');
  assert.equal(p.common.connect.host, 'broker');
  assert.equal(p.common.connect.port, 1999);
  assert.deepEqual(p.publish, { qos: 2, retain: true });
  assert.equal(p.common.connect.clientId, 'me');
  assert.equal(p.common.connect.username, 'user');
  assert.equal(p.common.connect.password, 'pw');
  assert.equal(p.common.connect.keepalive, 30);
  assert.deepEqual(p.source, { kind: 'message', payload: Buffer.alloc(0) });
});

test('-I makes the client id from a prefix and the process id', () => {
  assert.equal(plan('-I', 'pre-', '-t', 't', '-n').common.connect.clientId, `pre-${process.pid}`);
  usage(['-I', 'x', '-i', 'y', '-t', 't', '-n'], /-i and -I cannot be combined/);
});

test('-V accepts mosquitto spellings', () => {
  for (const [text, v] of [['31', 3], ['mqttv31', 3], ['311', 4], ['mqttv311', 4], ['5', 5], ['mqttv5', 5], ['MQTTV5', 5]] as const) {
    assert.equal(plan('-V', text, '-t', 't', '-n').common.connect.protocolVersion, v);
  }
  usage(['-V', '6', '-t', 't', '-n'], /-V must be 31, 311 or 5/);
});

test('-L: credentials, host, port and topic from an mqtt(s) URL; ws URLs keep their path', () => {
  const p = plan('-L', 'mqtts://us%40er:p%40ss@example.com:8884/a/b%2Fc', '-m', 'x');
  assert.equal(p.common.connect.url, 'mqtts://example.com:8884');
  assert.equal(p.common.connect.username, 'us@er');
  assert.equal(p.common.connect.password, 'p@ss');
  assert.equal(p.topic, 'a/b/c');
  const ws = plan('-L', 'ws://h:9001/mqtt', '-t', 'x', '-m', 'x');
  assert.equal(ws.common.connect.url, 'ws://h:9001/mqtt');
  assert.equal(ws.topic, 'x');
  usage(['-L', 'mqtt://h/t', '-h', 'x', '-m', 'x'], /-L cannot be combined with -h or -p/);
  usage(['-L', 'gopher://h/t', '-m', 'x'], /unsupported scheme "gopher:\/\/"/);
  usage(['-L', '::nonsense', '-m', 'x'], /invalid URL/);
  usage(['-L', 'mqtt://h/t', '-t', 'u', '-m', 'x'], /Only one topic/);
});

test('--quic: MQTT over QUIC with -h/-p, TLS options apply, verification on; not with -L', () => {
  const p = plan('--quic', '-h', 'broker', '-p', '14568', '--cafile', 'ca.pem', '-t', 't', '-n');
  assert.equal(p.common.connect.scheme, 'quic');
  assert.equal(p.common.connect.host, 'broker');
  assert.equal(p.common.connect.port, 14568);
  assert.equal(p.common.connect.tls?.insecure, false);
  const insecure = plan('--quic', '--insecure', '-t', 't', '-n');
  assert.equal(insecure.common.connect.scheme, 'quic');
  assert.equal(insecure.common.connect.tls?.insecure, true);
  usage(['--quic', '-L', 'quic://h/t', '-m', 'x'], /--quic cannot be combined with -L/);
});

test('TLS: --cafile and friends switch to mqtts (port 8883) without -L; verification stays on', () => {
  const p = plan('--cafile', 'ca.pem', '--cert', 'c.pem', '--key', 'k.pem', '--tls-version', 'tlsv1.3', '--tls-alpn', 'mqtt', '--servername', 'n', '-t', 't', '-n');
  assert.equal(p.common.connect.scheme, 'mqtts');
  assert.deepEqual(p.common.connect.tls, {
    caFile: 'ca.pem',
    certFile: 'c.pem',
    keyFile: 'k.pem',
    servername: 'n',
    alpnProtocols: ['mqtt'],
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    insecure: false,
  });
  assert.equal(plan('--insecure', '-t', 't', '-n').common.connect.tls?.insecure, true);
  assert.equal(plan('--tls-use-os-certs', '-t', 't', '-n').common.connect.scheme, 'mqtts');
  usage(['--tls-version', 'tlsv1.1', '-t', 't', '-n'], /--tls-version must be tlsv1.2 or tlsv1.3/);
  usage(['--cert', 'c.pem', '-t', 't', '-n'], /--cert and --key must be given together/);
  usage(['-L', 'mqtt://h/t', '--cafile', 'ca.pem', '-n'], /TLS options need a secure URL scheme/);
});

test('will options', () => {
  const p = plan('--will-topic', 'w', '--will-payload', 'bye', '--will-qos', '1', '--will-retain', '-t', 't', '-n');
  assert.deepEqual(p.common.connect.will, { topic: 'w', payload: 'bye', qos: 1, retain: true });
  usage(['--will-payload', 'x', '-t', 't', '-n'], /Will options need --will-topic/);
  usage(['--will-topic', 'w', '--will-qos', '3', '-t', 't', '-n'], /--will-qos must be from 0 to 2/);
});

test('-D properties imply MQTT 5 and go to their packets', () => {
  const p = plan(
    '-t', 't', '-m', 'x',
    '-D', 'publish', 'user-property', 'k', 'v',
    '-D', 'PUBLISH', 'user-property', 'k', 'w',
    '-D', 'publish', 'content-type', 'text/plain',
    '-D', 'publish', 'correlation-data', 'cid',
    '-D', 'publish', 'message-expiry-interval', '60',
    '-D', 'publish', 'payload-format-indicator', '1',
    '-D', 'publish', 'response-topic', 'r',
    '-D', 'connect', 'user-property', 'c', '1',
    '-D', 'connect', 'receive-maximum', '10',
    '--will-topic', 'w',
    '--property', 'will', 'will-delay-interval', '5',
    '-D', 'disconnect', 'session-expiry-interval', '0',
  );
  assert.equal(p.common.connect.protocolVersion, 5);
  assert.deepEqual(p.publish.properties, {
    userProperties: { k: ['v', 'w'] },
    contentType: 'text/plain',
    correlationData: Buffer.from('cid'),
    messageExpiryInterval: 60,
    payloadFormatIndicator: true,
    responseTopic: 'r',
  });
  assert.deepEqual(p.common.connect.userProperties, { c: '1' });
  assert.deepEqual(p.common.connect.connectProperties, { receiveMaximum: 10 });
  assert.deepEqual(p.common.connect.will?.properties, { willDelayInterval: 5 });
  assert.deepEqual(p.common.properties.disconnect, { sessionExpiryInterval: 0 });
});

test('-D errors: unknown command or property, missing values, bad numbers, explicit older -V', () => {
  usage(['-t', 't', '-n', '-D', 'publish'], /needs a command, a property name and a value/);
  usage(['-t', 't', '-n', '-D', 'publish', 'user-property', 'k'], /user-property needs a name and a value/);
  usage(['-t', 't', '-n', '-D', 'subscribe', 'user-property', 'k', 'v'], /command must be one of connect, publish, disconnect, will/);
  usage(['-t', 't', '-n', '-D', 'publish', 'colour', 'red'], /unknown property "colour"/);
  usage(['-t', 't', '-n', '-D', 'publish', 'message-expiry-interval', '-1'], /must be from 0 to 4294967295/);
  usage(['-t', 't', '-n', '-D', 'publish', 'payload-format-indicator', '2'], /must be from 0 to 1/);
  usage(['-t', 't', '-n', '-D', 'connect', 'receive-maximum', '0'], /must be from 1 to 65535/);
  usage(['-t', 't', '-n', '-V', '311', '-D', 'publish', 'content-type', 'x'], /-D and -x need MQTT 5/);
});

test('-D is recognised only as an option, not as another option\'s value', () => {
  const p = plan('-t', 't', '-m', '-D');
  assert.deepEqual(p.source, { kind: 'message', payload: Buffer.from('-D') });
  const { rest, count } = extractProperties(['-m', '-D', '--', '-D'], { ...CLIENT_OPTIONS, message: { type: 'string', short: 'm' } }, ['publish']);
  assert.equal(count, 0);
  assert.deepEqual(rest, ['--message=-D', '--', '-D']);
});

test('session: -c needs -i; in MQTT 5 -c means a never-expiring session, -x sets the expiry', () => {
  usage(['-c', '-t', 't', '-n'], /-c needs a client id/);
  assert.equal(plan('-c', '-i', 'me', '-t', 't', '-n').common.connect.cleanStart, false);
  const v5 = plan('-c', '-i', 'me', '-V', '5', '-t', 't', '-n');
  assert.equal(v5.common.connect.sessionExpiryInterval, SESSION_NEVER_EXPIRES);
  assert.equal(plan('-x', '120', '-t', 't', '-n').common.connect.sessionExpiryInterval, 120);
  assert.equal(plan('-x', '120', '-t', 't', '-n').common.connect.protocolVersion, 5, '-x implies MQTT 5');
  assert.equal(plan('-x', '-1', '-i', 'me', '-t', 't', '-n').common.connect.sessionExpiryInterval, SESSION_NEVER_EXPIRES);
  usage(['-x', '-1', '-t', 't', '-n'], /never expires .* needs a client id/);
  usage(['-c', '-V', '5', '-t', 't', '-n'], /needs a client id/);
  usage(['-x', '1.5', '-t', 't', '-n'], /-x must be an integer/);
});

test('payload source: exactly one of -m -f -s -l -n', () => {
  assert.deepEqual(plan('-t', 't', '-f', 'file.bin').source, { kind: 'file', path: 'file.bin' });
  assert.deepEqual(plan('-t', 't', '-s').source, { kind: 'stdin' });
  assert.deepEqual(plan('-t', 't', '-l').source, { kind: 'lines' });
  usage(['-t', 't'], /Exactly one of -m, -f, -s, -l or -n/);
  usage(['-t', 't', '-m', 'x', '-n'], /Exactly one of/);
  usage(['-t', 't', '-l', '--repeat', '2'], /--repeat cannot be used with -l/);
});

test('--repeat and --repeat-delay', () => {
  const p = plan('-t', 't', '-m', 'x', '--repeat', '3', '--repeat-delay', '0.25');
  assert.equal(p.repeat, 3);
  assert.equal(p.repeatDelayMs, 250);
  usage(['-t', 't', '-m', 'x', '--repeat', '0'], /--repeat must be from 1/);
  usage(['-t', 't', '-m', 'x', '--repeat-delay', 'soon'], /--repeat-delay must be from 0/);
});

test('bad values and unknown options are usage errors', () => {
  usage(['-t', 't', '-n', '-q', '3'], /-q must be from 0 to 2/);
  usage(['-t', 't', '-n', '-p', '0'], /-p must be from 1 to 65535/);
  usage(['-t', 't', '-n', '-p', 'http'], /-p must be an integer/);
  usage(['-t', 't', '-n', '-k', '70000'], /-k must be from 0 to 65535/);
  usage(['-t', 't', '-n', '--bogus'], /Unknown option '--bogus'/);
  usage(['-t', 't', '-n', 'stray'], /Unexpected argument "stray"/);
  usage(['-t'], /argument missing/);
  usage(['-m', 'x'], /A topic is needed/);
  usage(['-t', 'a', '-t', 'b', '-m', 'x'], /Only one topic/);
  usage(['-P', 'pw', '-t', 't', '-n'], /-P needs -u before MQTT 5/);
});

test('exit codes: CONNACK refusals exit with their reason code, everything else with 1', () => {
  assert.equal(exitCodeFor(new MqttClientError('ERR_CONNACK_REFUSED', 'x', { reasonCode: 0x87 })), 0x87);
  assert.equal(exitCodeFor(new MqttClientError('ERR_CONNECTION_REFUSED', 'x')), 1);
  assert.equal(exitCodeFor(new Error('x')), 1);
  assert.equal(errorLine(new MqttClientError('ERR_CONNECTION_REFUSED', 'Connection refused by mqtt://h:1')), 'Error: Connection refused by mqtt://h:1\n');
  assert.equal(errorLine('text'), 'Error: text\n');
});
