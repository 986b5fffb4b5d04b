import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envOverrides, flagOverrides, loadConfig, type LoadConfigOptions } from '../../../src/broker/config/load.js';
import { defaultBrokerConfig } from '../../../src/broker/config/defaults.js';
import type { BrokerConfig } from '../../../src/broker/config/types.js';
import { certPath } from '../../helpers/certs.js';
import { repoRoot } from '../../helpers/paths.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function configError(opts: LoadConfigOptions): ConfigError {
  try {
    loadConfig(opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ConfigError');
}

test('embedded defaults: tcp 1883, ws 8083 and quic 14567 (generated certificate) on, ssl/wss off, anonymous allowed, prometheus off', () => {
  const c = defaultBrokerConfig();
  assert.deepEqual(c.listeners.tcp, { default: { enabled: true, bind: '0.0.0.0:1883', max_connections: 1024000 } });
  assert.deepEqual(c.listeners.ws.default, { enabled: true, bind: '0.0.0.0:8083', max_connections: 1024000, websocket: { mqtt_path: '/mqtt' } });
  assert.equal(c.listeners.ssl.default!.enabled, false);
  assert.equal(c.listeners.wss.default!.enabled, false);
  assert.equal(c.listeners.quic.default!.enabled, true);
  assert.equal(c.listeners.quic.default!.bind, '0.0.0.0:14567');
  assert.equal(c.listeners.quic.default!.keyfile, '', 'empty: generated on first start');
  assert.equal(c.listeners.quic.default!.certfile, '');
  assert.equal(c.listeners.quic.default!.idle_timeout, 15_000);
  assert.equal(c.authentication.allow_anonymous, true);
  assert.deepEqual(c.prometheus, { enabled: false, bind: '127.0.0.1:9464' });
  assert.equal(c.mqtt.max_packet_size, 1_048_576);
  assert.equal(c.mqtt.session_expiry_interval, 7_200_000);
  assert.equal(c.sys_topics.sys_msg_interval, 60_000);
  assert.deepEqual(loadConfig(), c, 'loadConfig() with nothing equals the defaults');
  c.mqtt.max_inflight = 1;
  assert.equal(defaultBrokerConfig().mqtt.max_inflight, 32, 'each call returns a fresh copy');
});

test('file: durations and sizes converted, nested and dotted keys, named listeners get their type defaults', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'quicmq.conf');
  writeFileSync(
    file,
    `
    listeners.tcp.default { bind = "127.0.0.1:1883", max_connections = 100 }
    listeners.tcp.internal { bind = "127.0.0.1:11883" }
    listeners.ws.default.websocket.mqtt_path = "/ws"
    mqtt {
      max_packet_size = 64KB
      idle_timeout = 500ms
      session_expiry_interval = 1h30m
      retry_interval = 0
    }
    `,
  );
  const c = loadConfig({ file });
  assert.deepEqual(c.listeners.tcp.default, { enabled: true, bind: '127.0.0.1:1883', max_connections: 100 });
  assert.deepEqual(c.listeners.tcp.internal, { enabled: true, bind: '127.0.0.1:11883', max_connections: 1024000 });
  assert.equal(c.listeners.ws.default!.websocket.mqtt_path, '/ws');
  assert.equal(c.listeners.ws.default!.bind, '0.0.0.0:8083', 'untouched keys keep their defaults');
  assert.equal(c.mqtt.max_packet_size, 65_536);
  assert.equal(c.mqtt.idle_timeout, 500);
  assert.equal(c.mqtt.session_expiry_interval, 5_400_000);
  assert.equal(c.mqtt.retry_interval, 0);
  assert.equal(c.mqtt.max_inflight, 32);
});

