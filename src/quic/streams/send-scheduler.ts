// Chooses which stream sends next. Streams with data are served round-robin within an urgency level,
// and lower urgency values first: the urgency levels of Extensible Priorities (RFC 9218 §4.1, 0..7,
// default 3) so stream priorities can be added later without changing the scheduler. Round-robin
// (rather than finishing one stream first) keeps one bulk stream from starving small MQTT flows.
import type { StreamId } from './stream-id.js';

/** RFC 9218 §4.1: urgency 0 (highest) to 7 (lowest), default 3. */
export const URGENCY_LEVELS = 8;

/** Throws RangeError unless `urgency` is an integer from 0 to URGENCY_LEVELS - 1 (the API's check). */
export function checkUrgency(urgency: number): void {
  if (!Number.isInteger(urgency) || urgency < 0 || urgency >= URGENCY_LEVELS) {
    throw new RangeError(`stream urgency must be an integer from 0 to ${URGENCY_LEVELS - 1}, got ${urgency}`);
  }
}
export const DEFAULT_URGENCY = 3;

interface Entry {
  readonly id: StreamId;
  readonly generation: number;
}

class Level {
  entries: Entry[] = [];
  head = 0;
}

export class SendScheduler {
  private readonly levels: Level[] = Array.from({ length: URGENCY_LEVELS }, () => new Level());
  // A stream is queued iff present here; entries with another generation are stale and skipped.
  private readonly queued = new Map<StreamId, { urgency: number; generation: number }>();
  private nextGeneration = 0;

  get size(): number {
    return this.queued.size;
  }

  has(id: StreamId): boolean {
    return this.queued.has(id);
  }

  /** Queues a stream (no-op if already queued at this urgency). */
  add(id: StreamId, urgency = DEFAULT_URGENCY): void {
    const level = Math.min(Math.max(Math.trunc(urgency), 0), URGENCY_LEVELS - 1);
    const current = this.queued.get(id);
    if (current !== undefined && current.urgency === level) return;
    const generation = this.nextGeneration++;
    this.queued.set(id, { urgency: level, generation });
    this.push(level, { id, generation });
  }

  remove(id: StreamId): void {
    this.queued.delete(id);
  }

  /** The stream to serve next, without dequeuing it. */
  peek(): StreamId | undefined {
    for (const level of this.levels) {
      const entry = this.firstValid(level);
      if (entry !== undefined) return entry.id;
    }
    return undefined;
  }

  /** After serving `id`: move it behind the other streams of its level (round-robin). */
  rotate(id: StreamId): void {
    const current = this.queued.get(id);
    if (current === undefined) return;
    const generation = this.nextGeneration++;
    this.queued.set(id, { urgency: current.urgency, generation });
    this.push(current.urgency, { id, generation });
  }

  private firstValid(level: Level): Entry | undefined {
    while (level.head < level.entries.length) {
      const entry = level.entries[level.head]!;
      if (this.queued.get(entry.id)?.generation === entry.generation) return entry;
      level.head++;
    }
    this.compact(level);
    return undefined;
  }

  private push(urgency: number, entry: Entry): void {
    const level = this.levels[urgency]!;
    level.entries.push(entry);
    // Stale entries are skipped lazily; compact before they can outnumber live ones, so memory stays
    // proportional to the number of queued streams whatever the add/remove pattern.
    if (level.entries.length - level.head > 2 * this.queued.size + 16) this.compact(level);
  }

  private compact(level: Level): void {
    level.entries = level.entries
      .slice(level.head)
      .filter((e) => this.queued.get(e.id)?.generation === e.generation);
    level.head = 0;
  }
}
