// Config value syntaxes shared by the schema, the loader and the listeners: durations, byte sizes and
// bind addresses. Each parser returns undefined for text it does not accept, so the caller words the error
// with the key path.
import { isIP } from 'node:net';

// Units as in EMQX/HOCON durations ("15s", "2h", "500ms", "1h30m").
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;

/** "15s" -> 15000, "1h30m" -> 5400000, "250" -> 250 (a bare number is milliseconds). */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  let rest = input.trim().toLowerCase();
  if (/^\d+$/.test(rest)) return Number(rest);
  if (rest === '') return undefined;
  let total = 0;
  while (rest.length > 0) {
    const m = DURATION.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

// Binary multiples, as EMQX reads "1MB" (1048576 bytes).
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/;

/** "1MB" -> 1048576, "64KB" -> 65536, "512" -> 512 (a bare number is bytes). */
export function parseSize(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  const m = SIZE.exec(input.trim().toLowerCase());
  if (!m) return undefined;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? 'b']!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export interface BindAddress {
  /** IP address or host name; "" never (a bare port binds the IPv4 and IPv6 wildcard, "::"). */
  host: string;
  port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * "0.0.0.0:1883", "127.0.0.1:0", "[::1]:14567", "localhost:1883" or a bare "1883" (all interfaces).
 * Port 0 asks the OS for a free port. IPv6 literals need brackets, so "host:port" is never ambiguous.
 */
export function parseBind(input: string | number): BindAddress | undefined {
  const text = String(input).trim();
  let host: string;
  let portText: string;
  if (/^\d+$/.test(text)) {
    host = '::';
    portText = text;
  } else if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return undefined;
    host = text.slice(1, end);
    portText = text.slice(end + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return undefined; // an IPv6 literal without brackets
    if (isIP(host) !== 4 && !HOSTNAME.test(host)) return undefined;
  }
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  return { host, port };
}

/** true when the host is a wildcard address that overlaps every other address of the machine. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}