test('a named ssl listener gets the ssl defaults and validates its certificate files', () => {
  const c = loadConfig({
    overrides: [`listeners.ssl.edge.bind="127.0.0.1:0"`, `listeners.ssl.edge.ssl_options.keyfile="${certPath('server-rsa-key.pem')}"`, `listeners.ssl.edge.ssl_options.certfile="${certPath('server-rsa.pem')}"`],
  });
  const edge = c.listeners.ssl.edge!;
  assert.equal(edge.enabled, true);
  assert.equal(edge.max_connections, 1024000);
  assert.deepEqual(edge.ssl_options.versions, ['tlsv1.3', 'tlsv1.2']);
  assert.equal(edge.ssl_options.verify, 'verify_none');
  assert.equal(edge.ssl_options.cacertfile, undefined);
});

test('env overrides: QUICMQ_A__B__C, values parsed as HOCON, non-HOCON text kept as string, other QUICMQ_ vars ignored', () => {
  const env = {
    QUICMQ_LISTENERS__QUIC__DEFAULT__BIND: '0.0.0.0:14568',
    QUICMQ_MQTT__MAX_INFLIGHT: '64',
    QUICMQ_MQTT__RETAIN_AVAILABLE: 'false',
    QUICMQ_MQTT__IDLE_TIMEOUT: '3s',
    QUICMQ_NODE__NAME: '"edge-1"',
    QUICMQ_HOME: '/opt/quicmq',
    PATH: '/bin',
  };
  assert.deepEqual(envOverrides(env), {
    listeners: { quic: { default: { bind: '0.0.0.0:14568' } } },
    mqtt: { max_inflight: 64, retain_available: false, idle_timeout: '3s' },
    node: { name: 'edge-1' },
  });
  const c = loadConfig({ env });
  assert.equal(c.listeners.quic.default!.bind, '0.0.0.0:14568');
  assert.equal(c.listeners.quic.default!.enabled, true, 'setting the bind keeps the base listener\'s other keys');
  assert.equal(c.listeners.quic.default!.keyfile, '');
  assert.equal(c.mqtt.max_inflight, 64);
  assert.equal(c.mqtt.retain_available, false);
  assert.equal(c.mqtt.idle_timeout, 3000);
  assert.equal(c.node.name, 'edge-1');
});

test('flag overrides: key.path=value, objects and arrays', () => {
  assert.deepEqual(flagOverrides(['mqtt.max_inflight=64', 'listeners.tcp.x={ bind = "127.0.0.1:1" }', 'log.level=[1,2]']), {
    mqtt: { max_inflight: 64 },
    listeners: { tcp: { x: { bind: '127.0.0.1:1' } } },
    log: { level: [1, 2] },
  });
  const c = loadConfig({ overrides: ['listeners.ssl.default.ssl_options.versions=["tlsv1.3"]'] });
  assert.deepEqual(c.listeners.ssl.default!.ssl_options.versions, ['tlsv1.3']);
  assert.match(configError({ overrides: ['mqtt.max_inflight'] }).message, /--set expects key\.path=value, got "mqtt\.max_inflight"/);
  assert.match(configError({ overrides: ['mqtt..x=1'] }).message, /empty key segment/);
  assert.equal(configError({ overrides: ['mqt.max_inflight=1'] }).message, 'mqt.max_inflight: unknown key (did you mean "mqtt"?)');
});

test('precedence: defaults < file < env < flags', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'p.conf');
  writeFileSync(file, 'mqtt { max_inflight = 10, max_mqueue_len = 10, max_awaiting_rel = 10 }');
  const env = { QUICMQ_MQTT__MAX_MQUEUE_LEN: '20', QUICMQ_MQTT__MAX_AWAITING_REL: '20' };
  const c = loadConfig({ file, env, overrides: ['mqtt.max_awaiting_rel=30'] });
  assert.equal(c.mqtt.max_inflight, 10, 'file over default');
  assert.equal(c.mqtt.max_mqueue_len, 20, 'env over file');
  assert.equal(c.mqtt.max_awaiting_rel, 30, 'flag over env');
  assert.equal(c.mqtt.max_topic_alias, 64, 'default when nobody sets it');
});

