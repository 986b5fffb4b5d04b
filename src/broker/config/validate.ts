// Checks a merged raw config against schema.ts with ajv, fills in defaults, converts durations and sizes,
// and turns every problem into a ConfigIssue naming the key path. Then the rules one key cannot express:
// files that must exist, listeners that would share a port.
import { existsSync, statSync } from 'node:fs';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { DataValidationCxt } from 'ajv/dist/types/index.js';
import { configSchema, LISTENER_TYPES, type SchemaNode, type ValueKind } from './schema.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { isWildcardHost, parseBind, parseDuration, parseSize } from './units.js';
import type { BrokerConfig } from './types.js';

const Ajv = AjvModule.default;

const KIND_EXPECTED: Record<ValueKind, string> = {
  duration: 'a duration like "15s", "500ms", "2h" or "1h30m"',
  size: 'a size like "1MB", "64KB" or a number of bytes',
  bind: '"host:port"',
};

/**
 * ajv keyword for schema.ts "x-kind": converts "15s"/"1MB" in place (to ms/bytes) and checks "host:port".
 * Bounds of converted values come from "x-bounds" (ajv's own minimum/maximum would see the string).
 */
const validateKind: ((kind: ValueKind, data: unknown, parentSchema?: Record<string, unknown>, cxt?: DataValidationCxt) => boolean) & {
  errors: Array<Partial<ErrorObject>>;
} = Object.assign(
  function kindKeyword(kind: ValueKind, data: unknown, parentSchema?: Record<string, unknown>, cxt?: DataValidationCxt): boolean {
    const fail = (message: string): boolean => {
      validateKind.errors = [{ keyword: 'x-kind', message, params: { kind } }];
      return false;
    };
    if (typeof data !== 'string' && typeof data !== 'number') return fail(`expected ${KIND_EXPECTED[kind]}, got ${describe(data)}`);
    let converted: string | number;
    if (kind === 'bind') {
      if (!parseBind(data)) return fail(`expected ${KIND_EXPECTED.bind}, got ${describe(data)}`);
      converted = String(data).trim();
    } else {
      const n = kind === 'duration' ? parseDuration(data) : parseSize(data);
      if (n === undefined) return fail(`expected ${KIND_EXPECTED[kind]}, got ${describe(data)}`);
      const bounds = (parentSchema?.['x-bounds'] ?? {}) as { minimum?: number; maximum?: number };
      if (bounds.minimum !== undefined && n < bounds.minimum) return fail(`must be at least ${bounds.minimum}, got ${describe(data)}`);
      if (bounds.maximum !== undefined && n > bounds.maximum) return fail(`must be at most ${bounds.maximum}, got ${describe(data)}`);
      converted = n;
    }
    if (cxt && cxt.parentData !== undefined) (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = converted;
    return true;
  },
  { errors: [] as Array<Partial<ErrorObject>> },
);

/** Schema for ajv: x-kind nodes carry their bounds as "x-bounds" (checked after conversion). */
function forAjv(node: SchemaNode): Record<string, unknown> {
  const out: Record<string, unknown> = { ...node };
  if (node['x-kind']) {
    delete out.minimum;
    delete out.maximum;
    out['x-bounds'] = { minimum: node.minimum, maximum: node.maximum };
  }
  if (node.properties) out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, forAjv(v)]));
  if (node.additionalProperties) out.additionalProperties = forAjv(node.additionalProperties);
  if (node.items) out.items = forAjv(node.items);
  return out;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'x-bounds', schemaType: 'object' });
    ajv.addKeyword({ keyword: 'x-kind', schemaType: 'string', modifying: true, errors: true, validate: validateKind });
    compiled = ajv.compile(forAjv(configSchema));
  }
  return compiled;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const json = JSON.stringify(v);
  const text = json === undefined ? String(v) : json;
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array ${shown}`;
  if (typeof v === 'object') return `an object ${shown}`;
  return shown;
}

function dotted(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Edit distance, for "did you mean" hints on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function didYouMean(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function issueFromAjv(e: ErrorObject): ConfigIssue {
  const path = dotted(e.instancePath);
  const join = (p: string, k: string): string => (p ? `${p}.${k}` : k);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const hint = didYouMean(key, known) || (known.length ? `; known keys here: ${known.join(', ')}` : '');
      return { path: join(path, key), message: `unknown key${hint}` };
    }
    case 'type': {
      const t = e.params.type as string | string[];
      const expected = Array.isArray(t) ? t.join(' or ') : t === 'object' ? 'an object { ... }' : t;
      return { path, message: `expected ${expected}, got ${describe(e.data)}` };
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, message: `expected one of ${allowed}, got ${describe(e.data)}` };
    }
    case 'minimum':
      return { path, message: `must be at least ${String(e.params.limit)}, got ${describe(e.data)}` };
    case 'maximum':
      return { path, message: `must be at most ${String(e.params.limit)}, got ${describe(e.data)}` };
    case 'minLength':
      return { path, message: `must not be empty` };
    case 'pattern':
      return { path, message: path.endsWith('mqtt_path') ? `must start with "/", got ${describe(e.data)}` : `must match ${String(e.params.pattern)}, got ${describe(e.data)}` };
    case 'minItems':
      return { path, message: `must have at least ${String(e.params.limit)} item(s)` };
    case 'uniqueItems':
      return { path, message: `must not repeat items, got ${describe(e.data)}` };
    default:
      return { path, message: e.message ?? `invalid (${e.keyword})` };
  }
}

/**
 * Validates `raw` in place against the schema: fills defaults, converts durations/sizes. Throws
 * ConfigError (CONFIG_INVALID) listing every problem. Does not check files or ports (see checkCrossField).
 */
export function applySchema(raw: Record<string, unknown>): BrokerConfig {
  const validate = validator();
  if (!validate(raw)) {
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const e of validate.errors ?? []) {
      const issue = issueFromAjv(e);
      const key = `${issue.path}\0${issue.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        issues.push(issue);
      }
    }
    throw new ConfigError('CONFIG_INVALID', issues);
  }
  return raw as unknown as BrokerConfig;
}

