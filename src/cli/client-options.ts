// Command-line options shared by `quicmq pub` and `quicmq sub`, modelled on mosquitto_pub/mosquitto_sub:
// connection (-h -p -L -V -i -I -u -P -k -c -x), TLS (--cafile --cert --key --insecure --tls-version ...),
// will (--will-*), MQTT 5 properties (-D command identifier value [value]) and debug output (-d).
// Parsing is pure (argv in, options out, UsageError for anything wrong), so it is unit-tested in-process.
import type { ParseArgsConfig } from 'node:util';
import type { SecureVersion } from 'node:tls';
import type { Packet } from 'mqtt-packet';
import {
  findTransport,
  MqttClientError,
  SESSION_NEVER_EXPIRES,
  type ConnectOptions,
  type ConnectProperties,
  type EndOptions,
  type MqttClient,
  type ProtocolVersion,
  type PublishProperties,
  type QoS,
  type SubscribeOptions,
  type UserProperties,
  type WillProperties,
} from '../client/index.js';
import { EXIT_OK, UsageError, parseCommandLine } from './args.js';

// Exit codes, as mosquitto_pub/sub use them: EXIT_OK (every command's, args.ts), the two below, or the
// reason code of a refused CONNACK. UsageError is every command's too.
export { EXIT_OK, UsageError } from './args.js';
/** Bad command line, connection or protocol failure (mosquitto uses 1 for both, where `broker` uses 2 for usage). */
export const EXIT_ERROR = 1;
/** sub -W expired (mosquitto's MOSQ_ERR_TIMEOUT). */
export const EXIT_TIMEOUT = 27;

