import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { UsageError as CommandUsageError } from '../../src/cli/args.js';
import {
  EXIT_ERROR,
  EXIT_OK,
  UsageError,
  commandTopics,
  parseClientCommandLine,
  planOrExitCode,
  type CliIO,
} from '../../src/cli/client-options.js';

function captureIO(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: { write: (c: string | Uint8Array) => out.push(String(c)) },
    stderr: { write: (c: string | Uint8Array) => err.push(String(c)) },
    stdin: new PassThrough(),
  };
  return { io, out, err };
}

test('planOrExitCode: the plan, the usage for --help, or the error and a pointer to --help', () => {
  const ok = captureIO();
  assert.deepEqual(planOrExitCode(['x'], 'pub', () => ({ n: 1 }), 'USAGE', ok.io), { plan: { n: 1 } });
  assert.deepEqual([ok.out, ok.err], [[], []]);

  const help = captureIO();
  assert.deepEqual(planOrExitCode([], 'sub', () => undefined, 'USAGE\n', help.io), { exitCode: EXIT_OK });
  assert.deepEqual([help.out, help.err], [['USAGE\n'], []]);

  const bad = captureIO();
  const parse = (): never => {
    throw new UsageError('-q must be 0, 1 or 2');
  };
  assert.deepEqual(planOrExitCode([], 'sub', parse, 'USAGE', bad.io), { exitCode: EXIT_ERROR });
  assert.deepEqual([bad.out, bad.err], [[], ["Error: -q must be 0, 1 or 2\n\nUse 'quicmq sub --help' to see usage.\n"]]);
});

test('one UsageError for every command; unknown options are usage errors', () => {
  assert.equal(UsageError, CommandUsageError);
  assert.throws(() => parseClientCommandLine(['--no-such-option'], 'pub', {}, []), (e: unknown) => e instanceof UsageError && /no-such-option/.test(e.message));
});

test('commandTopics: the -L URL topic first, then every -t', () => {
  const parsed = parseClientCommandLine(['-L', 'mqtt://localhost:1883/from/url', '-t', 'a', '-t', 'b'], 'sub', {}, []);
  assert.ok(!parsed.help);
  assert.deepEqual(commandTopics(parsed.common), ['from/url', 'a', 'b']);
  const plain = parseClientCommandLine(['-t', 'a'], 'sub', {}, []);
  assert.ok(!plain.help);
  assert.deepEqual(commandTopics(plain.common), ['a']);
});
