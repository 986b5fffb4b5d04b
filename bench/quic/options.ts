// Command-line flags of the QUIC benchmark, with their defaults and validation.
import { parseArgs } from 'node:util';
import { MIN_PAYLOAD_BYTES } from '../broker/packets.js';

export const SECTIONS = ['handshakes', 'latency', 'bulk', 'qos0', 'idle'] as const;
export type Section = (typeof SECTIONS)[number];

export const USAGE = `Usage: node --import tsx bench/quic/run.ts [options]
       node dist/bench/quic/run.js [options]

quicmq's QUIC transport and MQTT over QUIC on 127.0.0.1, next to Node TLS 1.3 over TCP, plain TCP and
quiche (@matrixai/quic), every server in its own process, baselines measured in the same run.

Options:
  --sections <list>           comma-separated, of ${SECTIONS.join(',')} (default: all)
  --handshake-seconds <s>     per handshake measurement (default: 2)
  --concurrency <n>           parallel handshakes in the concurrent runs (default: 8)
  --latency-connections <n>   sequential connections for connect-to-CONNACK (default: 30)
  --bulk-mb <MB>              bytes sent in the bulk test, in 10^6 bytes (default: 50)
  --bulk-seconds <s>          time bound of one bulk transfer (default: 10)
  --messages <n>              QoS 0 PUBLISHes per transport (default: 1000000)
  --qos0-seconds <s>          time bound of the publishing (default: 5)
  --payload <bytes>           QoS 0 payload size, at least ${MIN_PAYLOAD_BYTES} (default: 64)
  --idle-connections <n>      idle connections per transport for the memory test (default: 10000)
  --idle-seconds <s>          time allowed to open them, per transport (default: 40)
  --idle-workers <n>          client processes for the memory test (default: 2)
  --skip-warmup               no unmeasured warm-up rounds (quicker, colder figures)
  --json <file>               also write every figure as JSON to this file
  --cpu-prof <dir>            write V8 CPU profiles of the quicmq server and broker processes into <dir>
  -h, --help                  this help
`;

export interface QuicBenchOptions {
  sections: Section[];
  handshakeMs: number;
  concurrency: number;
  latencyConnections: number;
  bulkBytes: number;
  bulkMs: number;
  messages: number;
  qos0Ms: number;
  payloadBytes: number;
  idleConnections: number;
  idleMs: number;
  idleWorkers: number;
  warmup: boolean;
  jsonFile: string | undefined;
  cpuProfileDir: string | undefined;
  help: boolean;
}

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  readonly code = 'BAD_OPTION';
}

/** Limits that keep a mistyped flag from starting an hour-long or machine-filling run. */
const MAX_SECONDS = 600;
const MAX_CONCURRENCY = 256;
const MAX_CONNECTIONS = 10_000;
const MAX_BULK_MB = 10_000;
const MAX_MESSAGES = 100_000_000;
const MAX_PAYLOAD_BYTES = 1 << 20;
const MAX_IDLE_CONNECTIONS = 100_000;
const MAX_WORKERS = 64;

function number(flag: string, value: string | undefined, fallback: number, min: number, max: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new OptionsError(`--${flag}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function sections(value: string | undefined): Section[] {
  if (value === undefined) return [...SECTIONS];
  const out: Section[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    if (!(SECTIONS as readonly string[]).includes(part)) throw new OptionsError(`--sections: unknown section '${part}' (one of ${SECTIONS.join(', ')})`);
    if (!out.includes(part as Section)) out.push(part as Section);
  }
  if (out.length === 0) throw new OptionsError('--sections: name at least one section');
  return out;
}

export function parseQuicBenchArgs(argv: string[]): QuicBenchOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        sections: { type: 'string' },
        'handshake-seconds': { type: 'string' },
        concurrency: { type: 'string' },
        'latency-connections': { type: 'string' },
        'bulk-mb': { type: 'string' },
        'bulk-seconds': { type: 'string' },
        messages: { type: 'string' },
        'qos0-seconds': { type: 'string' },
        payload: { type: 'string' },
        'idle-connections': { type: 'string' },
        'idle-seconds': { type: 'string' },
        'idle-workers': { type: 'string' },
        'skip-warmup': { type: 'boolean' },
        json: { type: 'string' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new OptionsError(e instanceof Error ? e.message : String(e));
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return {
    sections: sections(str('sections')),
    handshakeMs: number('handshake-seconds', str('handshake-seconds'), 2, 0.05, MAX_SECONDS, false) * 1000,
    concurrency: number('concurrency', str('concurrency'), 8, 1, MAX_CONCURRENCY),
    latencyConnections: number('latency-connections', str('latency-connections'), 30, 1, MAX_CONNECTIONS),
    bulkBytes: Math.round(number('bulk-mb', str('bulk-mb'), 50, 0.001, MAX_BULK_MB, false) * 1e6),
    bulkMs: number('bulk-seconds', str('bulk-seconds'), 10, 0.1, MAX_SECONDS, false) * 1000,
    messages: number('messages', str('messages'), 1_000_000, 1, MAX_MESSAGES),
    qos0Ms: number('qos0-seconds', str('qos0-seconds'), 5, 0.1, MAX_SECONDS, false) * 1000,
    payloadBytes: number('payload', str('payload'), 64, MIN_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES),
    idleConnections: number('idle-connections', str('idle-connections'), 10_000, 0, MAX_IDLE_CONNECTIONS),
    idleMs: number('idle-seconds', str('idle-seconds'), 40, 1, MAX_SECONDS, false) * 1000,
    idleWorkers: number('idle-workers', str('idle-workers'), 2, 1, MAX_WORKERS),
    warmup: values['skip-warmup'] !== true,
    jsonFile: str('json'),
    cpuProfileDir: str('cpu-prof'),
    help: values['help'] === true,
  };
}