/** Where a command reads and writes (the process by default; tests pass their own). */
export interface CliIO {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: { write(chunk: string | Uint8Array): unknown };
  stdin: NodeJS.ReadableStream;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** MQTT 5.0 §2.2.2.2 / §3.3.2.3.7 etc.: property value ranges. */
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const VARINT_MAX = 268_435_455; // MQTT 5.0 §1.5.5 Variable Byte Integer
const MAX_KEEPALIVE = 0xffff; // MQTT 5.0 §3.1.2.10

/** Options every client command accepts (node:util parseArgs form). */
export const CLIENT_OPTIONS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  url: { type: 'string', short: 'L' },
  'protocol-version': { type: 'string', short: 'V' },
  id: { type: 'string', short: 'i' },
  'id-prefix': { type: 'string', short: 'I' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  'disable-clean-session': { type: 'boolean', short: 'c' },
  'session-expiry-interval': { type: 'string', short: 'x' },
  qos: { type: 'string', short: 'q' },
  topic: { type: 'string', short: 't', multiple: true },
  debug: { type: 'boolean', short: 'd' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
  cafile: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  quic: { type: 'boolean' },
  'quic-datagrams': { type: 'boolean' },
  'tls-version': { type: 'string' },
  'tls-alpn': { type: 'string' },
  'tls-use-os-certs': { type: 'boolean' },
  servername: { type: 'string' },
  'will-topic': { type: 'string' },
  'will-payload': { type: 'string' },
  'will-qos': { type: 'string' },
  'will-retain': { type: 'boolean' },
  'connect-timeout': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CLIENT_USAGE = `Connection:
  -h, --host HOST          broker host (default localhost)
  -p, --port PORT          broker port (default 1883; 8883 with TLS)
  -L, --url URL            mqtt[s]://[user[:password]@]host[:port]/topic, ws[s]://host[:port]/path,
                           or any registered scheme such as quic://host:14567/topic
  --quic                   MQTT over QUIC (UDP, TLS 1.3, ALPN mqtt; default port 14567), same as -L quic://
  --quic-datagrams         over QUIC: accept QoS 0 messages from the broker in QUIC datagrams (RFC 9221;
                           unordered, may be lost) where it allows them (qos0_datagrams); pub still
                           publishes on the stream
  -V, --protocol-version V 31|mqttv31, 311|mqttv311 (default), 5|mqttv5
  -i, --id ID              client id (default quicmq-<command>-<random>)
  -I, --id-prefix PREFIX   client id is PREFIX followed by the process id
  -u, --username USER      -P, --pw PASSWORD
  -k, --keepalive SECONDS  keep alive interval (default 60, 0 disables)
  -c, --disable-clean-session  keep the session (needs -i; session never expires unless -x)
  -x, --session-expiry-interval SECONDS|-1  MQTT 5 session expiry (-1 or 4294967295: never)
  --connect-timeout SECONDS  give up when not connected by then (default 30)
  -d, --debug              print every packet sent and received to stderr
  --quiet                  do not print error messages
TLS (used for mqtts:// and wss:// URLs, or when any of these is given without -L):
  --cafile FILE            trusted CA certificates (PEM); default: the system CAs
  --tls-use-os-certs       use TLS with the system CAs
  --cert FILE --key FILE   client certificate and key (mutual TLS)
  --insecure               do not verify the server certificate (chain and host name)
  --tls-version V          tlsv1.2 or tlsv1.3: use exactly this version
  --tls-alpn PROTOCOL      ALPN protocol to offer
  --servername NAME        name for SNI and certificate verification
Will:
  --will-topic TOPIC  --will-payload TEXT  --will-qos 0|1|2  --will-retain
MQTT 5 properties (implies -V 5):
  -D, --property COMMAND NAME VALUE   e.g. -D publish content-type text/plain
  -D, --property COMMAND user-property KEY VALUE
     connect: session-expiry-interval receive-maximum maximum-packet-size topic-alias-maximum
              request-problem-information request-response-information user-property
     publish/will: content-type correlation-data message-expiry-interval payload-format-indicator
              response-topic user-property (will also: will-delay-interval)
     subscribe: subscription-identifier user-property   unsubscribe/disconnect: user-property
              (disconnect also: session-expiry-interval)
`;

export type PropertyCommand = 'connect' | 'publish' | 'subscribe' | 'unsubscribe' | 'disconnect' | 'will';

/** Properties given with -D, grouped by the packet they go into. */
export interface CommandProperties {
  connect: ConnectProperties & { sessionExpiryInterval?: number };
  publish: PublishProperties;
  will: WillProperties;
  subscribe: { subscriptionIdentifier?: number; userProperties?: UserProperties };
  unsubscribe: { userProperties?: UserProperties };
  disconnect: { sessionExpiryInterval?: number; userProperties?: UserProperties };
}

type PropertyKind = 'string' | 'binary' | 'u8bool' | 'u16' | 'u32' | 'varint' | 'pair';

/** Property names (mosquitto spelling) per command, with their MQTT 5.0 §2.2.2.2 data type and field. */
const PROPERTY_TABLE: Readonly<Record<PropertyCommand, Readonly<Record<string, [PropertyKind, string]>>>> = {
  connect: {
    'session-expiry-interval': ['u32', 'sessionExpiryInterval'],
    'receive-maximum': ['u16', 'receiveMaximum'],
    'maximum-packet-size': ['u32', 'maximumPacketSize'],
    'topic-alias-maximum': ['u16', 'topicAliasMaximum'],
    'request-problem-information': ['u8bool', 'requestProblemInformation'],
    'request-response-information': ['u8bool', 'requestResponseInformation'],
    'user-property': ['pair', 'userProperties'],
  },
  publish: {
    'content-type': ['string', 'contentType'],
    'correlation-data': ['binary', 'correlationData'],
    'message-expiry-interval': ['u32', 'messageExpiryInterval'],
    'payload-format-indicator': ['u8bool', 'payloadFormatIndicator'],
    'response-topic': ['string', 'responseTopic'],
    'topic-alias': ['u16', 'topicAlias'],
    'user-property': ['pair', 'userProperties'],
  },
  will: {
    'content-type': ['string', 'contentType'],
    'correlation-data': ['binary', 'correlationData'],
    'message-expiry-interval': ['u32', 'messageExpiryInterval'],
    'payload-format-indicator': ['u8bool', 'payloadFormatIndicator'],
    'response-topic': ['string', 'responseTopic'],
    'will-delay-interval': ['u32', 'willDelayInterval'],
    'user-property': ['pair', 'userProperties'],
  },
  subscribe: {
    'subscription-identifier': ['varint', 'subscriptionIdentifier'],
    'user-property': ['pair', 'userProperties'],
  },
  unsubscribe: { 'user-property': ['pair', 'userProperties'] },
  disconnect: {
    'session-expiry-interval': ['u32', 'sessionExpiryInterval'],
    'user-property': ['pair', 'userProperties'],
  },
};

/** Parses a decimal integer in [min, max] or throws UsageError naming the option. */
export function parseInteger(option: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${option} must be an integer, got "${text}"`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${option} must be from ${min} to ${max}, got ${text}`);
  return n;
}

export function parseQos(option: string, text: string): QoS {
  return parseInteger(option, text, 0, 2) as QoS;
}

/** -V: mosquitto accepts 31/311/5 and mqttv31/mqttv311/mqttv5. */
export function parseProtocolVersion(text: string): ProtocolVersion {
  switch (text.toLowerCase()) {
    case '31':
    case 'mqttv31':
    case '3':
      return 3;
    case '311':
    case 'mqttv311':
    case '4':
      return 4;
    case '5':
    case 'mqttv5':
      return 5;
    default:
      throw new UsageError(`-V must be 31, 311 or 5 (or mqttv31, mqttv311, mqttv5), got "${text}"`);
  }
}

function parseTlsVersion(text: string): SecureVersion {
  const versions: Record<string, SecureVersion> = { 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };
  const v = versions[text.toLowerCase()];
  if (v === undefined) throw new UsageError(`--tls-version must be tlsv1.2 or tlsv1.3, got "${text}"`);
  return v;
}

/** -x: 0..4294967294 seconds, or -1 / 4294967295 / ∞ for a session that never expires (mosquitto). */
function parseSessionExpiry(text: string): number {
  if (text === '-1' || text === '∞') return SESSION_NEVER_EXPIRES;
  return parseInteger('-x', text, 0, SESSION_NEVER_EXPIRES);
}

function addUserProperty(target: { userProperties?: UserProperties }, key: string, value: string): void {
  // MQTT 5.0 §3.3.2.3.7: a user property name may appear more than once.
  const props = (target.userProperties ??= {});
  const existing = props[key];
  props[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
}

function setProperty(all: CommandProperties, command: PropertyCommand, name: string, values: string[]): void {
  const entry = PROPERTY_TABLE[command][name];
  if (entry === undefined) {
    throw new UsageError(`-D ${command}: unknown property "${name}" (one of: ${Object.keys(PROPERTY_TABLE[command]).join(', ')})`);
  }
  const [kind, field] = entry;
  const target = all[command] as Record<string, unknown>;
  const label = `-D ${command} ${name}`;
  const value = values[0] as string;
  switch (kind) {
    case 'pair':
      addUserProperty(target as { userProperties?: UserProperties }, value, values[1] as string);
      return;
    case 'string':
      target[field] = value;
      return;
    case 'binary':
      target[field] = Buffer.from(value, 'utf8');
      return;
    case 'u8bool':
      target[field] = parseInteger(label, value, 0, 1) === 1;
      return;
    case 'u16':
      target[field] = parseInteger(label, value, 1, U16_MAX);
      return;
    case 'u32':
      target[field] = parseInteger(label, value, 0, U32_MAX);
      return;
    case 'varint':
      target[field] = parseInteger(label, value, 1, VARINT_MAX);
      return;
  }
}

/** "-t"/"--topic" -> "topic" for every option that takes a value. */
function optionsTakingValues(options: NonNullable<ParseArgsConfig['options']>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    map.set(`--${name}`, name);
    if (spec.short !== undefined) map.set(`-${spec.short}`, name);
  }
  return map;
}

/**
 * Takes every `-D command identifier value [value]` out of argv (parseArgs cannot express options with
 * several values). Values of other options are skipped, so `-m -D` publishes the text "-D".
 * The other options are returned with their values joined ("--message=-D").
 */
export function extractProperties(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  allowed: readonly PropertyCommand[],
): { rest: string[]; properties: CommandProperties; count: number } {
  const takesValue = optionsTakingValues(options);
  const properties: CommandProperties = { connect: {}, publish: {}, will: {}, subscribe: {}, unsubscribe: {}, disconnect: {} };
  const rest: string[] = [];
  let count = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '-D' || arg === '--property') {
      const command = argv[i + 1]?.toLowerCase();
      const name = argv[i + 2]?.toLowerCase();
      if (command === undefined || name === undefined || argv[i + 3] === undefined) {
        throw new UsageError(`${arg} needs a command, a property name and a value`);
      }
      if (!(allowed as readonly string[]).includes(command)) {
        throw new UsageError(`${arg}: command must be one of ${allowed.join(', ')}, got "${command}"`);
      }
      const isPair = name === 'user-property';
      if (isPair && argv[i + 4] === undefined) throw new UsageError(`${arg} ${command} user-property needs a name and a value`);
      const values = argv.slice(i + 3, i + (isPair ? 5 : 4));
      setProperty(properties, command as PropertyCommand, name, values);
      count++;
      i += isPair ? 4 : 3;
      continue;
    }
    // "-x -1", "-m -D": the next word is the value even when it starts with a dash (as in mosquitto),
    // so it is joined as "--name=value", which parseArgs never mistakes for an option.
    const long = takesValue.get(arg);
    if (long !== undefined && i + 1 < argv.length) rest.push(`--${long}=${argv[++i] as string}`);
    else rest.push(arg);
  }
  return { rest, properties, count };
}

