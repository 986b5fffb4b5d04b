// Relations between two topic filters, for ACL rules on SUBSCRIBE (topic name vs filter matching is
// src/mqtt/topic.ts topicMatchesFilter). MQTT 5.0 §4.7: '/' separates levels, '+' is one level, '#' is
// the rest (including the parent level: "a/#" matches "a"), and a filter starting with a wildcard never
// matches a topic starting with '$' (§4.7.2 [MQTT-4.7.2-1]). Both arguments must be valid filters.

function isWild(level: string): boolean {
  return level === '+' || level === '#';
}

/**
 * Whether every topic that `inner` can match is also matched by `outer` (inner ⊆ outer). An ACL
 * "allow subscribe <outer>" allows subscribing to `inner` only then.
 */
export function filterCoveredBy(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  // §4.7.2: a wildcard at the first level of `outer` does not reach '$' topics that `inner` names.
  if (isWild(b[0]!) && a[0]!.startsWith('$')) return false;
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

/** Whether some topic name matches both filters. An ACL "deny subscribe <f>" applies to every overlap. */
export function filtersOverlap(f1: string, f2: string): boolean {
  const a = f1.split('/');
  const b = f2.split('/');
  // §4.7.2: a first-level wildcard does not match '$' topics, so it cannot meet a '$' literal.
  if ((isWild(a[0]!) && b[0]!.startsWith('$')) || (isWild(b[0]!) && a[0]!.startsWith('$'))) return false;
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
