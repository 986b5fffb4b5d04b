// mosquitto_sub-compatible output formats (-F): %-parameters of the message, @-time fields and
// \-escapes, with printf-style flags, width and precision. Output is bytes, since %p and %D are raw.
import type { ReceivedMessage } from './client.js';

const ZERO_PADDABLE = new Set(['A', 'E', 'F', 'l', 'm', 'S', 'x', 'X']);
const WIDTH_APPLIES = new Set(['A', 'C', 'E', 'F', 'I', 'l', 'm', 'p', 'R', 'S', 't', 'x', 'X']);
const PRECISION_APPLIES = new Set(['C', 'I', 'R', 't']);

const ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  '0': '\0',
  a: '\x07',
  e: '\x1b',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "+0100" style offset of local time (ISO 8601 basic, as mosquitto prints it). */
function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** 2016-08-10T09:47:38+0100 (local time), optionally with microseconds (for %j). */
function isoTime(date: Date, withMicros = false): string {
  const base = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}T${pad2(date.getHours())}:${pad2(
    date.getMinutes(),
  )}:${pad2(date.getSeconds())}`;
  const micros = withMicros ? `.${String(date.getMilliseconds() * 1000).padStart(6, '0')}` : '';
  return `${base}${micros}${utcOffset(date)}`;
}

function nanoseconds(date: Date): string {
  return String(date.getMilliseconds() * 1_000_000).padStart(9, '0');
}

/** The @-fields supported (a portable subset of strftime(3)); others are printed as written. */
function timeField(c: string, date: Date): string | undefined {
  switch (c) {
    case 'Y':
      return String(date.getFullYear());
    case 'm':
      return pad2(date.getMonth() + 1);
    case 'd':
      return pad2(date.getDate());
    case 'H':
      return pad2(date.getHours());
    case 'M':
      return pad2(date.getMinutes());
    case 'S':
      return pad2(date.getSeconds());
    case 'F':
      return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
    case 'T':
      return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
    case 'z':
      return utcOffset(date);
    case 's':
      return String(Math.floor(date.getTime() / 1000));
    case 'N':
      return nanoseconds(date);
    case '@':
      return '@';
    default:
      return undefined;
  }
}

function userPropertyPairs(m: ReceivedMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(m.properties.userProperties ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push([key, v]);
  }
  return pairs;
}

function jsonProperties(m: ReceivedMessage): Record<string, unknown> | undefined {
  const p = m.properties;
  const out: Record<string, unknown> = {};
  if (p.contentType !== undefined) out['content-type'] = p.contentType;
  if (p.correlationData !== undefined) out['correlation-data'] = Buffer.from(p.correlationData).toString('utf8');
  if (p.messageExpiryInterval !== undefined) out['message-expiry-interval'] = p.messageExpiryInterval;
  if (p.payloadFormatIndicator !== undefined) out['payload-format-indicator'] = p.payloadFormatIndicator ? 1 : 0;
  if (p.responseTopic !== undefined) out['response-topic'] = p.responseTopic;
  if (p.topicAlias !== undefined) out['topic-alias'] = p.topicAlias;
  if (p.subscriptionIdentifier !== undefined) out['subscription-identifier'] = p.subscriptionIdentifier;
  const pairs = userPropertyPairs(m);
  if (pairs.length > 0) out['user-properties'] = pairs.map(([k, v]) => ({ [k]: v }));
  return Object.keys(out).length > 0 ? out : undefined;
}

/** %j (payload as a JSON string) and %J (payload embedded as JSON when it is valid JSON). */
function json(m: ReceivedMessage, date: Date, rawPayload: boolean): string {
  const text = m.payload.toString('utf8');
  let payload: unknown = text;
  if (rawPayload) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = text; // not JSON: fall back to a string rather than printing invalid JSON
    }
  }
  const properties = jsonProperties(m);
  return JSON.stringify({
    tst: isoTime(date, true),
    topic: m.topic,
    qos: m.qos,
    retain: m.retain ? 1 : 0,
    payloadlen: m.payload.length,
    ...(m.messageId === undefined ? {} : { mid: m.messageId }),
    ...(properties === undefined ? {} : { properties }),
    payload,
  });
}

/** The value of one %-parameter, or undefined for an unknown letter. */
function parameter(c: string, m: ReceivedMessage, date: Date): string | Buffer | undefined {
  const p = m.properties;
  switch (c) {
    case '%':
      return '%';
    case 'A':
      return p.topicAlias === undefined ? '' : String(p.topicAlias);
    case 'C':
      return p.contentType ?? '';
    case 'D':
      return p.correlationData === undefined ? '' : Buffer.from(p.correlationData);
    case 'E':
      return p.messageExpiryInterval === undefined ? '' : String(p.messageExpiryInterval);
    case 'F':
      return p.payloadFormatIndicator === undefined ? '' : p.payloadFormatIndicator ? '1' : '0';
    case 'l':
      return String(m.payload.length);
    case 'm':
      return String(m.messageId ?? 0);
    case 'P':
      return userPropertyPairs(m)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ');
    case 'p':
      return m.payload;
    case 'q':
      return String(m.qos);
    case 'R':
      return p.responseTopic ?? '';
    case 'r':
      return m.retain ? '1' : '0';
    case 'S':
      return p.subscriptionIdentifier === undefined ? '' : [p.subscriptionIdentifier].flat().join(',');
    case 't':
      return m.topic;
    case 'x':
      return m.payload.toString('hex');
    case 'X':
      return m.payload.toString('hex').toUpperCase();
    case 'I':
      return isoTime(date);
    case 'U':
      return `${Math.floor(date.getTime() / 1000)}.${nanoseconds(date)}`;
    case 'j':
      return json(m, date, false);
    case 'J':
      return json(m, date, true);
    default:
      return undefined;
  }
}

function applyWidth(value: string | Buffer, c: string, flags: string, width: number, precision: number | undefined): string | Buffer {
  let v = value;
  if (precision !== undefined && PRECISION_APPLIES.has(c) && typeof v === 'string' && v.length > precision) v = v.slice(0, precision);
  if (!WIDTH_APPLIES.has(c) || width <= v.length) return v;
  const fill = width - v.length;
  if (flags.includes('-')) return typeof v === 'string' ? v + ' '.repeat(fill) : Buffer.concat([v, Buffer.from(' '.repeat(fill))]);
  const padChar = flags.includes('0') && ZERO_PADDABLE.has(c) ? '0' : ' ';
  return typeof v === 'string' ? padChar.repeat(fill) + v : Buffer.concat([Buffer.from(padChar.repeat(fill)), v]);
}

/** Formats one message with a mosquitto_sub -F template (no newline is added). */
export function formatMessage(template: string, message: ReceivedMessage, now: Date = new Date()): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  const flush = (): void => {
    if (text.length > 0) parts.push(Buffer.from(text, 'utf8'));
    text = '';
  };
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '%') {
      const spec = /^([-0]*)(\d*)(?:\.(\d+))?(.)/.exec(template.slice(i + 1));
      if (spec === null) {
        text += c;
        continue;
      }
      const [whole, flags = '', widthText = '', precisionText, letter = ''] = spec;
      const value = parameter(letter, message, now);
      if (value === undefined) {
        text += c;
        continue;
      }
      const formatted = applyWidth(value, letter, flags, widthText === '' ? 0 : Number(widthText), precisionText === undefined ? undefined : Number(precisionText));
      if (typeof formatted === 'string') text += formatted;
      else {
        flush();
        parts.push(formatted);
      }
      i += whole.length;
    } else if (c === '@' && i + 1 < template.length) {
      const field = timeField(template[i + 1] as string, now);
      if (field === undefined) text += c;
      else {
        text += field;
        i++;
      }
    } else if (c === '\\' && i + 1 < template.length) {
      const escaped = ESCAPES[template[i + 1] as string];
      if (escaped === undefined) text += c;
      else {
        text += escaped;
        i++;
      }
    } else text += c;
  }
  flush();
  return Buffer.concat(parts);
}