test('validation errors name the key path, value and expectation', () => {
  const cases: Array<[string[], string]> = [
    [['listeners.tcp.default.bind=abc'], 'listeners.tcp.default.bind: expected "host:port", got "abc"'],
    [['listeners.tcp.default.bind=1.2.3.4:70000'], 'listeners.tcp.default.bind: expected "host:port", got "1.2.3.4:70000"'],
    [['mqtt.max_inflight="many"'], 'mqtt.max_inflight: expected integer, got "many"'],
    [['mqtt.max_inflight=0'], 'mqtt.max_inflight: must be at least 1, got 0'],
    [['mqtt.max_topic_alias=70000'], 'mqtt.max_topic_alias: must be at most 65535, got 70000'],
    [['mqtt.max_qos_allowed=3'], 'mqtt.max_qos_allowed: expected one of 0, 1, 2, got 3'],
    [['mqtt.idle_timeout=15x'], 'mqtt.idle_timeout: expected a duration like "15s", "500ms", "2h" or "1h30m", got "15x"'],
    [['mqtt.max_packet_size=lots'], 'mqtt.max_packet_size: expected a size like "1MB", "64KB" or a number of bytes, got "lots"'],
    [['mqtt.max_packet_size=1GB'], 'mqtt.max_packet_size: must be at most 268435456, got "1GB"'],
    [['mqtt.max_packet_size=8'], 'mqtt.max_packet_size: must be at least 64, got 8'],
    [['mqtt.retain_available=yes'], 'mqtt.retain_available: expected boolean, got "yes"'],
    [['mqtt.server_keepalive="x"'], 'mqtt.server_keepalive: expected integer or null, got "x"'],
    [['log.level=loud'], 'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"'],
    [['mqtt=5'], 'mqtt: expected an object { ... }, got 5'],
    [['listeners.tcp.x=5'], 'listeners.tcp.x: expected an object { ... }, got 5'],
    [['listeners.ws.default.websocket.mqtt_path=mqtt'], 'listeners.ws.default.websocket.mqtt_path: must start with "/", got "mqtt"'],
    [['listeners.ssl.default.ssl_options.versions=[]'], 'listeners.ssl.default.ssl_options.versions: must have at least 1 item(s)'],
    [['listeners.ssl.default.ssl_options.versions=["tlsv1.3","tlsv1.3"]'], 'listeners.ssl.default.ssl_options.versions: must not repeat items, got an array ["tlsv1.3","tlsv1.3"]'],
    [['listeners.ssl.default.ssl_options.versions=["sslv3"]'], 'listeners.ssl.default.ssl_options.versions.0: expected one of "tlsv1.2", "tlsv1.3", got "sslv3"'],
    [['node.name=""'], 'node.name: must not be empty'],
    [['mqtt.max_infligt=3'], 'mqtt.max_infligt: unknown key (did you mean "max_inflight"?)'],
    [['listeners.tpc.default.bind=1'], 'listeners.tpc: unknown key (did you mean "tcp"?)'],
    [['listeners.quic.default.zzz_unrelated=1'], 'listeners.quic.default.zzz_unrelated: unknown key; known keys here: enabled, bind, max_connections, keyfile, certfile, idle_timeout, max_handshakes, retry, enable_0rtt, disable_1rtt_encryption, congestion_control, max_data_streams, qos0_datagrams, spin_bit'],
  ];
  for (const [overrides, message] of cases) {
    const e = configError({ overrides });
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.equal(e.message, message, overrides.join(' '));
    assert.equal(e.path, message.slice(0, message.indexOf(':')));
  }
});

test('every problem is reported at once', () => {
  const e = configError({ overrides: ['mqtt.max_inflight=0', 'log.level=x', 'mqtt.bogus=1'] });
  assert.equal(e.issues.length, 3);
  assert.deepEqual(e.issues.map((i) => i.path).sort(), ['log.level', 'mqtt.bogus', 'mqtt.max_inflight']);
});