interface BoundSocket {
  owner: string;
  proto: 'tcp' | 'udp';
  host: string;
  port: number;
  bind: string;
}

function checkFile(path: string, value: string | null | undefined, what: string, issues: ConfigIssue[], required: boolean): void {
  if (value === undefined || value === null || value === '') {
    if (required) issues.push({ path, message: `${what} is required when the listener is enabled` });
    return;
  }
  if (!existsSync(value)) issues.push({ path, message: `file not found: ${JSON.stringify(value)}` });
  else if (!statSync(value).isFile()) issues.push({ path, message: `not a file: ${JSON.stringify(value)}` });
}

/** Rules across keys: certificate/key/password/ACL files exist, no two sockets on one port. */
export function checkCrossField(config: BrokerConfig): void {
  const issues: ConfigIssue[] = [];
  const sockets: BoundSocket[] = [];
  for (const type of LISTENER_TYPES) {
    for (const [name, l] of Object.entries(config.listeners[type] as Record<string, { enabled: boolean; bind: string }>)) {
      if (!l.enabled) continue;
      const at = `listeners.${type}.${name}`;
      const addr = parseBind(l.bind)!;
      sockets.push({ owner: at, proto: type === 'quic' ? 'udp' : 'tcp', bind: l.bind, ...addr });
      if (type === 'ssl' || type === 'wss') {
        const ssl = config.listeners[type][name]!.ssl_options;
        checkFile(`${at}.ssl_options.keyfile`, ssl.keyfile, 'keyfile', issues, true);
        checkFile(`${at}.ssl_options.certfile`, ssl.certfile, 'certfile', issues, true);
        checkFile(`${at}.ssl_options.cacertfile`, ssl.cacertfile, 'cacertfile', issues, false);
      } else if (type === 'quic') {
        const q = config.listeners.quic[name]!;
        // Both empty means "generate": the broker creates a self-signed certificate in
        // node.data_dir/certs at start (src/broker/certs/self-signed.ts). Only one of them set is a mistake.
        if (q.keyfile !== '' || q.certfile !== '') {
          checkFile(`${at}.keyfile`, q.keyfile, 'keyfile', issues, true);
          checkFile(`${at}.certfile`, q.certfile, 'certfile', issues, true);
        }
      }
    }
  }
  if (config.prometheus.enabled) {
    sockets.push({ owner: 'prometheus', proto: 'tcp', bind: config.prometheus.bind, ...parseBind(config.prometheus.bind)! });
  }
  // Two sockets conflict when protocol and port match (port 0 = OS-chosen, never a conflict) and the
  // hosts overlap: equal, or either is a wildcard address.
  for (let i = 0; i < sockets.length; i++) {
    const a = sockets[i]!;
    if (a.port === 0) continue;
    for (let j = 0; j < i; j++) {
      const b = sockets[j]!;
      if (a.proto !== b.proto || a.port !== b.port) continue;
      if (a.host === b.host || isWildcardHost(a.host) || isWildcardHost(b.host)) {
        issues.push({ path: a.owner === 'prometheus' ? 'prometheus.bind' : `${a.owner}.bind`, message: `${a.proto.toUpperCase()} port ${a.port} is already used by ${b.owner} (${b.bind})` });
        break;
      }
    }
  }
  checkFile('authentication.password_file', config.authentication.password_file, 'password_file', issues, false);
  checkFile('authorization.acl_file', config.authorization.acl_file, 'acl_file', issues, false);
  if (issues.length > 0) throw new ConfigError('CONFIG_INVALID', issues);
}
