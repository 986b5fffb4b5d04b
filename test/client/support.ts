// Shared bits of the client tests: bounded waits and unique topics.
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';

/** Rejects if `promise` has not settled within `ms` (every wait in these tests is bounded). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the next `event`, bounded by `ms`. */
export function nextEvent<T extends unknown[]>(emitter: EventEmitter, event: string, ms: number): Promise<T> {
  return within(new Promise<T>((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T))), ms, `event "${event}"`);
}

/** A topic prefix no other test (or earlier run against the same broker) uses. */
export function uniqueTopic(name: string): string {
  return `quicmq-test/${randomBytes(4).toString('hex')}/${name}`;
}

export const WAIT_MS = 5_000;
