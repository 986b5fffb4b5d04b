// Copy-on-write small lists for one connection's connection-ID state. Each list holds a handful of
// entries (bounded by active_connection_id_limit and the pending-retirement cap, RFC 9000 §5.1.1, §5.1.2)
// and changes only when a NEW_CONNECTION_ID or RETIRE_CONNECTION_ID is processed, a few times in a
// connection's life. A Map or Set allocates a hash table of several hundred bytes even when empty, and
// an array grown by push reserves room for 16 more entries; an exact-size array replaced on each change
// is a fraction of that, and the usual empty case is one shared array (nothing per connection).
// Lists are never mutated in place: they are typed readonly and only replaced.

/** The shared empty list. Never mutated: every change below returns a new array. */
export const NO_ENTRIES: readonly never[] = [];

/** A new list: `list` followed by `item`. */
export function appended<T>(list: readonly T[], item: T): readonly T[] {
  const out = new Array<T>(list.length + 1);
  for (let i = 0; i < list.length; i++) out[i] = list[i]!;
  out[list.length] = item;
  return out;
}

/** A new list without the entry at `index` (the shared empty list when none remain). */
export function removedAt<T>(list: readonly T[], index: number): readonly T[] {
  if (list.length <= 1) return NO_ENTRIES;
  const out = new Array<T>(list.length - 1);
  for (let i = 0, j = 0; i < list.length; i++) if (i !== index) out[j++] = list[i]!;
  return out;
}

/** A new list with the entry at `index` replaced by `item`. */
export function replacedAt<T>(list: readonly T[], index: number, item: T): readonly T[] {
  const out = new Array<T>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = i === index ? item : list[i]!;
  return out;
}

/** A new list without `value` (the same list when it is absent). */
export function without<T>(list: readonly T[], value: T): readonly T[] {
  const i = list.indexOf(value);
  return i < 0 ? list : removedAt(list, i);
}

/** Index of the entry with this sequence number, or -1. */
export function indexOfSequence(list: ReadonlyArray<{ readonly sequenceNumber: number }>, sequenceNumber: number): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.sequenceNumber === sequenceNumber) return i;
  return -1;
}

/**
 * One allocation for a connection ID and its 16-byte stateless reset token (RFC 9000 §10.3), both kept
 * for the ID's lifetime: two views of one backing store instead of two separate buffers. Copies, so the
 * stored values never alias a caller's (possibly pooled or reused) memory.
 */
export function packIdAndToken(cid: Uint8Array, token: Uint8Array): { connectionId: Uint8Array; statelessResetToken: Uint8Array } {
  const both = new Uint8Array(cid.byteLength + token.byteLength);
  both.set(cid, 0);
  both.set(token, cid.byteLength);
  return { connectionId: both.subarray(0, cid.byteLength), statelessResetToken: both.subarray(cid.byteLength) };
}
