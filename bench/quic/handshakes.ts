// Handshakes per second: connection set-up until the handshake is complete, then close, repeated for a
// bounded time by `concurrency` loops at once. Closing is started but not waited for inside the loop: a
// closed QUIC connection lingers for its closing period (three PTOs, RFC 9000 §10.2) doing nothing, and a
// TCP socket's close is the kernel's business; both are awaited (bounded) after the clock stops.
import type { Dialer } from './dialers.js';

/** Closes still pending after the measurement are given this long before we give up on them. */
const CLOSE_WAIT_MS = 15_000;
/** At most this many error messages are kept per measurement (the rest are counted). */
const MAX_ERRORS_KEPT = 3;

export interface HandshakeSettings {
  durationMs: number;
  /** Upper bound on handshakes per measurement, whatever the time. */
  maxHandshakes: number;
  concurrency: number;
  resume: boolean;
}

export interface HandshakeResult {
  transport: string;
  concurrency: number;
  resume: boolean;
  completed: number;
  /** Dials that claimed resumption but got a full handshake (resume runs only). */
  notResumed: number;
  failed: number;
  elapsedMs: number;
  perSecond: number;
  errors: string[];
}

export async function measureHandshakes(dialer: Dialer, s: HandshakeSettings): Promise<HandshakeResult> {
  const errors: string[] = [];
  const closes: Array<Promise<void>> = [];
  let started = 0;
  let completed = 0;
  let notResumed = 0;
  let failed = 0;
  const t0 = performance.now();
  const deadline = t0 + s.durationMs;
  let lastDone = t0;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline && started < s.maxHandshakes) {
      started++;
      try {
        const c = await dialer.dial(s.resume);
        completed++;
        lastDone = performance.now();
        if (s.resume && !c.resumed) notResumed++;
        closes.push(c.close().catch(() => undefined));
      } catch (e) {
        failed++;
        if (errors.length < MAX_ERRORS_KEPT) errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: s.concurrency }, loop));
  const elapsedMs = lastDone - t0;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closes), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
  clearTimeout(timer);
  return {
    transport: dialer.name,
    concurrency: s.concurrency,
    resume: s.resume,
    completed,
    notResumed,
    failed,
    elapsedMs,
    perSecond: elapsedMs > 0 ? (completed * 1000) / elapsedMs : 0,
    errors,
  };
}
