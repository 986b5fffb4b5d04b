// `quicmq broker`: loads the configuration (defaults < file < QUICMQ_* env < flags), builds the
// authenticator and authorizer, starts the broker and the Prometheus endpoint, and stops cleanly on
// SIGINT/SIGTERM. SIGHUP re-reads the password and ACL files.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import { Broker } from '../broker/broker.js';
import { createQuicListener } from '../broker/listeners/quic-listener.js';
import { loadConfig, ConfigError } from '../broker/config/load.js';
import type { BrokerConfig } from '../broker/config/types.js';
import { PasswordFileAuthenticator, PasswordFileError } from '../broker/auth/password-file.js';
import { AclFileAuthorizer, AclFileError } from '../broker/auth/acl-file.js';
import type { Authenticator, Authorizer } from '../broker/auth/types.js';
import { startMetricsServer, type MetricsServer } from '../broker/metrics-http.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommandLine, processOutput, UsageError, type Output } from './args.js';

export const USAGE = `Usage: quicmq broker [options]

Options:
  -c, --config <file>     HOCON config file (see docs/configuration.md)
  -s, --set <key=value>   override one key, e.g. --set mqtt.max_inflight=64 (repeatable)
  -p, --port <port>       shortcut for --set listeners.tcp.default.bind=0.0.0.0:<port>
  -b, --bind <host:port>  shortcut for --set listeners.tcp.default.bind=<host:port>
  -l, --log-level <lvl>   shortcut for --set log.level=<lvl>
      --check             validate the configuration and exit (0 = valid)
      --print-config      print the effective configuration as JSON and exit
  -h, --help              this help

Environment: QUICMQ_<KEY>__<SUBKEY>=value overrides keys, e.g.
  QUICMQ_LISTENERS__QUIC__DEFAULT__BIND=0.0.0.0:14567
Precedence: defaults < config file < environment < flags. Exit codes: 0 ok, 1 failure, 2 bad config.
`;

/** stop() gets this long after SIGINT/SIGTERM before the process gives up on a clean stop. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/** What the command needs from a broker: the public surface of src/broker/broker.ts Broker. */
export interface BrokerHandle {
  start(): Promise<void>;
  stop(opts?: { reason?: string }): Promise<void>;
  listenerAddresses(): Array<{ id: string; type: string; host: string; port: number }>;
  readonly metrics: Registry;
}

