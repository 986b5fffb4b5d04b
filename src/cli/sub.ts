// `quicmq sub`: subscribe and print messages, like mosquitto_sub.
import { createClient, SubscribeRefusedError, type MqttClient, type ReceivedMessage } from '../client/index.js';
import { formatMessage } from '../client/message-format.js';
import {
  CLIENT_USAGE,
  EXIT_OK,
  EXIT_TIMEOUT,
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
  subscribeOptionsFrom,
  type CliIO,
  type ClientCommandLine,
  type OptionValues,
} from './client-options.js';

/** -C and -W bounds: large enough for any real use, small enough to be plain integers and timers. */
const MAX_COUNT = 2 ** 31 - 1;
const MAX_TIMEOUT_SECONDS = 2_147_483; // setTimeout's limit (2^31-1 ms)

const SUB_OPTIONS = {
  count: { type: 'string', short: 'C' },
  timeout: { type: 'string', short: 'W' },
  verbose: { type: 'boolean', short: 'v' },
  'no-eol': { type: 'boolean', short: 'N' },
  format: { type: 'string', short: 'F' },
  'no-retain': { type: 'boolean', short: 'R' },
  'exit-after-subscribe': { type: 'boolean', short: 'E' },
} as const;

export const SUB_USAGE = `Usage: quicmq sub {-t filter [-t filter ...] | -L URL} [options]

Subscribes to topic filters and prints each message (like mosquitto_sub).

Subscription and output:
  -t, --topic FILTER       topic filter to subscribe to (repeatable)
  -q, --qos 0|1|2          maximum QoS of the subscriptions (default 0)
  -C, --count N            exit after N messages
  -W, --timeout SECONDS    exit after SECONDS (exit status 27 if it expires)
  -E, --exit-after-subscribe  exit once the broker acknowledged the subscriptions
  -R, --no-retain          do not print (or count) retained messages
  -v, --verbose            print "topic payload"
  -N, --no-eol             do not print a newline after each message
  -F, --format FORMAT      mosquitto_sub format: %t topic, %p payload, %q QoS, %r retain, %l length,
                           %m message id, %x/%X hex payload, %I ISO-8601 time, %U unix time, %j/%J JSON,
                           MQTT 5: %P user properties (key:value), %C content type, %R response topic,
                           %D correlation data, %E message expiry, %F payload format, %S subscription id,
                           %A topic alias; @Y @m @d @H @M @S @z @s @N time fields; \\n \\t \\0 \\e escapes

${CLIENT_USAGE}
Exit status: 0 on success, 1 on bad arguments or connection failure, 27 when -W expires, or the CONNACK
reason code when the broker refuses the connection.
`;

export interface SubPlan {
  common: ClientCommandLine;
  filters: string[];
  count: number | undefined;
  timeoutMs: number | undefined;
  verbose: boolean;
  newline: boolean;
  format: string | undefined;
  skipRetained: boolean;
  exitAfterSubscribe: boolean;
}

/** Parses `quicmq sub` arguments; undefined means --help. Throws UsageError. */
export function parseSubArgs(argv: readonly string[]): SubPlan | undefined {
  const parsed = parseClientCommandLine(argv, 'sub', SUB_OPTIONS, ['connect', 'subscribe', 'unsubscribe', 'disconnect', 'will']);
  if (parsed.help) return undefined;
  const { common, values } = parsed;
  const v = values as OptionValues & {
    count?: string;
    timeout?: string;
    verbose?: boolean;
    'no-eol'?: boolean;
    format?: string;
    'no-retain'?: boolean;
    'exit-after-subscribe'?: boolean;
  };
  const filters = commandTopics(common);
  if (filters.length === 0) throw new UsageError('At least one topic filter is needed (-t or the path of an mqtt:// -L URL)');
  return {
    common,
    filters,
    count: v.count === undefined ? undefined : parseInteger('-C', v.count, 1, MAX_COUNT),
    timeoutMs: v.timeout === undefined ? undefined : parseInteger('-W', v.timeout, 1, MAX_TIMEOUT_SECONDS) * 1000,
    verbose: v.verbose === true,
    newline: v['no-eol'] !== true,
    format: v.format,
    skipRetained: v['no-retain'] === true,
    exitAfterSubscribe: v['exit-after-subscribe'] === true,
  };
}

/** The bytes printed for one message: -F format, else -v "topic payload", else the payload. */
export function renderMessage(plan: Pick<SubPlan, 'format' | 'verbose' | 'newline'>, message: ReceivedMessage, now = new Date()): Buffer {
  const body =
    plan.format !== undefined
      ? formatMessage(plan.format, message, now)
      : plan.verbose
        ? Buffer.concat([Buffer.from(`${message.topic} `, 'utf8'), message.payload])
        : message.payload;
  return plan.newline ? Buffer.concat([body, Buffer.from('\n')]) : body;
}

/** Subscribes; a partial refusal is a warning, a complete one an error (as mosquitto_sub). */
async function subscribe(client: MqttClient, plan: SubPlan, io: CliIO): Promise<void> {
  try {
    await client.subscribe(plan.filters, subscribeOptionsFrom(plan.common));
  } catch (err) {
    if (!(err instanceof SubscribeRefusedError)) throw err;
    const refused = err.grants.filter((g) => g.qos === undefined);
    if (refused.length === err.grants.length) throw new Error(`All subscription requests were denied (${err.message})`);
    if (!plan.common.quiet) {
      for (const g of refused) io.stderr.write(`Warning: subscription to "${g.filter}" denied (reason code 0x${g.reasonCode.toString(16)})\n`);
    }
  }
}

/** `quicmq sub <argv>`; resolves with the exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const parsed = planOrExitCode(argv, 'sub', parseSubArgs, SUB_USAGE, io);
  if ('exitCode' in parsed) return parsed.exitCode;
  const plan = parsed.plan;
  let client: MqttClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const stop = (): void => void client?.end(endOptionsFrom(plan.common));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    client = createClient(plan.common.connect);
    if (plan.common.debug) attachDebugOutput(client, io);
    await client.opened;
    // mosquitto_sub: "The timeout starts just after the client has connected to the broker."
    if (plan.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, plan.timeoutMs);
    }
    // Attached before SUBSCRIBE so retained messages sent right after SUBACK are not missed.
    const messages = client.messages();
    await subscribe(client, plan, io);
    if (plan.exitAfterSubscribe) {
      await client.end(endOptionsFrom(plan.common));
      return EXIT_OK;
    }
    let received = 0;
    for await (const message of messages) {
      if (plan.skipRetained && message.retain) continue;
      io.stdout.write(renderMessage(plan, message));
      received++;
      if (plan.count !== undefined && received >= plan.count) break;
    }
    await client.end(endOptionsFrom(plan.common));
    if (timedOut) {
      if (!plan.common.quiet) io.stderr.write('Timed out\n');
      return EXIT_TIMEOUT;
    }
    return EXIT_OK;
  } catch (err) {
    await client?.end({ force: true });
    if (timedOut) {
      // -W expired while connecting or subscribing: the end() it triggered is not the error to report.
      if (!plan.common.quiet) io.stderr.write('Timed out\n');
      return EXIT_TIMEOUT;
    }
    if (!plan.common.quiet) io.stderr.write(errorLine(err));
    return exitCodeFor(err);
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
