import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runQuicmq } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

test('quicmq --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const r = await runQuicmq(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `quicmq ${version}\n`);
});

test('quicmq --help lists the commands; no command prints it and exits 2; unknown command exits 2', async () => {
  const help = await runQuicmq(['--help']);
  assert.equal(help.code, 0);
  for (const c of ['broker', 'pub', 'sub', 'passwd', 'bench']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  const none = await runQuicmq([]);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, help.stdout);
  const unknown = await runQuicmq(['frob']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^quicmq: unknown command "frob"/);
});

test('quicmq dispatches arguments to the command module', async () => {
  const r = await runQuicmq(['passwd', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage:\n {2}quicmq passwd/);
});
