// Command-line flags of the broker benchmark, with their defaults and validation.
import { parseArgs } from 'node:util';
import { MIN_PAYLOAD_BYTES } from './packets.js';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { BROKER_NAMES, type BrokerName } from './targets.js';

export const USAGE = `Usage: node --import tsx bench/broker/run.ts [options]
       node dist/bench/broker/run.js [options]

Broker throughput and latency over TCP on 127.0.0.1 (quicmq, aedes, mosquitto, each in its own process),
the load generator's own ceiling, and memory per idle connected client.

Options:
  --brokers <list>        brokers to run, comma-separated (default: ${BROKER_NAMES.join(',')})
  --scenarios <list>      scenarios, comma-separated (default: all of ${SCENARIO_NAMES.join(',')})
  --clients <n>           publishers (fan-in), subscribers (fan-out) or pairs (default: 10)
  --duration <s>          measured seconds per scenario and broker (default: 4)
  --warmup <s>            seconds of traffic before measuring (default: 1)
  --payload <bytes>       PUBLISH payload size, at least ${MIN_PAYLOAD_BYTES} (default: 64)
  --window <n>            QoS 1: unacknowledged PUBLISHes per publisher (default: 32)
  --rate <msgs/s>         per publisher; 0 = as fast as the broker takes them (default: 0)
  --workers <n>           load-generator processes (default: 2)
  --memory-clients <n>    idle clients for the memory test; 0 = skip it (default: 10000)
  --skip-ceiling          do not measure the load generator against the sink
  --json <file>           also write the results as JSON to this file
  --cpu-prof <dir>        write a V8 CPU profile of the quicmq broker process into <dir>
  -h, --help              this help
`;

export interface BenchOptions {
  brokers: BrokerName[];
  scenarios: ScenarioName[];
  clients: number;
  durationMs: number;
  warmupMs: number;
  payloadBytes: number;
  window: number;
  ratePerPublisher: number;
  workers: number;
  memoryClients: number;
  ceiling: boolean;
  jsonFile: string | undefined;
  cpuProfileDir: string | undefined;
  help: boolean;
}

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  readonly code = 'BAD_OPTION';
}

/** Limits that keep a mistyped flag from starting an hour-long or machine-filling run. */
const MAX_CLIENTS = 10_000;
const MAX_SECONDS = 600;
const MAX_PAYLOAD_BYTES = 1 << 20;
const MAX_WINDOW = 65_535;
const MAX_WORKERS = 64;
const MAX_MEMORY_CLIENTS = 100_000;

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined) return [...allowed];
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new OptionsError(`--${flag} needs at least one of ${allowed.join(', ')}`);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new OptionsError(`--${flag}: unknown "${item}" (choose from ${allowed.join(', ')})`);
  }
  return [...new Set(items)] as T[];
}

function number(flag: string, value: string | undefined, fallback: number, min: number, max: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new OptionsError(`--${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        brokers: { type: 'string' },
        scenarios: { type: 'string' },
        clients: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        payload: { type: 'string' },
        window: { type: 'string' },
        rate: { type: 'string' },
        workers: { type: 'string' },
        'memory-clients': { type: 'string' },
        'skip-ceiling': { type: 'boolean' },
        json: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new OptionsError(e instanceof Error ? e.message : String(e));
  }
  return {
    brokers: list('brokers', values.brokers, BROKER_NAMES),
    scenarios: list('scenarios', values.scenarios, SCENARIO_NAMES),
    clients: number('clients', values.clients, 10, 1, MAX_CLIENTS, true),
    durationMs: number('duration', values.duration, 4, 0.1, MAX_SECONDS, false) * 1000,
    warmupMs: number('warmup', values.warmup, 1, 0, MAX_SECONDS, false) * 1000,
    payloadBytes: number('payload', values.payload, 64, MIN_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES, true),
    window: number('window', values.window, 32, 1, MAX_WINDOW, true),
    ratePerPublisher: number('rate', values.rate, 0, 0, 10_000_000, false),
    workers: number('workers', values.workers, 2, 1, MAX_WORKERS, true),
    memoryClients: number('memory-clients', values['memory-clients'], 10_000, 0, MAX_MEMORY_CLIENTS, true),
    ceiling: values['skip-ceiling'] !== true,
    jsonFile: values.json,
    cpuProfileDir: values['cpu-prof'],
    help: values.help === true,
  };
}
