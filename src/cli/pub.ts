// `quicmq pub`: publish one message (or one per stdin line), like mosquitto_pub.
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createClient, type MqttClient, type PublishOptions } from '../client/index.js';
import {
  CLIENT_USAGE,
  EXIT_ERROR,
  EXIT_OK,
  UsageError,
  attachDebugOutput,
  commandTopics,
  endOptionsFrom,
  errorLine,
  exitCodeFor,
  parseClientCommandLine,
  parseInteger,
  planOrExitCode,
  processIO,
  type CliIO,
  type ClientCommandLine,
  type OptionValues,
} from './client-options.js';

/** MQTT 5.0 §2.1.4: Remaining Length is at most 268,435,455 bytes; a payload cannot be larger. */
export const MAX_PAYLOAD_BYTES = 268_435_455;
/** --repeat upper bound (a typo should not turn into an endless loop). */
const MAX_REPEAT = 1_000_000;
const MAX_REPEAT_DELAY_SECONDS = 86_400;

const PUB_OPTIONS = {
  message: { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  'stdin-file': { type: 'boolean', short: 's' },
  'stdin-line': { type: 'boolean', short: 'l' },
  'null-message': { type: 'boolean', short: 'n' },
  retain: { type: 'boolean', short: 'r' },
  repeat: { type: 'string' },
  'repeat-delay': { type: 'string' },
} as const;

export const PUB_USAGE = `Usage: quicmq pub {-t topic | -L URL} {-m message | -f file | -s | -l | -n} [options]

Publishes a message to an MQTT broker and exits (like mosquitto_pub).

Message:
  -t, --topic TOPIC        topic to publish to
  -m, --message TEXT       the payload
  -f, --file FILE          the payload is the file's content
  -s, --stdin-file         the payload is all of stdin
  -l, --stdin-line         one message per stdin line (blank lines are skipped)
  -n, --null-message       a zero-length payload
  -q, --qos 0|1|2          QoS (default 0); QoS 1/2 wait for the broker's acknowledgement
  -r, --retain             retain the message
  --repeat N               publish the -m/-f/-s/-n message N times
  --repeat-delay SECONDS   wait between repeats (fractions allowed)

${CLIENT_USAGE}
Exit status: 0 on success, 1 on bad arguments or connection/publish failure, or the CONNACK reason
code when the broker refuses the connection.
`;

type PayloadSource =
  | { kind: 'message'; payload: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'lines' };

export interface PubPlan {
  common: ClientCommandLine;
  topic: string;
  source: PayloadSource;
  publish: PublishOptions;
  repeat: number;
  repeatDelayMs: number;
}

/** Parses `quicmq pub` arguments; undefined means --help. Throws UsageError. */
export function parsePubArgs(argv: readonly string[]): PubPlan | undefined {
  const parsed = parseClientCommandLine(argv, 'pub', PUB_OPTIONS, ['connect', 'publish', 'disconnect', 'will']);
  if (parsed.help) return undefined;
  const { common, values } = parsed;
  const v = values as OptionValues & {
    message?: string;
    file?: string;
    'stdin-file'?: boolean;
    'stdin-line'?: boolean;
    'null-message'?: boolean;
    retain?: boolean;
    repeat?: string;
    'repeat-delay'?: string;
  };
  const topics = commandTopics(common);
  if (topics.length === 0) throw new UsageError('A topic is needed (-t or the path of an mqtt:// -L URL)');
  if (topics.length > 1) throw new UsageError('Only one topic can be published to (-t given more than once)');
  const topic = topics[0] as string;

  const sources: PayloadSource[] = [];
  if (v.message !== undefined) sources.push({ kind: 'message', payload: Buffer.from(v.message, 'utf8') });
  if (v.file !== undefined) sources.push({ kind: 'file', path: v.file });
  if (v['stdin-file'] === true) sources.push({ kind: 'stdin' });
  if (v['stdin-line'] === true) sources.push({ kind: 'lines' });
  if (v['null-message'] === true) sources.push({ kind: 'message', payload: Buffer.alloc(0) });
  if (sources.length !== 1) throw new UsageError('Exactly one of -m, -f, -s, -l or -n is needed');
  const source = sources[0] as PayloadSource;

  const repeat = v.repeat === undefined ? 1 : parseInteger('--repeat', v.repeat, 1, MAX_REPEAT);
  let repeatDelayMs = 0;
  if (v['repeat-delay'] !== undefined) {
    const seconds = Number(v['repeat-delay']);
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_REPEAT_DELAY_SECONDS) {
      throw new UsageError(`--repeat-delay must be from 0 to ${MAX_REPEAT_DELAY_SECONDS} seconds, got "${v['repeat-delay']}"`);
    }
    repeatDelayMs = Math.round(seconds * 1000);
  }
  if (source.kind === 'lines' && (v.repeat !== undefined || v['repeat-delay'] !== undefined)) {
    throw new UsageError('--repeat cannot be used with -l');
  }

  const publish: PublishOptions = { qos: common.qos, retain: v.retain === true };
  if (Object.keys(common.properties.publish).length > 0) publish.properties = common.properties.publish;
  return { common, topic, source, publish, repeat, repeatDelayMs };
}

