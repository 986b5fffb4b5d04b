import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/passwd.js';
import { parsePasswordFile, verifyPassword } from '../../src/broker/auth/password-file.js';
import { runQuicmq } from '../helpers/cli.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-passwd-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function capture(password = 'prompted') {
  const out: string[] = [];
  const err: string[] = [];
  let prompts = 0;
  return {
    out,
    err,
    prompts: () => prompts,
    deps: {
      output: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) },
      readPassword: async () => {
        prompts++;
        return password;
      },
    },
  };
}

function users(file: string): Map<string, string> {
  return parsePasswordFile(readFileSync(file, 'utf8'), file);
}

test('passwd: -c creates the file (mode 0600), add, change, prompt, delete', async (t) => {
  const file = join(tempDir(t), 'passwd');
  let c = capture();
  assert.equal(await run(['-c', file, 'alice', 'one'], c.deps), 0);
  assert.deepEqual(c.out, [`added user "alice" in ${file}\n`]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await verifyPassword('one', users(file).get('alice')!), true);

  c = capture('two');
  assert.equal(await run([file, 'bob'], c.deps), 0, 'no password argument: read it');
  assert.equal(c.prompts(), 1);
  assert.equal(await verifyPassword('two', users(file).get('bob')!), true);

  c = capture();
  assert.equal(await run([file, 'alice', 'three'], c.deps), 0);
  assert.deepEqual(c.out, [`updated user "alice" in ${file}\n`]);
  assert.deepEqual([...users(file).keys()], ['alice', 'bob']);
  assert.equal(await verifyPassword('three', users(file).get('alice')!), true);

  c = capture();
  assert.equal(await run(['-D', file, 'alice'], c.deps), 0);
  assert.deepEqual([...users(file).keys()], ['bob']);
  assert.deepEqual(readdirSync(join(file, '..')), ['passwd'], 'no temporary file left behind');

  c = capture();
  assert.equal(await run(['-c', file, 'carol', 'x'], c.deps), 0, '-c replaces an existing file');
  assert.deepEqual([...users(file).keys()], ['carol']);
});

test('passwd: failures exit 1 with a message', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'passwd');
  let c = capture();
  assert.equal(await run([file, 'alice', 'x'], c.deps), 1);
  assert.equal(c.err.join(''), `quicmq passwd: ${file} does not exist (use -c to create it)\n`);
  assert.equal(existsSync(file), false);

  assert.equal(await run(['-c', file, 'alice', 'x'], capture().deps), 0);
  c = capture();
  assert.equal(await run(['-D', file, 'nobody'], c.deps), 1);
  assert.match(c.err.join(''), /user "nobody" is not in/);
  c = capture('');
  assert.equal(await run([file, 'bob'], c.deps), 1);
  assert.match(c.err.join(''), /empty password/);
  c = capture();
  assert.equal(await run([file, 'bob', 'x'.repeat(65536)], c.deps), 1);
  assert.match(c.err.join(''), /longer than 65535 bytes/);

  writeFileSync(file, 'broken\n');
  c = capture();
  assert.equal(await run([file, 'bob', 'x'], c.deps), 1);
  assert.match(c.err.join(''), /passwd:1: expected "username:\$scrypt\$\.\.\.", got no username/);
  assert.equal(readFileSync(file, 'utf8'), 'broken\n', 'a bad file is not overwritten');

  c = capture();
  assert.equal(await run(['-c', join(dir, 'no-such-dir', 'passwd'), 'bob', 'x'], c.deps), 1);
  assert.match(c.err.join(''), /ENOENT/);
});

test('passwd: usage errors exit 2', async () => {
  for (const argv of [[], ['f'], ['f', 'u', 'p', 'extra'], ['-D', 'f', 'u', 'p'], ['-c', '-D', 'f', 'u'], ['--nope', 'f', 'u'], ['f', 'a:b', 'p'], ['f', ' a', 'p']]) {
    const c = capture();
    assert.equal(await run(argv, c.deps), 2, argv.join(' '));
    assert.match(c.err.join(''), /^quicmq passwd: .*\n\nUsage:/s, argv.join(' '));
  }
  const c = capture();
  assert.equal(await run(['--help'], c.deps), 0);
  assert.match(c.out.join(''), /^Usage:/);
});

test('quicmq passwd as a subprocess: password from standard input when it is not a terminal', async (t) => {
  const file = join(tempDir(t), 'passwd');
  const r = await runQuicmq(['passwd', '-c', file, 'alice'], { input: 'from-stdin\nignored second line\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `added user "alice" in ${file}\n`);
  assert.equal(await verifyPassword('from-stdin', users(file).get('alice')!), true);
  const bad = await runQuicmq(['passwd', file, 'a:b', 'x']);
  assert.equal(bad.code, 2);
});
