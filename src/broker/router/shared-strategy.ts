// How one message to a $share group picks its receiver (MQTT 5.0 §4.8.2 leaves the choice to the
// server; the strategies are EMQX's: round_robin, random, sticky, hash_clientid).
import { createHash } from 'node:crypto';

export type SharedStrategyName = 'round_robin' | 'random' | 'sticky' | 'hash_clientid';

export interface SharedPickContext {
  /** Client id of the publisher (hash_clientid); undefined for broker-originated messages. */
  publisher: string | undefined;
}

/** Chooses among a group's candidate members (already filtered to the preferred ones, never empty). */
export class SharedGroupPicker {
  private cursor = 0;
  private stickyMember: string | undefined;

  constructor(
    private readonly strategy: SharedStrategyName,
    private readonly random: () => number = Math.random,
  ) {}

  pick(candidates: readonly string[], ctx: SharedPickContext): string {
    switch (this.strategy) {
      case 'round_robin': {
        const chosen = candidates[this.cursor % candidates.length]!;
        this.cursor = (this.cursor + 1) % Number.MAX_SAFE_INTEGER;
        return chosen;
      }
      case 'random':
        return candidates[Math.min(candidates.length - 1, Math.floor(this.random() * candidates.length))]!;
      case 'sticky':
        // Keep the same member for as long as it remains a candidate.
        if (this.stickyMember === undefined || !candidates.includes(this.stickyMember)) {
          this.stickyMember = candidates[Math.min(candidates.length - 1, Math.floor(this.random() * candidates.length))]!;
        }
        return this.stickyMember;
      case 'hash_clientid': {
        const h = createHash('sha256').update(ctx.publisher ?? '').digest();
        return candidates[h.readUInt32BE(0) % candidates.length]!;
      }
    }
  }
}
