// Counters shared by all clients of one load worker: what was sent, received and acknowledged in the
// measured window, the latency histogram, and a bounded list of unexpected events.
import { LatencyHistogram, type HistogramSnapshot } from './histogram.js';

/** Unexpected events kept per worker, so a broker that drops everyone cannot fill memory. */
const MAX_ERRORS_KEPT = 10;

/** Counters shared by all clients of one worker, zeroed at the start of the measured window. */
export class LoadStats {
  sent = 0;
  received = 0;
  acked = 0;
  readonly histogram = new LatencyHistogram();
  private readonly errors: string[] = [];
  private errorsDropped = 0;

  noteError(message: string): void {
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push(message);
    else this.errorsDropped++;
  }

  /** Zeroes the counters; errors are kept until clearErrors(), so those from the warm-up are reported. */
  reset(): void {
    this.sent = 0;
    this.received = 0;
    this.acked = 0;
    this.histogram.reset();
  }

  clearErrors(): void {
    this.errors.length = 0;
    this.errorsDropped = 0;
  }

  snapshot(): { sent: number; received: number; acked: number; histogram: HistogramSnapshot; errors: string[] } {
    const errors = this.errorsDropped > 0 ? [...this.errors, `... and ${this.errorsDropped} more`] : [...this.errors];
    return { sent: this.sent, received: this.received, acked: this.acked, histogram: this.histogram.snapshot(), errors };
  }
}
