// `quicmq passwd`: adds, changes or deletes users in a password file (authentication.password_file),
// like mosquitto_passwd. The file is replaced atomically (write a temporary file, then rename) and
// created with mode 0600, since the hashes are still worth protecting.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import {
  DEFAULT_SCRYPT_PARAMS,
  formatPasswordFile,
  hashPassword,
  parsePasswordFile,
  PasswordFileError,
  validPasswordFileUsername,
} from '../broker/auth/password-file.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommandLine, processOutput, UsageError, type Output } from './args.js';

export const USAGE = `Usage:
  quicmq passwd [-c] <file> <username> [password]   add or change a user (prompts when no password)
  quicmq passwd -D <file> <username>                 delete a user

Options:
  -c, --create   create the file, replacing an existing one
  -D, --delete   delete the user
  -h, --help     this help

Without a password argument the password is asked for on the terminal, or read as the first line of
standard input when that is not a terminal. Exit codes: 0 ok, 1 failure, 2 bad usage.
`;

/** Longest password accepted (MQTT 5.0 §3.1.3.6 binary data is at most 65535 bytes). */
export const MAX_PASSWORD_BYTES = 65535;

export interface PasswdDeps {
  output: Output;
  /** Reads the password when none is given on the command line. */
  readPassword(): Promise<string>;
}

const defaultDeps: PasswdDeps = { output: processOutput, readPassword: () => readPasswordFromStdin() };

export async function run(argv: string[], overrides: Partial<PasswdDeps> = {}): Promise<number> {
  const deps: PasswdDeps = { ...defaultDeps, ...overrides };
  const { output } = deps;
  let file: string;
  let username: string;
  let givenPassword: string | undefined;
  let create: boolean;
  let del: boolean;
  try {
    const { values, positionals } = parseCommandLine({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { create: { type: 'boolean', short: 'c' }, delete: { type: 'boolean', short: 'D' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      output.out(USAGE);
      return EXIT_OK;
    }
    create = values.create ?? false;
    del = values.delete ?? false;
    if (create && del) throw new UsageError('-c and -D cannot be combined');
    const max = del ? 2 : 3;
    if (positionals.length < 2 || positionals.length > max) throw new UsageError(del ? 'expected <file> <username>' : 'expected <file> <username> [password]');
    [file, username, givenPassword] = positionals as [string, string, string | undefined];
    if (!validPasswordFileUsername(username)) throw new UsageError(`invalid username ${JSON.stringify(username)}: it must be non-empty, without ':', line breaks or surrounding spaces`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    output.err(`quicmq passwd: ${e.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }

  try {
    let users = new Map<string, string>();
    if (!create) {
      if (!existsSync(file)) {
        output.err(`quicmq passwd: ${file} does not exist (use -c to create it)\n`);
        return EXIT_FAILURE;
      }
      users = parsePasswordFile(readFileSync(file, 'utf8'), file);
    }
    if (del) {
      if (!users.delete(username)) {
        output.err(`quicmq passwd: user "${username}" is not in ${file}\n`);
        return EXIT_FAILURE;
      }
      writeAtomically(file, formatPasswordFile(users));
      output.out(`deleted user "${username}" from ${file}\n`);
      return EXIT_OK;
    }
    const password = givenPassword ?? (await deps.readPassword());
    if (password.length === 0) {
      output.err('quicmq passwd: empty password\n');
      return EXIT_FAILURE;
    }
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      output.err(`quicmq passwd: password longer than ${MAX_PASSWORD_BYTES} bytes\n`);
      return EXIT_FAILURE;
    }
    const existed = users.has(username);
    users.set(username, await hashPassword(password, DEFAULT_SCRYPT_PARAMS));
    writeAtomically(file, formatPasswordFile(users));
    output.out(`${existed ? 'updated' : 'added'} user "${username}" in ${file}\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof PasswordFileError || e instanceof PasswordPromptError) {
      output.err(`quicmq passwd: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.syscall) {
      output.err(`quicmq passwd: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw e;
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

export class PasswordPromptError extends Error {
  readonly code = 'PASSWD_PROMPT';
}

/** Largest piped input read for a password, so `quicmq passwd f u < /dev/zero` ends. */
const MAX_STDIN_BYTES = MAX_PASSWORD_BYTES + 2;

/** On a terminal: asks twice without echo. Otherwise: the first line of standard input. */
async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await promptHidden('Password: ');
    const second = await promptHidden('Reenter password: ');
    if (first !== second) throw new PasswordPromptError('passwords do not match');
    return first;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_STDIN_BYTES || chunk.includes(0x0a)) break;
  }
  process.stdin.pause();
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split('\n')[0]!.replace(/\r$/, '');
}

/** Reads one line from the terminal in raw mode, echoing nothing. Ctrl-C aborts, backspace edits. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new PasswordPromptError('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (text.length < MAX_PASSWORD_BYTES) text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