async function readFilePayload(path: string): Promise<Buffer> {
  const info = await stat(path);
  if (info.size > MAX_PAYLOAD_BYTES) throw new UsageError(`${path} is larger than the MQTT maximum payload (${MAX_PAYLOAD_BYTES} bytes)`);
  const handle = await open(path, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function readStdinPayload(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_PAYLOAD_BYTES) throw new UsageError(`stdin is larger than the MQTT maximum payload (${MAX_PAYLOAD_BYTES} bytes)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks, size);
}

/** Waits `ms`, or less if `stop` aborts (an interrupted --repeat-delay should not hold the process). */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}

async function publishAll(client: MqttClient, plan: PubPlan, io: CliIO, stop: AbortSignal): Promise<void> {
  if (plan.source.kind === 'lines') {
    // Closing the interface on abort ends the iteration even while waiting for the next line.
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity, signal: stop });
    try {
      for await (const line of lines) {
        if (stop.aborted) break;
        if (line.length === 0) continue;
        await client.publish(plan.topic, line, plan.publish);
      }
    } finally {
      lines.close();
    }
    return;
  }
  const payload =
    plan.source.kind === 'message'
      ? plan.source.payload
      : plan.source.kind === 'file'
        ? await readFilePayload(plan.source.path) // run() reads files before connecting; kept for direct callers
        : await readStdinPayload(io.stdin);
  for (let i = 0; i < plan.repeat && !stop.aborted; i++) {
    if (i > 0 && plan.repeatDelayMs > 0) await pause(plan.repeatDelayMs, stop);
    await client.publish(plan.topic, payload, plan.publish);
  }
}

/** `quicmq pub <argv>`; resolves with the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const parsed = planOrExitCode(argv, 'pub', parsePubArgs, PUB_USAGE, io);
  if ('exitCode' in parsed) return parsed.exitCode;
  let plan = parsed.plan;
  // A missing file is a command-line mistake: report it before connecting.
  if (plan.source.kind === 'file') {
    const path = plan.source.path;
    try {
      plan = { ...plan, source: { kind: 'message', payload: await readFilePayload(path) } };
    } catch (err) {
      const reason = err instanceof UsageError ? err.message : `Cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
      io.stderr.write(`Error: ${reason}\n`);
      return EXIT_ERROR;
    }
  }
  const quiet = plan.common.quiet;
  let client: MqttClient | undefined;
  // Ctrl-C / SIGTERM: stop publishing, finish what is in flight, disconnect normally.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    client = createClient(plan.common.connect);
    if (plan.common.debug) attachDebugOutput(client, io);
    await client.opened;
    await publishAll(client, plan, io, stop.signal);
    await client.end(endOptionsFrom(plan.common));
    return EXIT_OK;
  } catch (err) {
    if (!quiet) io.stderr.write(errorLine(err));
    await client?.end({ force: true });
    return exitCodeFor(err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
