import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../../src/broker/config/load.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { certificateNamesFor, GENERATED_CERTS_SUBDIR, withGeneratedCertificates } from '../../../src/broker/certs/generated-listener-certs.js';
import { certPath } from '../../helpers/certs.js';

const root = mkdtempSync(join(tmpdir(), 'quicmq-gencerts-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('certificate names: loopback, the machine name, and non-wildcard bind hosts', () => {
  assert.deepEqual(certificateNamesFor([], 'broker-host'), { hostnames: ['localhost', 'broker-host'], ips: ['127.0.0.1', '::1'] });
  assert.deepEqual(certificateNamesFor(['0.0.0.0', '::', '192.0.2.5', 'mqtt.example', '2001:db8::1'], 'my_host'), {
    hostnames: ['localhost', 'mqtt.example'],
    ips: ['127.0.0.1', '::1', '192.0.2.5', '2001:db8::1'],
  });
});

test('config: an enabled QUIC listener with keyfile and certfile both empty is valid (generate)', () => {
  const c = loadConfig({ overrides: ['listeners.quic.default.enabled=true'] });
  assert.equal(c.listeners.quic.default!.keyfile, '');
  assert.equal(c.listeners.quic.default!.certfile, '');
  // A path that is set must still exist, even when the other is empty.
  assert.throws(() => loadConfig({ overrides: ['listeners.quic.default.enabled=true', 'listeners.quic.default.keyfile="/nonexistent/key.pem"'] }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.issues, [
      { path: 'listeners.quic.default.keyfile', message: 'file not found: "/nonexistent/key.pem"' },
      { path: 'listeners.quic.default.certfile', message: 'certfile is required when the listener is enabled' },
    ]);
    return true;
  });
  // TLS over TCP still needs configured files.
  assert.throws(() => loadConfig({ overrides: ['listeners.ssl.default.enabled=true'] }), /keyfile is required/);
});

test('withGeneratedCertificates fills only enabled QUIC listeners that left both paths empty', () => {
  const dataDir = join(root, 'var');
  const config = loadConfig({
    overrides: [
      `node.data_dir="${dataDir}"`,
      'listeners.quic.default.enabled=true',
      'listeners.quic.default.bind="127.0.0.1:0"',
      'listeners.quic.lan.enabled=true',
      'listeners.quic.lan.bind="192.0.2.9:0"',
      'listeners.quic.own.enabled=true',
      'listeners.quic.own.bind="127.0.0.1:0"',
      `listeners.quic.own.keyfile="${certPath('server-ecdsa-key.pem')}"`,
      `listeners.quic.own.certfile="${certPath('server-ecdsa.pem')}"`,
      'listeners.quic.off.enabled=false',
    ],
  });
  const entries: string[] = [];
  const logger = { info: (_o: object, msg: string) => entries.push(msg), warn: (_o: object, msg: string) => entries.push(msg) };
  const out = withGeneratedCertificates(config, { logger, hostname: 'broker-host' });
  const dir = join(dataDir, GENERATED_CERTS_SUBDIR);
  for (const name of ['default', 'lan']) {
    assert.equal(out.listeners.quic[name]!.keyfile, join(dir, 'server-key.pem'));
    assert.equal(out.listeners.quic[name]!.certfile, join(dir, 'server.pem'));
  }
  assert.equal(out.listeners.quic.own, config.listeners.quic.own, 'user-configured files are left alone');
  assert.equal(out.listeners.quic.off!.keyfile, '', 'disabled listeners are left alone');
  assert.equal(config.listeners.quic.default!.keyfile, '', 'the input config is not modified');
  assert.equal(out.listeners.tcp, config.listeners.tcp);
  const leaf = new X509Certificate(readFileSync(join(dir, 'server.pem')));
  assert.equal(leaf.subjectAltName, 'DNS:localhost, DNS:broker-host, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.0.2.9');
  assert.equal(entries.length, 1);
  assert.match(entries[0]!, /generated a self-signed certificate/);
  // The next start reuses them.
  withGeneratedCertificates(config, { logger, hostname: 'broker-host' });
  assert.match(entries[1]!, /^using the self-signed certificate/);
});

test('withGeneratedCertificates returns the same config and writes nothing when no listener needs it', () => {
  const dataDir = join(root, 'untouched');
  const config = loadConfig({ overrides: [`node.data_dir="${dataDir}"`, 'listeners.quic.default.enabled=false'] });
  assert.equal(withGeneratedCertificates(config), config);
  assert.equal(existsSync(dataDir), false);
});

test('a configured file inside the generated directory is refused, never overwritten', () => {
  const dataDir = join(root, 'conflict');
  const dir = join(dataDir, GENERATED_CERTS_SUBDIR);
  mkdirSync(dir, { recursive: true });
  const userCert = join(dir, 'server.pem');
  writeFileSync(userCert, readFileSync(certPath('server-ecdsa.pem')));
  writeFileSync(join(dir, 'user-key.pem'), readFileSync(certPath('server-ecdsa-key.pem')));
  const config = loadConfig({
    overrides: [
      `node.data_dir="${dataDir}"`,
      'listeners.quic.default.enabled=true',
      'listeners.quic.mine.enabled=true',
      'listeners.quic.mine.bind="127.0.0.1:0"',
      `listeners.quic.mine.keyfile="${join(dir, 'user-key.pem')}"`,
      `listeners.quic.mine.certfile="${userCert}"`,
    ],
  });
  assert.throws(
    () => withGeneratedCertificates(config),
    (e: unknown) => e instanceof CertificateGenerationError && e.code === 'CERT_FILE_CONFLICT' && /^listeners\.quic\.mine\.certfile is .*server\.pem, a file the broker generates .* for listeners\.quic\.default/.test(e.message),
  );
  assert.equal(readFileSync(userCert, 'utf8'), readFileSync(certPath('server-ecdsa.pem'), 'utf8'));
  assert.equal(existsSync(join(dir, 'ca.pem')), false);
});
