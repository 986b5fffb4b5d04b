import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyLogLine, keyLoggerFromEnv } from '../../../src/quic/tls/keylog.js';

const clientRandom = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const secret = Buffer.alloc(32, 0xa5);

describe('keyLogLine', () => {
  it('writes the NSS key log format: label, client random and secret in lowercase hex', () => {
    assert.equal(
      keyLogLine('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, Buffer.from([0xde, 0xad, 0xbe, 0xef])),
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff deadbeef',
    );
    for (const label of [
      'CLIENT_EARLY_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET',
    ] as const) {
      assert.equal(keyLogLine(label, clientRandom, secret), `${label} ${clientRandom.toString('hex')} ${'a5'.repeat(32)}`);
    }
  });

  it('refuses a client random that is not 32 bytes and an empty secret', () => {
    assert.throws(() => keyLogLine('EXPORTER_SECRET', new Uint8Array(31), secret), RangeError);
    assert.throws(() => keyLogLine('EXPORTER_SECRET', clientRandom, new Uint8Array(0)), RangeError);
  });
});

describe('keyLoggerFromEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-keylog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is undefined when SSLKEYLOGFILE is unset or empty', () => {
    assert.equal(keyLoggerFromEnv({}), undefined);
    assert.equal(keyLoggerFromEnv({ SSLKEYLOGFILE: '' }), undefined);
  });

  it('reads process.env by default', () => {
    const saved = process.env['SSLKEYLOGFILE'];
    const path = join(dir, 'from-process-env.log');
    process.env['SSLKEYLOGFILE'] = path;
    try {
      keyLoggerFromEnv()!('EXPORTER_SECRET aa bb');
    } finally {
      if (saved === undefined) delete process.env['SSLKEYLOGFILE'];
      else process.env['SSLKEYLOGFILE'] = saved;
    }
    assert.equal(readFileSync(path, 'utf8'), 'EXPORTER_SECRET aa bb\n');
  });

  it('creates the file on the first line with mode 0600 and appends one line per call', () => {
    const path = join(dir, 'keys.log');
    const log = keyLoggerFromEnv({ SSLKEYLOGFILE: path });
    assert.ok(log);
    assert.equal(existsSync(path), false, 'opened lazily');
    const first = keyLogLine('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secret);
    const second = keyLogLine('SERVER_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secret);
    log(first);
    log(`${second}\n`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8'), `${first}\n${second}\n`);
    // A second logger for the same file appends too (several connections or processes share the file).
    keyLoggerFromEnv({ SSLKEYLOGFILE: path })!(first);
    assert.equal(readFileSync(path, 'utf8'), `${first}\n${second}\n${first}\n`);
  });

  it('never throws when the file cannot be written; it warns once and stops', async () => {
    const log = keyLoggerFromEnv({ SSLKEYLOGFILE: dir })!; // a directory cannot be appended to
    const warned = once(process, 'warning');
    log('EXPORTER_SECRET aa bb');
    const [warning] = (await warned) as [Error & { code?: string }];
    assert.equal(warning.code, 'QUICMQ_KEYLOG');
    assert.match(warning.message, /cannot write the TLS key log/);
    let again = 0;
    const count = (): void => void again++;
    process.on('warning', count);
    log('EXPORTER_SECRET cc dd');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', count);
    assert.equal(again, 0);
  });
});
