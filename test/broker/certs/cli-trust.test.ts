// The hint the broker logs ("--cafile <data_dir>/certs/ca.pem, or --insecure") works with the real CLI:
// `quicmq pub` over TLS against the broker's TLS listener serving the generated certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSelfSignedCertificates, type SelfSignedCertificates } from '../../../src/broker/certs/self-signed.js';
import type { SslOptions } from '../../../src/broker/config/types.js';
import { startBroker, type TestBroker } from '../helpers.js';
import { runQuicmq } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'quicmq-clitrust-'));
let files: SelfSignedCertificates;
let b: TestBroker;

before(async () => {
  files = ensureSelfSignedCertificates(join(dir, 'certs'), { hostnames: ['localhost'], ips: ['127.0.0.1', '::1'] });
  const ssl_options: SslOptions = { keyfile: files.keyfile, certfile: files.certfile, verify: 'verify_none', fail_if_no_peer_cert: false, versions: ['tlsv1.3'] };
  b = await startBroker({ listeners: { ssl: { default: { enabled: true, bind: '127.0.0.1:0', max_connections: 10, ssl_options } } } });
});
after(async () => {
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pub = (extra: string[]) => runQuicmq(['pub', '-L', `mqtts://localhost:${b.port('ssl:default')}/certs/test`, '-m', 'hello', '--connect-timeout', '10', ...extra], { timeoutMs: 30_000 });

test('quicmq pub --cafile ca.pem verifies the generated certificate for localhost', async () => {
  const r = await pub(['--cafile', files.cafile]);
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});

test('without --cafile the generated certificate is refused (not from a system CA)', async () => {
  const r = await pub([]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /self[- ]signed certificate in certificate chain/i);
});

test('--insecure connects without verifying', async () => {
  const r = await pub(['--insecure']);
  assert.equal(r.code, 0, r.stderr);
});
