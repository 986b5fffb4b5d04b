import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodePasswordHash,
  formatPasswordFile,
  hashPassword,
  parsePasswordFile,
  PasswordFileAuthenticator,
  PasswordFileError,
  readPasswordFile,
  verifyPassword,
  type ScryptParams,
} from '../../../src/broker/auth/password-file.js';
import type { AuthRequest } from '../../../src/broker/auth/types.js';

// Cheap parameters keep the tests fast; the format and code path are the same as the defaults.
const FAST: ScryptParams = { N: 1024, r: 8, p: 1 };

function request(username: string | undefined, password?: string | Buffer): AuthRequest {
  return {
    clientId: 'c1',
    username,
    password: password === undefined ? undefined : Buffer.from(password),
    remoteAddress: '127.0.0.1:5000',
    listener: 'tcp:default',
    protocolVersion: 5,
  };
}

test('hashPassword writes $scrypt$N=,r=,p=$salt$hash with a fresh salt; verifyPassword checks it', async () => {
  const a = await hashPassword('s3cret', FAST);
  const b = await hashPassword('s3cret', FAST);
  assert.match(a, /^\$scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'salts differ');
  assert.equal(await verifyPassword('s3cret', a), true);
  assert.equal(await verifyPassword(Buffer.from('s3cret'), b), true);
  assert.equal(await verifyPassword('s3cret!', a), false);
  assert.equal(await verifyPassword('', a), false);
  assert.deepEqual(decodePasswordHash(a)?.params, FAST);
});

test('default parameters are N=16384, r=8, p=1', async () => {
  assert.match(await hashPassword('x'), /^\$scrypt\$N=16384,r=8,p=1\$/);
});

test('malformed or out-of-bounds hashes never verify', async () => {
  const good = await hashPassword('pw', FAST);
  const [, , params, salt, hash] = good.split('$');
  const bad = [
    '',
    'plain',
    `$bcrypt$${params}$${salt}$${hash}`,
    `$scrypt$N=1000,r=8,p=1$${salt}$${hash}`, // N not a power of two
    `$scrypt$N=2097152,r=8,p=1$${salt}$${hash}`, // above the bound
    `$scrypt$N=1024,r=0,p=1$${salt}$${hash}`,
    `$scrypt$${params}$${salt}`,
    `$scrypt$${params}$!!$${hash}`,
    `$scrypt$${params}$${salt}$${hash}$extra`,
    `$scrypt$${params}$AAAA$${hash}`, // salt too short
  ];
  for (const encoded of bad) {
    assert.equal(decodePasswordHash(encoded), undefined, encoded);
    assert.equal(await verifyPassword('pw', encoded), false, encoded);
  }
  await assert.rejects(hashPassword('x', { N: 3, r: 8, p: 1 }), RangeError);
});

test('parsePasswordFile: comments and blank lines skipped, CRLF accepted, round trip through formatPasswordFile', async () => {
  const h = await hashPassword('pw', FAST);
  const users = parsePasswordFile(`# users\n\nalice:${h}\r\nbob:${h}\n`);
  assert.deepEqual([...users.keys()], ['alice', 'bob']);
  assert.deepEqual(parsePasswordFile(formatPasswordFile(users)), users);
});

test('parsePasswordFile: errors name file and line', async () => {
  const h = await hashPassword('pw', FAST);
  const cases: Array<[string, RegExp, string]> = [
    [`alice:${h}\nnocolon`, /^f:2: expected "username:\$scrypt\$\.\.\.", got no username$/, 'PASSWD_SYNTAX'],
    [`:${h}`, /^f:1: expected "username/, 'PASSWD_SYNTAX'],
    [`alice:plaintext`, /^f:1: password hash for "alice" is not a valid/, 'PASSWD_SYNTAX'],
    [` alice:${h}`, /^f:1: invalid username " alice"/, 'PASSWD_SYNTAX'],
    [`alice:${h}\n# c\nalice:${h}`, /^f:3: user "alice" appears twice$/, 'PASSWD_DUPLICATE'],
  ];
  for (const [text, message, code] of cases) {
    assert.throws(
      () => parsePasswordFile(text, 'f'),
      (e: unknown) => e instanceof PasswordFileError && message.test(e.message) && e.code === code,
      text,
    );
  }
  assert.throws(() => readPasswordFile('/nonexistent/passwd'), (e: unknown) => e instanceof PasswordFileError && e.code === 'PASSWD_READ' && /ENOENT/.test(e.message));
});

test('PasswordFileAuthenticator with a file: right password ok, wrong or unknown user refused, anonymous per config, reload', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-passwd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'passwd');
  writeFileSync(file, `alice:${await hashPassword('wonderland', FAST)}\n`);

  const auth = new PasswordFileAuthenticator({ allow_anonymous: false, password_file: file }, FAST);
  assert.equal(auth.userCount, 1);
  assert.deepEqual(await auth.authenticate(request('alice', 'wonderland')), { ok: true });
  assert.deepEqual(await auth.authenticate(request('alice', 'wrong')), { ok: false, reason: 'bad_username_or_password' });
  assert.deepEqual(await auth.authenticate(request('alice')), { ok: false, reason: 'bad_username_or_password' }, 'no password');
  assert.deepEqual(await auth.authenticate(request('mallory', 'wonderland')), { ok: false, reason: 'bad_username_or_password' });
  assert.deepEqual(await auth.authenticate(request(undefined)), { ok: false, reason: 'not_authorized' });

  const open = new PasswordFileAuthenticator({ allow_anonymous: true, password_file: file }, FAST);
  assert.deepEqual(await open.authenticate(request(undefined)), { ok: true });
  assert.deepEqual(await open.authenticate(request('alice', 'wrong')), { ok: false, reason: 'bad_username_or_password' }, 'a given username is still checked');

  writeFileSync(file, `bob:${await hashPassword('builder', FAST)}\n`);
  auth.reload();
  assert.deepEqual(await auth.authenticate(request('bob', 'builder')), { ok: true });
  assert.deepEqual(await auth.authenticate(request('alice', 'wonderland')), { ok: false, reason: 'bad_username_or_password' });

  writeFileSync(file, 'broken line\n');
  assert.throws(() => auth.reload(), PasswordFileError);
  assert.deepEqual(await auth.authenticate(request('bob', 'builder')), { ok: true }, 'a failed reload keeps the previous users');
});

test('PasswordFileAuthenticator without a file: allow_anonymous decides for everyone', async () => {
  const open = new PasswordFileAuthenticator({ allow_anonymous: true, password_file: null });
  assert.deepEqual(await open.authenticate(request(undefined)), { ok: true });
  assert.deepEqual(await open.authenticate(request('anyone', 'x')), { ok: true });
  const closed = new PasswordFileAuthenticator({ allow_anonymous: false, password_file: null });
  assert.deepEqual(await closed.authenticate(request(undefined)), { ok: false, reason: 'not_authorized' });
  assert.deepEqual(await closed.authenticate(request('anyone', 'x')), { ok: false, reason: 'not_authorized' });
});

test('PasswordFileAuthenticator constructor fails on a bad file', () => {
  assert.throws(() => new PasswordFileAuthenticator({ allow_anonymous: true, password_file: '/nonexistent/passwd' }), PasswordFileError);
});
