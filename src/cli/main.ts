#!/usr/bin/env node
// `quicmq`: dispatches to one command module (src/cli/<command>.ts); each exports
// `run(argv: string[]): Promise<number>` returning the exit code. Commands load on demand, so a build
// without one of them still runs the others.
import { QUICMQ_VERSION } from '../broker/version.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './args.js';

const COMMANDS: Record<string, string> = {
  broker: 'run the MQTT broker (TCP, TLS, WebSocket, QUIC listeners)',
  pub: 'publish a message',
  sub: 'subscribe and print messages',
  passwd: 'manage a password file',
  bench: 'run a load benchmark against a broker',
};

/** After the command returns, the process should end by itself; if handles linger, end it anyway. */
const EXIT_GRACE_MS = 3000;

const HELP = `Usage: quicmq <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, what]) => `  ${name.padEnd(8)} ${what}`)
  .join('\n')}

  quicmq <command> --help   options of a command
  quicmq --version          print the version
`;

interface CommandModule {
  run(argv: string[]): Promise<number>;
}

function isCommandModule(m: unknown): m is CommandModule {
  return typeof m === 'object' && m !== null && typeof (m as { run?: unknown }).run === 'function';
}

/** Loads ./<name>.js; undefined when that module is not part of this build. */
async function loadCommand(name: string): Promise<CommandModule | undefined> {
  const specifier = `./${name}.js`;
  try {
    const mod: unknown = await import(specifier);
    return isCommandModule(mod) ? mod : undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { url?: string };
    // Only "this very module is missing" means not available; a broken import inside it is a real error.
    const missing = err.code === 'ERR_MODULE_NOT_FOUND' && new RegExp(`[/\\\\]cli[/\\\\]${name}\\.(js|ts)\\b`).test(`${err.url ?? ''} ${err.message}`);
    if (missing) return undefined;
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === '-v') {
    process.stdout.write(`quicmq ${QUICMQ_VERSION}\n`);
    return EXIT_OK;
  }
  if (!Object.hasOwn(COMMANDS, first)) {
    process.stderr.write(`quicmq: unknown command ${JSON.stringify(first)}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const command = await loadCommand(first);
  if (!command) {
    process.stderr.write(`quicmq: the "${first}" command is not available in this build\n`);
    return EXIT_FAILURE;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    process.stderr.write(`quicmq: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT_FAILURE);
  },
);
