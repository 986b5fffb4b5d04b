// Builds the broker configuration from its layers, lowest precedence first:
//   schema defaults < config file < QUICMQ_* environment variables < --set flags
// then validates the result once (validate.ts), so an error names the key path whatever layer set it.
import { HoconError, parseHoconFile, parseHoconValue, type HoconValue } from './hocon.js';
import { ConfigError } from './errors.js';
import { BASE_LISTENERS, configSchema } from './schema.js';
import { applySchema, checkCrossField, didYouMean } from './validate.js';
import type { BrokerConfig } from './types.js';

export { ConfigError } from './errors.js';
export type { ConfigIssue, ConfigErrorCode } from './errors.js';

/** Environment variables with this prefix override config keys; `__` separates levels. */
export const ENV_PREFIX = 'QUICMQ_';

export interface LoadConfigOptions {
  /** HOCON config file. Without one, the embedded defaults apply. */
  file?: string;
  /** Environment to read QUICMQ_* overrides from (pass process.env; default: none). */
  env?: NodeJS.ProcessEnv;
  /** "key.path=value" overrides, as given to `quicmq broker --set`. */
  overrides?: string[];
}

type RawObject = Record<string, unknown>;

function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) replaces, as HOCON duplicate keys do. */
export function deepMerge(base: RawObject, over: RawObject): RawObject {
  const out: RawObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function setPath(target: RawObject, path: string[], value: unknown): void {
  let cur = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(cur[key])) cur[key] = {};
    cur = cur[key] as RawObject;
  }
  cur[path[path.length - 1]!] = value;
}

/**
 * EMQX-style override value: parsed as a HOCON value (number, boolean, null, "string", [array],
 * {object}); text that is not a HOCON value (e.g. 0.0.0.0:1883) is taken as a plain string.
 */
export function parseOverrideValue(text: string): HoconValue {
  try {
    return parseHoconValue(text);
  } catch (e) {
    if (e instanceof HoconError) return text;
    throw e;
  }
}

function checkKeyPath(path: string[], source: string): void {
  if (path.length === 0 || path.some((p) => p === '')) {
    throw new ConfigError('CONFIG_INVALID', [{ path: '', message: `${source}: empty key segment` }]);
  }
  if (path.includes('__proto__')) throw new ConfigError('CONFIG_INVALID', [{ path: path.join('.'), message: `${source}: key not allowed` }]);
}

/**
 * QUICMQ_LISTENERS__QUIC__DEFAULT__BIND=0.0.0.0:14567 -> listeners.quic.default.bind. Variables whose
 * first segment is not a top-level config key (e.g. QUICMQ_HOME) are not config and are left alone.
 */
export function envOverrides(env: NodeJS.ProcessEnv): RawObject {
  const out: RawObject = {};
  const roots = Object.keys(configSchema.properties ?? {});
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX)) continue;
    const value = env[name];
    if (value === undefined) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__');
    if (!roots.includes(path[0]!)) continue;
    checkKeyPath(path, name);
    setPath(out, path, parseOverrideValue(value));
  }
  return out;
}

/** ["mqtt.max_inflight=64", ...] -> { mqtt: { max_inflight: 64 } }. */
export function flagOverrides(overrides: readonly string[]): RawObject {
  const out: RawObject = {};
  const roots = Object.keys(configSchema.properties ?? {});
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('CONFIG_INVALID', [{ path: '', message: `--set expects key.path=value, got ${JSON.stringify(item)}` }]);
    const path = item.slice(0, eq).trim().split('.');
    checkKeyPath(path, `--set ${item}`);
    if (!roots.includes(path[0]!)) {
      throw new ConfigError('CONFIG_INVALID', [{ path: path.join('.'), message: `unknown key${didYouMean(path[0]!, roots)}` }]);
    }
    setPath(out, path, parseOverrideValue(item.slice(eq + 1)));
  }
  return out;
}

function readFileLayer(file: string, env: NodeJS.ProcessEnv): RawObject {
  try {
    // HOCON.md: ${NAME} falls back to the environment.
    return parseHoconFile(file, { env });
  } catch (e) {
    if (e instanceof HoconError) throw new ConfigError('CONFIG_SYNTAX', [{ path: '', message: e.message }]);
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError('CONFIG_FILE', [{ path: '', message: `cannot read config file ${file}: ${err.code ?? err.message}` }]);
  }
}

/** The base layer: listeners that exist without any config (schema.ts BASE_LISTENERS). */
function baseLayer(): RawObject {
  return { listeners: structuredClone(BASE_LISTENERS) };
}

/** The configuration with no file, env or flags: every schema default. */
export function schemaDefaults(): BrokerConfig {
  return applySchema(baseLayer());
}

/**
 * Loads, merges and validates the configuration. Throws ConfigError: CONFIG_SYNTAX (file:line:col),
 * CONFIG_FILE (unreadable file) or CONFIG_INVALID (each issue names its key path).
 */
export function loadConfig(opts: LoadConfigOptions = {}): BrokerConfig {
  const env = opts.env ?? {};
  let raw = baseLayer();
  if (opts.file !== undefined) raw = deepMerge(raw, readFileLayer(opts.file, env));
  raw = deepMerge(raw, envOverrides(env));
  raw = deepMerge(raw, flagOverrides(opts.overrides ?? []));
  const config = applySchema(raw);
  checkCrossField(config);
  return config;
}