/** Everything the shared options produce. */
export interface ClientCommandLine {
  connect: ConnectOptions;
  /** Topic from an mqtt(s):// URL path (mosquitto -L). */
  urlTopic: string | undefined;
  topics: string[];
  qos: QoS;
  debug: boolean;
  quiet: boolean;
  properties: CommandProperties;
}

type ClientValues = {
  [K in keyof typeof CLIENT_OPTIONS]?: (typeof CLIENT_OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof CLIENT_OPTIONS)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export type ParsedCommandLine = { help: true } | { help: false; common: ClientCommandLine; values: OptionValues };

/**
 * Parses argv with the shared options plus `extra` (the command's own). Throws UsageError.
 * `command` names the default client id.
 */
export function parseClientCommandLine(
  argv: readonly string[],
  command: 'pub' | 'sub',
  extra: NonNullable<ParseArgsConfig['options']>,
  allowedProperties: readonly PropertyCommand[],
): ParsedCommandLine {
  const options = { ...CLIENT_OPTIONS, ...extra };
  const { rest, properties, count: propertyCount } = extractProperties(argv, options, allowedProperties);
  const parsed = parseCommandLine({ args: rest, options, strict: true, allowPositionals: true }) as { values: OptionValues; positionals: string[] };
  const v = parsed.values as ClientValues & Record<string, string | boolean | string[] | undefined>;
  if (v.help === true) return { help: true };
  if (parsed.positionals.length > 0) throw new UsageError(`Unexpected argument "${parsed.positionals[0]}"`);

  const connect: ConnectOptions = {};
  let urlTopic: string | undefined;
  let secure: boolean;
  if (v.url !== undefined) {
    if (v.host !== undefined || v.port !== undefined) throw new UsageError('-L cannot be combined with -h or -p');
    if (v.quic === true) throw new UsageError('--quic cannot be combined with -L (use -L quic://host:port/topic)');
    let url: URL;
    try {
      url = new URL(v.url);
    } catch {
      throw new UsageError(`-L: invalid URL "${v.url}"`);
    }
    const scheme = url.protocol.replace(/:$/, '').toLowerCase();
    const transport = findTransport(scheme);
    if (transport === undefined) throw new UsageError(`-L: unsupported scheme "${scheme}://"`);
    secure = transport.secure;
    // mosquitto -L: for mqtt(s):// the path is the topic; for WebSocket it is the HTTP path.
    const isWebSocket = scheme === 'ws' || scheme === 'wss';
    if (!isWebSocket && url.pathname.length > 1) urlTopic = decodeURIComponent(url.pathname.slice(1));
    connect.url = isWebSocket ? v.url : `${scheme}://${url.host}`;
    if (url.username !== '') connect.username = decodeURIComponent(url.username);
    if (url.password !== '') connect.password = decodeURIComponent(url.password);
  } else if (v.quic === true) {
    // QUIC always runs TLS 1.3: the TLS options apply, and verification is on unless --insecure.
    secure = true;
    connect.scheme = 'quic';
    if (v.host !== undefined) connect.host = v.host;
    if (v.port !== undefined) connect.port = parseInteger('-p', v.port, 1, 65535);
  } else {
    const tlsRequested = [v.cafile, v.cert, v.key, v['tls-version'], v['tls-alpn'], v.servername].some((x) => x !== undefined) ||
      v.insecure === true ||
      v['tls-use-os-certs'] === true;
    secure = tlsRequested;
    connect.scheme = tlsRequested ? 'mqtts' : 'mqtt';
    if (v.host !== undefined) connect.host = v.host;
    if (v.port !== undefined) connect.port = parseInteger('-p', v.port, 1, 65535);
  }
  if (v['quic-datagrams'] === true) {
    if (connect.scheme !== 'quic' && !(connect.url ?? '').startsWith('quic://')) throw new UsageError('--quic-datagrams needs MQTT over QUIC (--quic or -L quic://)');
    connect.transportOptions = { ...connect.transportOptions, datagrams: true };
  }
  const tlsGiven = [v.cafile, v.cert, v.key, v['tls-version'], v['tls-alpn'], v.servername].some((x) => x !== undefined) || v.insecure === true;
  if (tlsGiven && !secure) throw new UsageError('TLS options need a secure URL scheme (mqtts://, wss://, ...)');
  if (secure) {
    const tlsVersion = v['tls-version'] === undefined ? undefined : parseTlsVersion(v['tls-version']);
    connect.tls = {
      ...(v.cafile === undefined ? {} : { caFile: v.cafile }),
      ...(v.cert === undefined ? {} : { certFile: v.cert }),
      ...(v.key === undefined ? {} : { keyFile: v.key }),
      ...(v.servername === undefined ? {} : { servername: v.servername }),
      ...(v['tls-alpn'] === undefined ? {} : { alpnProtocols: [v['tls-alpn']] }),
      ...(tlsVersion === undefined ? {} : { minVersion: tlsVersion, maxVersion: tlsVersion }),
      insecure: v.insecure === true,
    };
    if ((v.cert === undefined) !== (v.key === undefined)) throw new UsageError('--cert and --key must be given together');
  }

  // Protocol version: -D and -x are MQTT 5 features and imply it, as in mosquitto.
  const needsV5 = propertyCount > 0 || v['session-expiry-interval'] !== undefined;
  const version = v['protocol-version'] === undefined ? (needsV5 ? 5 : 4) : parseProtocolVersion(v['protocol-version']);
  if (needsV5 && version !== 5) throw new UsageError('-D and -x need MQTT 5 (-V 5)');
  connect.protocolVersion = version;

  if (v.username !== undefined) connect.username = v.username;
  if (v.pw !== undefined) {
    if (connect.username === undefined && version !== 5) throw new UsageError('-P needs -u before MQTT 5');
    connect.password = v.pw;
  }
  if (v.keepalive !== undefined) connect.keepalive = parseInteger('-k', v.keepalive, 0, MAX_KEEPALIVE);
  if (v['connect-timeout'] !== undefined) {
    connect.connectTimeoutMs = parseInteger('--connect-timeout', v['connect-timeout'], 1, 86_400) * 1000;
  }

  const persistent = v['disable-clean-session'] === true;
  connect.cleanStart = !persistent;
  if (v.id !== undefined && v['id-prefix'] !== undefined) throw new UsageError('-i and -I cannot be combined');
  if (v.id !== undefined) connect.clientId = v.id;
  else if (v['id-prefix'] !== undefined) connect.clientId = `${v['id-prefix']}${process.pid}`;
  else connect.clientId = `quicmq-${command}-${Math.random().toString(16).slice(2, 10)}`;
  if (version === 5) {
    // mosquitto: -x defaults to -1 (never) with -c, else 0; a never-expiring session needs a chosen id.
    const expiry =
      v['session-expiry-interval'] !== undefined
        ? parseSessionExpiry(v['session-expiry-interval'])
        : (properties.connect.sessionExpiryInterval ?? (persistent ? SESSION_NEVER_EXPIRES : undefined));
    if (expiry !== undefined) connect.sessionExpiryInterval = expiry;
    if (expiry === SESSION_NEVER_EXPIRES && v.id === undefined && v['id-prefix'] === undefined) {
      throw new UsageError('A session that never expires (-c or -x -1) needs a client id (-i)');
    }
  } else if (persistent && v.id === undefined && v['id-prefix'] === undefined) {
    throw new UsageError('-c needs a client id (-i)');
  }
  const connectProperties: ConnectProperties & { sessionExpiryInterval?: number } = { ...properties.connect };
  delete connectProperties.sessionExpiryInterval; // carried by connect.sessionExpiryInterval above
  delete connectProperties.userProperties;
  if (properties.connect.userProperties !== undefined) connect.userProperties = properties.connect.userProperties;
  if (Object.keys(connectProperties).length > 0) connect.connectProperties = connectProperties;

  if (v['will-topic'] !== undefined) {
    connect.will = {
      topic: v['will-topic'],
      payload: v['will-payload'] ?? '',
      qos: v['will-qos'] === undefined ? 0 : parseQos('--will-qos', v['will-qos']),
      retain: v['will-retain'] === true,
      ...(Object.keys(properties.will).length > 0 ? { properties: properties.will } : {}),
    };
  } else if (v['will-payload'] !== undefined || v['will-qos'] !== undefined || v['will-retain'] === true || Object.keys(properties.will).length > 0) {
    throw new UsageError('Will options need --will-topic');
  }
  // Reconnecting would hide failures from scripts: the CLI fails fast instead.
  connect.reconnectPeriodMs = 0;

  return {
    common: {
      connect,
      urlTopic,
      topics: v.topic ?? [],
      qos: v.qos === undefined ? 0 : parseQos('-q', v.qos),
      debug: v.debug === true,
      quiet: v.quiet === true,
      properties,
    },
    values: parsed.values,
    help: false,
  };
}

/** SUBSCRIBE options from -q and -D subscribe ... */
export function subscribeOptionsFrom(common: ClientCommandLine): SubscribeOptions {
  return { qos: common.qos, ...common.properties.subscribe };
}

/** The topics of the command line: the -L URL's path first (mosquitto -L), then every -t. */
export function commandTopics(common: ClientCommandLine): string[] {
  return common.urlTopic === undefined ? common.topics : [common.urlTopic, ...common.topics];
}

/**
 * The first step of `quicmq pub|sub`: the parsed plan, or the exit code when there is nothing to run:
 * --help prints the usage (EXIT_OK); a bad command line prints the error and where to find help (EXIT_ERROR).
 */
export function planOrExitCode<Plan>(
  argv: readonly string[],
  command: 'pub' | 'sub',
  parse: (argv: readonly string[]) => Plan | undefined,
  usage: string,
  io: CliIO,
): { plan: Plan } | { exitCode: number } {
  let plan: Plan | undefined;
  try {
    plan = parse(argv);
  } catch (err) {
    io.stderr.write(`${errorLine(err)}\nUse 'quicmq ${command} --help' to see usage.\n`);
    return { exitCode: EXIT_ERROR };
  }
  if (plan === undefined) {
    io.stdout.write(usage);
    return { exitCode: EXIT_OK };
  }
  return { plan };
}

/** DISCONNECT options from -D disconnect ... */
export function endOptionsFrom(common: ClientCommandLine): EndOptions {
  return { ...common.properties.disconnect };
}

/** "Error: ..." line for a failure, mosquitto style ("Error: Connection refused ..."). */
export function errorLine(err: unknown): string {
  if (err instanceof UsageError || err instanceof MqttClientError) return `Error: ${err.message}\n`;
  return `Error: ${err instanceof Error ? err.message : String(err)}\n`;
}

/** mosquitto exits with the CONNACK reason code when the broker refuses; 1 for anything else. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof MqttClientError && err.code === 'ERR_CONNACK_REFUSED' && err.reasonCode !== undefined) return err.reasonCode;
  return EXIT_ERROR;
}

function describePacket(packet: Packet): string {
  const p = packet as Packet & {
    messageId?: number;
    qos?: number;
    retain?: boolean;
    dup?: boolean;
    topic?: string;
    payload?: Buffer | string;
    reasonCode?: number;
    returnCode?: number;
    granted?: number[];
  };
  const name = p.cmd.toUpperCase();
  switch (p.cmd) {
    case 'publish':
      return `${name} (d${p.dup ? 1 : 0}, q${p.qos ?? 0}, r${p.retain ? 1 : 0}, m${p.messageId ?? 0}, '${p.topic}', ... (${
        p.payload === undefined ? 0 : Buffer.byteLength(p.payload)
      } bytes))`;
    case 'connack':
      return `${name} (${p.reasonCode ?? p.returnCode ?? 0})`;
    case 'suback':
      return `${name} (m${p.messageId}, granted ${(p.granted ?? []).join(', ')})`;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'subscribe':
    case 'unsubscribe':
    case 'unsuback':
      return `${name} (m${p.messageId}${p.reasonCode === undefined ? '' : `, rc${p.reasonCode}`})`;
    default:
      return name;
  }
}

/** -d: one stderr line per packet, in mosquitto's "Client <id> sending CONNECT" style. */
export function attachDebugOutput(client: MqttClient, io: CliIO): void {
  client.on('packetsend', (packet) => io.stderr.write(`Client ${client.clientId || '(null)'} sending ${describePacket(packet)}\n`));
  client.on('packetreceive', (packet) => io.stderr.write(`Client ${client.clientId || '(null)'} received ${describePacket(packet)}\n`));
}