test('file errors: syntax with file:line:col, unreadable file, bad value names the key', (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, 'mqtt {\n  max_inflight = 1\n  bind = 0.0.0.0:1\n}');
  const syntax = configError({ file: bad });
  assert.equal(syntax.code, 'CONFIG_SYNTAX');
  assert.match(syntax.message, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:17: unexpected ':'`));
  const missing = configError({ file: join(dir, 'nope.conf') });
  assert.equal(missing.code, 'CONFIG_FILE');
  assert.match(missing.message, /cannot read config file .*nope\.conf: ENOENT/);
  const typed = join(dir, 'typed.conf');
  writeFileSync(typed, 'listeners.tcp.default.bind = "abc"');
  assert.equal(configError({ file: typed }).message, 'listeners.tcp.default.bind: expected "host:port", got "abc"');
});

test('cross-field: enabled TLS/QUIC listeners need existing key and cert files', () => {
  assert.deepEqual(
    configError({ overrides: ['listeners.ssl.default.enabled=true'] }).issues.map((i) => i.message),
    ['keyfile is required when the listener is enabled', 'certfile is required when the listener is enabled'],
  );
  const quic = configError({ overrides: ['listeners.quic.default.enabled=true', 'listeners.quic.default.certfile="/nonexistent/cert.pem"'] });
  assert.equal(quic.message, 'listeners.quic.default.keyfile: keyfile is required when the listener is enabled\nlisteners.quic.default.certfile: file not found: "/nonexistent/cert.pem"');
  const dirAsFile = configError({
    overrides: ['listeners.wss.default.enabled=true', `listeners.wss.default.ssl_options.keyfile="${certPath('server-rsa-key.pem')}"`, `listeners.wss.default.ssl_options.certfile="${certPath('server-rsa.pem')}"`, 'listeners.wss.default.ssl_options.cacertfile="/"'],
  });
  assert.equal(dirAsFile.message, 'listeners.wss.default.ssl_options.cacertfile: not a file: "/"');
  const ok = loadConfig({ overrides: ['listeners.quic.default.enabled=true', `listeners.quic.default.keyfile="${certPath('server-ecdsa-key.pem')}"`, `listeners.quic.default.certfile="${certPath('server-ecdsa.pem')}"`] });
  assert.equal(ok.listeners.quic.default!.enabled, true);
});

test('cross-field: password and ACL files must exist when set', () => {
  const e = configError({ overrides: ['authentication.password_file="/nonexistent/passwd"', 'authorization.acl_file="/nonexistent/acl"'] });
  assert.deepEqual(e.issues, [
    { path: 'authentication.password_file', message: 'file not found: "/nonexistent/passwd"' },
    { path: 'authorization.acl_file', message: 'file not found: "/nonexistent/acl"' },
  ]);
});

test('cross-field: two listeners on one port conflict; TCP vs UDP, distinct hosts, disabled listeners and port 0 do not', () => {
  assert.equal(
    configError({ overrides: ['listeners.ws.default.bind="0.0.0.0:1883"'] }).message,
    'listeners.ws.default.bind: TCP port 1883 is already used by listeners.tcp.default (0.0.0.0:1883)',
  );
  assert.equal(
    configError({ overrides: ['listeners.tcp.b.bind="127.0.0.1:1883"'] }).message,
    'listeners.tcp.b.bind: TCP port 1883 is already used by listeners.tcp.default (0.0.0.0:1883)',
    'a wildcard overlaps a specific address',
  );
  assert.equal(
    configError({ overrides: ['prometheus.enabled=true', 'prometheus.bind="0.0.0.0:8083"'] }).message,
    'prometheus.bind: TCP port 8083 is already used by listeners.ws.default (0.0.0.0:8083)',
  );
  // Not conflicts:
  loadConfig({ overrides: ['listeners.tcp.default.bind="127.0.0.1:1883"', 'listeners.tcp.b.bind="127.0.0.2:1883"'] });
  loadConfig({ overrides: ['listeners.ws.default.enabled=false', 'listeners.ws.x.bind="0.0.0.0:1884"', 'listeners.ssl.default.bind="0.0.0.0:1884"'] });
  loadConfig({ overrides: ['listeners.tcp.default.bind="127.0.0.1:0"', 'listeners.ws.default.bind="127.0.0.1:0"'] });
  loadConfig({
    overrides: ['listeners.quic.default.enabled=true', 'listeners.quic.default.bind="0.0.0.0:1883"', `listeners.quic.default.keyfile="${certPath('server-ecdsa-key.pem')}"`, `listeners.quic.default.certfile="${certPath('server-ecdsa.pem')}"`],
  });
});

test('a bare port and a number are accepted as bind', () => {
  const c = loadConfig({ overrides: ['listeners.tcp.default.bind=11883'] });
  assert.equal(c.listeners.tcp.default!.bind, '11883');
});

test('the example config/quicmq.conf loads and matches the defaults where it restates them', () => {
  const c = loadConfig({ file: join(repoRoot, 'config', 'quicmq.conf') });
  const d = defaultBrokerConfig();
  assert.deepEqual(c.mqtt, d.mqtt);
  assert.deepEqual(c.listeners.tcp, d.listeners.tcp);
  assert.deepEqual(c.listeners.ws, d.listeners.ws);
  assert.equal(c.listeners.quic.default!.enabled, false);
  assert.equal(c.listeners.quic.default!.certfile, 'etc/certs/cert.pem');
  assert.deepEqual(c.authentication, d.authentication);
  assert.deepEqual(c.prometheus, d.prometheus);
});

test('schema and the BrokerConfig type agree: the full default config, written as a typed literal', () => {
  // tsc checks this literal against BrokerConfig (no missing or extra keys); the assertion checks it
  // against what the schema produces. A key added to one but not the other fails one of the two.
  const ssl = { keyfile: '', certfile: '', verify: 'verify_none', fail_if_no_peer_cert: false, versions: ['tlsv1.3', 'tlsv1.2'] } as const;
  const expected: BrokerConfig = {
    node: { name: 'quicmq@127.0.0.1', data_dir: 'var' },
    listeners: {
      tcp: { default: { enabled: true, bind: '0.0.0.0:1883', max_connections: 1024000 } },
      ssl: { default: { enabled: false, bind: '0.0.0.0:8883', max_connections: 1024000, ssl_options: { ...ssl, versions: [...ssl.versions] } } },
      ws: { default: { enabled: true, bind: '0.0.0.0:8083', max_connections: 1024000, websocket: { mqtt_path: '/mqtt' } } },
      wss: {
        default: { enabled: false, bind: '0.0.0.0:8084', max_connections: 1024000, websocket: { mqtt_path: '/mqtt' }, ssl_options: { ...ssl, versions: [...ssl.versions] } },
      },
      quic: {
        default: {
          enabled: true,
          bind: '0.0.0.0:14567',
          max_connections: 1024000,
          keyfile: '',
          certfile: '',
          idle_timeout: 15000,
          max_handshakes: 1000,
          retry: false,
          enable_0rtt: false, disable_1rtt_encryption: false,
          congestion_control: 'newreno',
          spin_bit: true,
          max_data_streams: 16,
          qos0_datagrams: false,
        },
      },
    },
    mqtt: {
      max_packet_size: 1048576,
      max_clientid_len: 65535,
      max_topic_levels: 128,
      max_qos_allowed: 2,
      max_topic_alias: 64,
      max_topic_alias_bytes: 262144,
      max_subscriptions: 10000,
      retain_available: true,
      wildcard_subscription: true,
      shared_subscription: true,
      shared_subscription_strategy: 'round_robin',
      keepalive_multiplier: 1.5,
      server_keepalive: null,
      idle_timeout: 15000,
      session_expiry_interval: 7200000,
      max_inflight: 32,
      max_mqueue_len: 1000,
      mqueue_overflow: 'drop_oldest',
      mqueue_store_qos0: true,
      max_awaiting_rel: 100,
      await_rel_timeout: 300000,
      retry_interval: 30000,
      max_retained_messages: 0,
      max_retained_bytes: 268435456,
      strict_mqtt31_client_id: true,
    },
    authentication: { allow_anonymous: true, password_file: null },
    authorization: { acl_file: null, no_match: 'allow' },
    sys_topics: { enabled: true, sys_msg_interval: 60000 },
    prometheus: { enabled: false, bind: '127.0.0.1:9464' },
    log: { level: 'info' },
  };
  assert.deepEqual(defaultBrokerConfig(), expected);
});
