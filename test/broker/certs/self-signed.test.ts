import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import {
  ensureSelfSignedCertificates,
  SELF_SIGNED_DEFAULTS,
  SELF_SIGNED_FILES,
  type CertificateLogger,
  type SelfSignedOptions,
} from '../../../src/broker/certs/self-signed.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { pemCertificates } from '../../../src/broker/certs/pem.js';

const root = mkdtempSync(join(tmpdir(), 'quicmq-selfsigned-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => join(root, `d${++dirCount}`, 'certs');

const DAY = 86_400_000;
const T0 = new Date('2026-03-01T12:00:00Z');
const names: SelfSignedOptions = { hostnames: ['localhost'], ips: ['127.0.0.1', '::1'] };

interface LogEntry {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}
function recordingLogger(): CertificateLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
  };
}

const read = (dir: string, name: string): string => readFileSync(join(dir, name), 'utf8');
const cert = (dir: string, name: string): X509Certificate => new X509Certificate(read(dir, name));
const codeError = (code: string, re: RegExp) => (e: unknown): boolean => e instanceof CertificateGenerationError && e.code === code && re.test(e.message);

test('first call generates a CA and a server certificate with the documented files and modes', () => {
  const dir = freshDir();
  const log = recordingLogger();
  const r = ensureSelfSignedCertificates(dir, { ...names, now: T0, logger: log });
  assert.deepEqual(r, { certfile: join(dir, 'server.pem'), keyfile: join(dir, 'server-key.pem'), cafile: join(dir, 'ca.pem'), generated: true });
  assert.deepEqual(readdirSync(dir).sort(), ['ca-key.pem', 'ca.pem', 'server-key.pem', 'server.pem'], 'no temporary files are left');
  if (process.platform !== 'win32') {
    assert.equal(statSync(join(dir, SELF_SIGNED_FILES.caKey)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, SELF_SIGNED_FILES.serverKey)).mode & 0o777, 0o600);
  }
  assert.match(read(dir, SELF_SIGNED_FILES.caKey), /^-----BEGIN PRIVATE KEY-----\n/);

  const ca = cert(dir, 'ca.pem');
  assert.equal(ca.ca, true);
  assert.match(ca.subject, /^O=quicmq\nCN=quicmq self-signed CA [0-9a-f]{8}$/);
  assert.equal(Date.parse(ca.validFrom), T0.getTime() - SELF_SIGNED_DEFAULTS.backdateMinutes * 60_000);
  assert.equal(Date.parse(ca.validTo), T0.getTime() + SELF_SIGNED_DEFAULTS.caValidityDays * DAY);

  const chain = pemCertificates(read(dir, 'server.pem')).map((d) => new X509Certificate(d));
  assert.equal(chain.length, 2, 'server.pem holds the leaf and the CA');
  const [leaf, chainCa] = chain as [X509Certificate, X509Certificate];
  assert.ok(chainCa.raw.equals(ca.raw));
  assert.equal(leaf.ca, false);
  assert.equal(leaf.subject, 'O=quicmq\nCN=localhost');
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(leaf.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(Date.parse(leaf.validTo), T0.getTime() + SELF_SIGNED_DEFAULTS.serverValidityDays * DAY);
  assert.ok(leaf.checkIssued(ca));
  assert.ok(leaf.verify(ca.publicKey));
  assert.notEqual(leaf.serialNumber, ca.serialNumber);
  assert.equal(leaf.serialNumber.length, 32, '16 random octets, high bit clear');

  assert.equal(log.entries.length, 1, 'one line');
  const line = log.entries[0]!;
  assert.equal(line.level, 'info');
  assert.match(line.msg, new RegExp(`--cafile ${join(dir, 'ca.pem').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(line.msg, /quicmq sub -L quic:\/\/localhost -t '#' --cafile .*ca\.pem/);
  assert.match(line.msg, /--insecure/);
  assert.equal((line.obj as { generated: boolean }).generated, true);
  assert.doesNotMatch(JSON.stringify(line), /PRIVATE KEY/);
});

test('openssl verify accepts server.pem against ca.pem; openssl x509 -text shows the extensions', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { hostnames: ['localhost', 'broker.test'], ips: ['127.0.0.1'] });
  const out = execFileSync('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.pem'), join(dir, 'server.pem')], { encoding: 'utf8' });
  assert.equal(out.trim(), `${join(dir, 'server.pem')}: OK`);
  const text = execFileSync('openssl', ['x509', '-in', join(dir, 'server.pem'), '-noout', '-text'], { encoding: 'utf8' });
  assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
  assert.match(text, /Key Usage: critical\s+Digital Signature/);
  assert.match(text, /TLS Web Server Authentication/);
  assert.match(text, /DNS:localhost, DNS:broker\.test, IP Address:127\.0\.0\.1/);
  assert.match(text, /Subject Key Identifier/);
  assert.match(text, /Authority Key Identifier/);
  const caText = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-text'], { encoding: 'utf8' });
  assert.match(caText, /Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
  assert.match(caText, /Key Usage: critical\s+Certificate Sign, CRL Sign/);
});

type Handshake = { authorized: boolean; protocol: string | null } | { error: Error };

async function tlsHandshake(dir: string, client: ConnectionOptions): Promise<Handshake> {
  const server = createTlsServer({ key: read(dir, 'server-key.pem'), cert: read(dir, 'server.pem'), minVersion: 'TLSv1.3' }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', ...client });
      socket.once('secureConnect', () => {
        resolve({ authorized: socket.authorized, protocol: socket.getProtocol() });
        socket.destroy();
      });
      socket.once('error', (error) => {
        resolve({ error });
        socket.destroy();
      });
    });
  } finally {
    server.close();
  }
}

test('a Node TLS 1.3 client trusting ca.pem connects for localhost and 127.0.0.1, not for another name', async () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, names);
  const ca = read(dir, 'ca.pem');
  for (const servername of ['localhost', undefined]) {
    // Without servername, Node checks the certificate against the host, 127.0.0.1 (an iPAddress SAN).
    const r = await tlsHandshake(dir, { ca, ...(servername === undefined ? {} : { servername }) });
    assert.ok(!('error' in r), `handshake failed: ${'error' in r ? r.error.message : ''}`);
    assert.equal(r.authorized, true);
    assert.equal(r.protocol, 'TLSv1.3');
  }
  const wrongName = await tlsHandshake(dir, { ca, servername: 'wrong.example' });
  assert.ok('error' in wrongName);
  assert.equal((wrongName.error as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  const untrusted = await tlsHandshake(dir, { servername: 'localhost' });
  assert.ok('error' in untrusted);
  assert.equal((untrusted.error as NodeJS.ErrnoException).code, 'SELF_SIGNED_CERT_IN_CHAIN');
});

test('a second call reuses the files unchanged (generated: false)', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  const before = ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem'].map((f) => read(dir, f));
  const log = recordingLogger();
  const r = ensureSelfSignedCertificates(dir, { ...names, now: new Date(T0.getTime() + 100 * DAY), logger: log });
  assert.equal(r.generated, false);
  assert.deepEqual(['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem'].map((f) => read(dir, f)), before);
  assert.equal(log.entries.length, 1);
  assert.equal(log.entries[0]!.level, 'info');
  assert.match(log.entries[0]!.msg, /^using the self-signed certificate in .* --cafile /);
  // A subset of the names is still covered: no reissue.
  assert.equal(ensureSelfSignedCertificates(dir, { hostnames: ['LOCALHOST.'], ips: ['::1'], now: T0 }).generated, false);
});

test('a server certificate expiring within 30 days is renewed under the same CA', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  const ca = read(dir, 'ca.pem');
  const oldLeaf = cert(dir, 'server.pem');
  const leafExpiry = Date.parse(oldLeaf.validTo);
  assert.equal(ensureSelfSignedCertificates(dir, { ...names, now: new Date(leafExpiry - 31 * DAY) }).generated, false, '31 days left: kept');
  const log = recordingLogger();
  const later = new Date(leafExpiry - 29 * DAY);
  const r = ensureSelfSignedCertificates(dir, { ...names, now: later, logger: log });
  assert.equal(r.generated, true);
  assert.equal(read(dir, 'ca.pem'), ca, 'clients that trust ca.pem keep working');
  const leaf = cert(dir, 'server.pem');
  assert.notEqual(leaf.fingerprint256, oldLeaf.fingerprint256);
  assert.equal(Date.parse(leaf.validFrom), later.getTime() - SELF_SIGNED_DEFAULTS.backdateMinutes * 60_000);
  assert.ok(leaf.verify(new X509Certificate(ca).publicKey));
  assert.deepEqual(log.entries.map((e) => e.level), ['info', 'info']);
  assert.match(log.entries[0]!.msg, /renewing the self-signed server certificate: .*expires .* within 30 days/);
  assert.match(log.entries[1]!.msg, /^generated a self-signed certificate/);
});

test('a CA expiring within 30 days is replaced together with the server certificate, with a warning', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  const oldCa = read(dir, 'ca.pem');
  const caExpiry = Date.parse(cert(dir, 'ca.pem').validTo);
  const log = recordingLogger();
  const now = new Date(caExpiry - 10 * DAY);
  assert.equal(ensureSelfSignedCertificates(dir, { ...names, now, logger: log }).generated, true);
  assert.notEqual(read(dir, 'ca.pem'), oldCa);
  assert.ok(cert(dir, 'server.pem').checkIssued(cert(dir, 'ca.pem')));
  assert.equal(log.entries[0]!.level, 'warn');
  assert.match(log.entries[0]!.msg, /replacing the self-signed CA \(the CA certificate cannot be reused: it expires .*\); clients that trust the old .*ca\.pem need the new one/);
});

test('the server certificate never outlives its CA', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0, caValidityDays: 100 });
  assert.equal(cert(dir, 'server.pem').validTo, cert(dir, 'ca.pem').validTo);
});

test('new host names or IPs reissue the server certificate and keep the CA', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  const ca = read(dir, 'ca.pem');
  const log = recordingLogger();
  assert.equal(ensureSelfSignedCertificates(dir, { hostnames: ['localhost', 'mqtt.example'], ips: ['127.0.0.1'], now: T0, logger: log }).generated, true);
  assert.match(log.entries[0]!.msg, /does not name mqtt\.example/);
  assert.equal(read(dir, 'ca.pem'), ca);
  assert.equal(cert(dir, 'server.pem').subjectAltName, 'DNS:localhost, DNS:mqtt.example, IP Address:127.0.0.1');
  const log2 = recordingLogger();
  assert.equal(ensureSelfSignedCertificates(dir, { hostnames: ['localhost'], ips: ['192.0.2.7'], now: T0, logger: log2 }).generated, true);
  assert.match(log2.entries[0]!.msg, /does not name 192\.0\.2\.7/);
});

test('a clock set back before notBefore regenerates (the certificates would not be valid yet)', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  const log = recordingLogger();
  assert.equal(ensureSelfSignedCertificates(dir, { ...names, now: new Date(T0.getTime() - DAY), logger: log }).generated, true);
  assert.match(log.entries[0]!.msg, /not valid before/);
});

test('broken or mismatched files are replaced, never trusted', () => {
  const cases: Array<[string, (dir: string) => void, RegExp, 'ca' | 'server']> = [
    ['corrupt server.pem', (d) => writeFileSync(join(d, 'server.pem'), 'garbage'), /server\.pem holds no certificate/, 'server'],
    ['server.pem without the CA', (d) => writeFileSync(join(d, 'server.pem'), `${read(d, 'server.pem').split('-----END CERTIFICATE-----')[0]!}-----END CERTIFICATE-----\n`), /not the server certificate followed by ca\.pem/, 'server'],
    ['server key missing', (d) => rmSync(join(d, 'server-key.pem')), /server-key\.pem is missing/, 'server'],
    ['server key of another certificate', (d) => writeFileSync(join(d, 'server-key.pem'), read(d, 'ca-key.pem')), /server-key\.pem does not belong/, 'server'],
    ['unparsable server key', (d) => writeFileSync(join(d, 'server-key.pem'), 'nope'), /server files cannot be parsed/, 'server'],
    ['CA key missing', (d) => rmSync(join(d, 'ca-key.pem')), /ca-key\.pem is missing/, 'ca'],
    ['ca.pem missing', (d) => rmSync(join(d, 'ca.pem')), /ca\.pem is missing/, 'ca'],
    ['CA key of another certificate', (d) => writeFileSync(join(d, 'ca-key.pem'), read(d, 'server-key.pem')), /ca-key\.pem does not belong/, 'ca'],
    ['ca.pem replaced by the leaf', (d) => writeFileSync(join(d, 'ca.pem'), read(d, 'server.pem')), /is not a CA certificate/, 'ca'],
    ['corrupt ca.pem', (d) => writeFileSync(join(d, 'ca.pem'), 'garbage'), /CA files cannot be parsed/, 'ca'],
  ];
  for (const [what, damage, reason, replaced] of cases) {
    const dir = freshDir();
    ensureSelfSignedCertificates(dir, { ...names, now: T0 });
    const oldCa = read(dir, 'ca.pem');
    damage(dir);
    const log = recordingLogger();
    assert.equal(ensureSelfSignedCertificates(dir, { ...names, now: T0, logger: log }).generated, true, what);
    assert.match(log.entries[0]!.msg, reason, what);
    assert.equal(log.entries[0]!.level, replaced === 'ca' ? 'warn' : 'info', what);
    if (replaced === 'server') assert.equal(read(dir, 'ca.pem'), oldCa, `${what}: CA kept`);
    const ca = cert(dir, 'ca.pem');
    const leaf = cert(dir, 'server.pem');
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), what);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(read(dir, 'server-key.pem'))), what);
    assert.equal(ensureSelfSignedCertificates(dir, { ...names, now: T0 }).generated, false, `${what}: stable afterwards`);
  }
});

test('a private key readable by other users is reported on reuse', () => {
  const dir = freshDir();
  ensureSelfSignedCertificates(dir, { ...names, now: T0 });
  chmodSync(join(dir, 'ca-key.pem'), 0o644);
  const log = recordingLogger();
  assert.equal(ensureSelfSignedCertificates(dir, { ...names, now: T0, logger: log }).generated, false);
  assert.deepEqual(log.entries.map((e) => e.level), ['warn', 'info']);
  assert.match(log.entries[0]!.msg, /ca-key\.pem is readable by other users; chmod 600 it/);
});

test('errors: bad names, no names, invalid now, unwritable locations', () => {
  const dir = freshDir();
  assert.throws(() => ensureSelfSignedCertificates(dir, { hostnames: ['bad_name'], ips: [] }), codeError('CERT_INVALID_NAME', /bad_name/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { hostnames: [], ips: ['999.1.1.1'] }), codeError('CERT_INVALID_NAME', /999\.1\.1\.1/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { hostnames: [], ips: [] }), codeError('CERT_INVALID_NAME', /at least one host name or IP/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { ...names, now: new Date(Number.NaN) }), codeError('CERT_INVALID_VALUE', /invalid Date/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { ...names, caValidityDays: 0 }), codeError('CERT_INVALID_VALUE', /caValidityDays must be a positive number/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { ...names, serverValidityDays: Number.NaN }), codeError('CERT_INVALID_VALUE', /serverValidityDays/));
  assert.throws(() => ensureSelfSignedCertificates(dir, { ...names, renewBeforeDays: -1 }), codeError('CERT_INVALID_VALUE', /renewBeforeDays/));
  assert.equal(existsSync(dir), false, 'nothing is created for invalid input');

  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => ensureSelfSignedCertificates(join(file, 'certs'), names), codeError('CERT_FILE_IO', /cannot create the certificate directory/));

  // A directory where server.pem belongs: the rename fails, the temporary file is removed.
  const blocked = freshDir();
  mkdirSync(join(blocked, 'server.pem'), { recursive: true });
  assert.throws(() => ensureSelfSignedCertificates(blocked, names), codeError('CERT_FILE_IO', /cannot write .*server\.pem/));
  assert.deepEqual(readdirSync(blocked).filter((f) => f.endsWith('.tmp')), []);
});

test('a pino logger is accepted as the logger', () => {
  const dir = freshDir();
  assert.equal(ensureSelfSignedCertificates(dir, { ...names, logger: pino({ level: 'silent' }) }).generated, true);
});
