// Argument helpers shared by the quicmq commands: node:util parseArgs with usage errors as values.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes of every quicmq command. */
export const EXIT_OK = 0;
/** Runtime failure (a file missing, a port in use, a broker error). */
export const EXIT_FAILURE = 1;
/** Bad command line or bad configuration: nothing was started. */
export const EXIT_USAGE = 2;

/** A command line that cannot be run; the message is shown with the command's usage. */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** parseArgs (call it with strict: true); unknown options and missing values become UsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(err.message);
    throw e;
  }
}

/** Where a command writes; tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