export interface BrokerCommandDeps {
  env: NodeJS.ProcessEnv;
  output: Output;
  /** Log destination (default: stdout). */
  logStream?: DestinationStream;
  createBroker(opts: { config: BrokerConfig; logger: Logger; authenticator: Authenticator; authorizer: Authorizer }): BrokerHandle;
  /**
   * Calls `handler` on each process signal; returns a function that removes the handlers. Tests
   * inject their own to deliver signals without touching the test runner's process.
   */
  onSignal(handler: (signal: NodeJS.Signals) => void): () => void;
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function processSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const signals: NodeJS.Signals[] = [...STOP_SIGNALS, 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

const defaultDeps: BrokerCommandDeps = {
  env: process.env,
  output: processOutput,
  createBroker: (opts) => new Broker({ ...opts, quicListenerFactory: createQuicListener }),
  onSignal: processSignals,
};

/** The overrides the command line asks for, in order (shortcuts first, so --set wins over them). */
export function commandLineOverrides(values: { set?: string[]; port?: string; bind?: string; 'log-level'?: string }): string[] {
  const out: string[] = [];
  if (values.port !== undefined && values.bind !== undefined) throw new UsageError('--port and --bind both set the TCP listener address; give one');
  if (values.port !== undefined) out.push(`listeners.tcp.default.bind=0.0.0.0:${values.port}`);
  if (values.bind !== undefined) out.push(`listeners.tcp.default.bind=${values.bind}`);
  if (values['log-level'] !== undefined) out.push(`log.level=${values['log-level']}`);
  return [...out, ...(values.set ?? [])];
}

export async function run(argv: string[], overrides: Partial<BrokerCommandDeps> = {}): Promise<number> {
  const deps: BrokerCommandDeps = { ...defaultDeps, ...overrides };
  const { output } = deps;
  let values;
  try {
    values = parseCommandLine({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        set: { type: 'string', short: 's', multiple: true },
        port: { type: 'string', short: 'p' },
        bind: { type: 'string', short: 'b' },
        'log-level': { type: 'string', short: 'l' },
        check: { type: 'boolean' },
        'print-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
    if (values.help) {
      output.out(USAGE);
      return EXIT_OK;
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    output.err(`quicmq broker: ${e.message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }

  let config: BrokerConfig;
  let authenticator: PasswordFileAuthenticator;
  let authorizer: AclFileAuthorizer;
  try {
    const flagOverrides = commandLineOverrides(values);
    config = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), env: deps.env, overrides: flagOverrides });
    authenticator = new PasswordFileAuthenticator(config.authentication);
    authorizer = new AclFileAuthorizer(config.authorization);
  } catch (e) {
    if (e instanceof UsageError) {
      output.err(`quicmq broker: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError || e instanceof PasswordFileError || e instanceof AclFileError) {
      const lines = e.message.split('\n').map((l) => `  ${l}`).join('\n');
      output.err(`quicmq broker: invalid configuration${values.config ? ` (${values.config})` : ''}:\n${lines}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (values['print-config']) {
    output.out(`${JSON.stringify(config, null, 2)}\n`);
    return EXIT_OK;
  }
  if (values.check) {
    output.out(`configuration ok${values.config ? `: ${values.config}` : ''}\n`);
    return EXIT_OK;
  }

  const logger = pino({ name: 'quicmq', level: config.log.level }, deps.logStream ?? pino.destination({ dest: 1, sync: true }));
  return serve(config, logger, authenticator, authorizer, deps);
}

async function serve(
  config: BrokerConfig,
  logger: Logger,
  authenticator: PasswordFileAuthenticator,
  authorizer: AclFileAuthorizer,
  deps: BrokerCommandDeps,
): Promise<number> {
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
  let stopping = false;
  const removeSignalHandlers = deps.onSignal((signal) => {
    if (signal === 'SIGHUP') {
      reloadAuth(logger, authenticator, authorizer);
      return;
    }
    if (stopping) {
      // A second Ctrl-C while stopping: the operator wants out now.
      logger.warn({ signal }, 'second stop signal, exiting without a clean stop');
      logger.flush();
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    stopRequested(signal);
  });

  const broker = deps.createBroker({ config, logger, authenticator, authorizer });
  let metricsServer: MetricsServer | undefined;
  try {
    await broker.start();
    if (config.prometheus.enabled) {
      metricsServer = await startMetricsServer(broker.metrics, config.prometheus.bind);
      logger.info({ bind: config.prometheus.bind, port: metricsServer.port }, 'prometheus metrics at /metrics');
    }
  } catch (e) {
    logger.error({ err: e }, 'broker failed to start');
    await Promise.allSettled([broker.stop({ reason: 'start failed' }), metricsServer?.close()]);
    removeSignalHandlers();
    return EXIT_FAILURE;
  }
  const addresses = broker.listenerAddresses();
  logger.info({ node: config.node.name, listeners: addresses.map((a) => `${a.id} ${a.host}:${a.port}`) }, 'broker started');

  const signal = await stopSignal;
  logger.info({ signal }, 'stopping');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), SHUTDOWN_TIMEOUT_MS);
    timer.unref();
  });
  try {
    const result = await Promise.race([Promise.all([broker.stop({ reason: `signal ${signal}` }), metricsServer?.close()]).then(() => 'stopped' as const), timedOut]);
    if (result === 'timeout') {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'broker did not stop in time');
      return EXIT_FAILURE;
    }
  } catch (e) {
    logger.error({ err: e }, 'error while stopping');
    return EXIT_FAILURE;
  } finally {
    clearTimeout(timer);
    removeSignalHandlers();
  }
  return EXIT_OK;
}

function reloadAuth(logger: Logger, authenticator: PasswordFileAuthenticator, authorizer: AclFileAuthorizer): void {
  try {
    authenticator.reload();
    authorizer.reload();
    logger.info({ users: authenticator.userCount, aclRules: authorizer.ruleCount }, 'reloaded password and ACL files');
  } catch (e) {
    // Keep serving with the previous users/rules: a typo in a file must not lock everyone out.
    logger.error({ err: e }, 'reload failed; keeping the previous password and ACL data');
  }
}
