// Topic names and topic filters: validation, shared-subscription syntax, matching, and relations between
// two filters.
// MQTT 5.0 §4.7 (3.1.1 §4.7 is the same apart from shared subscriptions, 5.0 §4.8.2).

/** Limits a broker applies on top of the spec's own rules. */
export interface TopicLimits {
  /** Largest number of levels a name or filter may have; 0 = unlimited. */
  maxLevels: number;
}

export type TopicCheck = { ok: true } | { ok: false; reason: string };

// MQTT 5.0 §1.5.4: a UTF-8 string is at most 65535 bytes; §4.7.3 names and filters are at least one
// character long.
const MAX_UTF8_BYTES = 65535;

/**
 * The fixed `reason` texts of a failed TopicCheck, so a caller can word the failure its own way (the
 * client throws its own messages); a max-levels failure reads "more than N levels".
 */
export const TopicProblem = {
  Empty: 'empty',
  TooLong: `longer than ${MAX_UTF8_BYTES} bytes`,
  ContainsNul: 'contains U+0000',
  WildcardInName: 'contains a wildcard',
  MultiLevelWildcardMisplaced: "'#' not alone in the last level",
  SingleLevelWildcardMisplaced: "'+' not alone in its level",
} as const;

const OK: TopicCheck = { ok: true };

function checkCommon(s: string, limits: TopicLimits): TopicCheck | undefined {
  if (s.length === 0) return { ok: false, reason: TopicProblem.Empty };
  if (Buffer.byteLength(s, 'utf8') > MAX_UTF8_BYTES) return { ok: false, reason: TopicProblem.TooLong };
  // MQTT 5.0 §1.5.4: a UTF-8 encoded string MUST NOT include U+0000.
  if (s.includes('\u0000')) return { ok: false, reason: TopicProblem.ContainsNul };
  if (limits.maxLevels > 0 && countLevels(s) > limits.maxLevels) {
    return { ok: false, reason: `more than ${limits.maxLevels} levels` };
  }
  return undefined;
}

function countLevels(s: string): number {
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0x2f /* / */) n++;
  return n;
}

/** MQTT 5.0 §4.7.3 and §3.3.2.1: a topic name is non-empty and has no wildcard characters. */
export function validateTopicName(name: string, limits: TopicLimits = { maxLevels: 0 }): TopicCheck {
  const common = checkCommon(name, limits);
  if (common) return common;
  // MQTT 5.0 §3.3.2.1 [MQTT-3.3.2-2]: the Topic Name in a PUBLISH MUST NOT contain wildcards.
  if (name.includes('+') || name.includes('#')) return { ok: false, reason: TopicProblem.WildcardInName };
  return OK;
}

/**
 * MQTT 5.0 §4.7.1: '#' only as the whole last level; '+' only as a whole level. Applies to the filter
 * part of a shared subscription as well (call parseSharedFilter first).
 */
export function validateTopicFilter(filter: string, limits: TopicLimits = { maxLevels: 0 }): TopicCheck {
  const common = checkCommon(filter, limits);
  if (common) return common;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#')) {
      // §4.7.1.2 [MQTT-4.7.1-1]: the multi-level wildcard MUST be the last character, alone in its level.
      if (level !== '#' || i !== levels.length - 1) return { ok: false, reason: TopicProblem.MultiLevelWildcardMisplaced };
    } else if (level.includes('+') && level !== '+') {
      // §4.7.1.3 [MQTT-4.7.1-2]: the single-level wildcard MUST occupy an entire level.
      return { ok: false, reason: TopicProblem.SingleLevelWildcardMisplaced };
    }
  }
  return OK;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

export interface SharedFilter {
  group: string;
  filter: string;
}

const SHARE_PREFIX = '$share/';

export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Splits "$share/{ShareName}/{filter}" (MQTT 5.0 §4.8.2). Returns an error for a malformed share:
 * the ShareName MUST be at least one character, MUST NOT contain '/', '+' or '#' [MQTT-4.8.2-1,2],
 * and a filter MUST follow.
 */
export function parseSharedFilter(full: string): SharedFilter | { error: string } {
  const rest = full.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return { error: 'shared subscription without share name or filter' };
  const group = rest.slice(0, slash);
  if (group.includes('+') || group.includes('#')) return { error: 'share name contains a wildcard' };
  const filter = rest.slice(slash + 1);
  if (filter.length === 0) return { error: 'shared subscription without a topic filter' };
  return { group, filter };
}

/**
 * Whether a topic name matches a filter (MQTT 5.0 §4.7). Topics starting with '$' are not matched by
 * a filter starting with a wildcard (§4.7.2 [MQTT-4.7.2-1]).
 */
export function topicMatchesFilter(topic: string, filter: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const t = topic.split('/');
  const f = filter.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i]!;
    if (level === '#') return true; // also matches the parent level: "a/#" matches "a" (§4.7.1.2)
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return t.length === f.length;
}

function isWildcardLevel(level: string): boolean {
  return level === '+' || level === '#';
}

/**
 * Whether every topic that filter `inner` can match is also matched by filter `outer` (inner ⊆ outer);
 * an ACL "allow subscribe <outer>" allows subscribing to `inner` only then. Both must be valid filters.
 * MQTT 5.0 §4.7: '+' is one level, '#' the rest including the parent level ("a/#" matches "a").
 */
export function filterCoveredBy(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  // §4.7.2: a wildcard at the first level of `outer` does not reach '$' topics that `inner` names.
  if (isWildcardLevel(b[0]!) && a[0]!.startsWith('$')) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i];
    if (y === '#') return true;
    if (y === undefined) return false; // inner is longer: its extra levels are not matched by outer
    if (x === '#') return false; // inner reaches any depth here, outer does not ('#' handled above)
    if (x === '+') {
      if (y !== '+') return false;
    } else if (y !== '+' && y !== x) {
      return false;
    }
  }
  // Same length: covered. Outer longer: only "outer/#" also matches inner's topics (parent level).
  return b.length === a.length || (b.length === a.length + 1 && b[a.length] === '#');
}

/**
 * Whether some topic name matches both filters; an ACL "deny subscribe <f>" applies to every overlap.
 * Both must be valid filters (MQTT 5.0 §4.7).
 */
export function filtersOverlap(f1: string, f2: string): boolean {
  const a = f1.split('/');
  const b = f2.split('/');
  // §4.7.2: a first-level wildcard does not match '$' topics, so it cannot meet a '$' literal.
  if ((isWildcardLevel(a[0]!) && b[0]!.startsWith('$')) || (isWildcardLevel(b[0]!) && a[0]!.startsWith('$'))) return false;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    // '#' matches the rest, including nothing more ("a/#" matches "a"), so it meets anything here.
    if (x === '#' || y === '#') return true;
    // One filter ends while the other needs more levels (not '#'): no topic has both lengths.
    if (x === undefined || y === undefined) return false;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
  return true;
}
