// Network paths (RFC 9000 §9): the 4-tuple a connection uses, whether the peer's address on it is
// validated (§8), the anti-amplification budget before that (§8.1), and path validation with
// PATH_CHALLENGE / PATH_RESPONSE (§8.2).
import type { PathAddress } from './api.js';
import { PathSpin } from './spin-bit.js';

/** A spin bit that is off and always 0 (paths made without a connection's policy, e.g. in tests). */
const SPIN_OFF = (): PathSpin => new PathSpin(false, 0, ZERO_BYTES);
function ZERO_BYTES(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** RFC 9000 §8.1: before validation, at most three times the bytes received. */
export const AMPLIFICATION_FACTOR = 3;
/** RFC 9000 §19.17: PATH_CHALLENGE data is 8 bytes. */
export const PATH_CHALLENGE_LENGTH = 8;
/** PATH_RESPONSEs queued per path; more challenges than this in one flight are answered only in part (§8.2.2 allows it). */
export const MAX_PENDING_PATH_RESPONSES = 4;

export function pathKey(p: PathAddress): string {
  return `${p.local}|${p.remote}`;
}

export function samePath(a: PathAddress, b: PathAddress): boolean {
  return a.local === b.local && a.remote === b.remote;
}

/** "host:port" / "[v6]:port" -> host, to tell a port-only change (NAT rebinding, RFC 9000 §9.4) from a new address. */
export function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  return i < 0 ? address : address.slice(0, i);
}

export class NetworkPath {
  readonly address: PathAddress;
  /** The peer's address is validated (§8): no amplification limit. */
  validated: boolean;
  bytesReceived = 0;
  bytesSent = 0;
  /** Outstanding PATH_CHALLENGE data, waiting for a matching PATH_RESPONSE (§8.2.2). */
  challenge: Uint8Array | undefined;
  /** A PATH_CHALLENGE must (re)sent on this path. */
  challengePending = false;
  /** When validation is abandoned (§8.2.4). */
  validationDeadline: number | undefined;
  /** PATH_RESPONSE data to send on this path (§8.2.2: on the path the challenge arrived on). */
  readonly responsesPending: Uint8Array[] = [];
  /** The peer connection ID used on this path when it is not the current one (§9.5), and its sequence number. */
  peerCid: Uint8Array | undefined;
  peerCidSequence: number | undefined;
  /** The outstanding (or last) validation re-checks a path already validated (RFC 9000 §9.3.3). */
  revalidating = false;

  /** The latency spin bit on this path (RFC 9000 §17.4); off unless the connection gives one. */
  readonly spin: PathSpin;

  constructor(address: PathAddress, validated: boolean, spin: PathSpin = SPIN_OFF()) {
    this.address = { local: address.local, remote: address.remote };
    this.validated = validated;
    this.spin = spin;
  }

  /** Bytes we may still send to an unvalidated address (RFC 9000 §8.1). */
  get amplificationBudget(): number {
    if (this.validated) return Number.POSITIVE_INFINITY;
    return Math.max(0, AMPLIFICATION_FACTOR * this.bytesReceived - this.bytesSent);
  }

  queueResponse(data: Uint8Array): void {
    if (this.responsesPending.length >= MAX_PENDING_PATH_RESPONSES) this.responsesPending.shift();
    this.responsesPending.push(Uint8Array.from(data));
  }

  /** `revalidation`: re-checking a path validated before (its success is not news, RFC 9000 §9.3.3). */
  startValidation(challenge: Uint8Array, deadline: number, revalidation = false): void {
    this.revalidating = revalidation;
    this.challenge = challenge;
    this.challengePending = true;
    this.validationDeadline = deadline;
  }

  /** A PATH_RESPONSE arrived; true when it validates this path (§8.2.3). */
  onResponse(data: Uint8Array): boolean {
    const c = this.challenge;
    if (c === undefined || c.length !== data.length) return false;
    for (let i = 0; i < c.length; i++) if (c[i] !== data[i]) return false;
    this.validated = true;
    this.challenge = undefined;
    this.challengePending = false;
    this.validationDeadline = undefined;
    return true;
  }
}

/** What happened when path validation timers ran. */
export interface ValidationExpiry {
  /** The current path failed validation and the connection went back to `to` (RFC 9000 §9.3.2). */
  reverted?: { from: PathAddress; to: PathAddress };
}

/**
 * The connection's paths: the one it sends on, the previous one (kept to fall back to while a new path
 * is validated, RFC 9000 §9.3.2) and paths only probed so far (PATH_CHALLENGE / PATH_RESPONSE, §9.1).
 */
export class PathManager {
  current: NetworkPath;
  previous: NetworkPath | undefined;
  private readonly probes = new Map<string, NetworkPath>();
  private readonly maxProbes: number;
  /** New paths start validated for a client: it knows the server's address (RFC 9000 §8). */
  private readonly newPathsValidated: boolean;

  constructor(
    initial: PathAddress,
    validated: boolean,
    newPathsValidated: boolean,
    maxProbes: number,
    private readonly newSpin: () => PathSpin = SPIN_OFF,
  ) {
    this.current = new NetworkPath(initial, validated, newSpin());
    this.newPathsValidated = newPathsValidated;
    this.maxProbes = maxProbes;
  }

  all(): NetworkPath[] {
    const list = [this.current, ...this.probes.values()];
    if (this.previous !== undefined) list.push(this.previous);
    return list;
  }

  /** The path for an address pair, created as a probe path if new (bounded: the oldest probe goes). */
  get(addr: PathAddress): NetworkPath {
    if (samePath(addr, this.current.address)) return this.current;
    if (this.previous !== undefined && samePath(addr, this.previous.address)) return this.previous;
    const key = pathKey(addr);
    let p = this.probes.get(key);
    if (p === undefined) {
      if (this.probes.size >= this.maxProbes) this.probes.delete(this.probes.keys().next().value as string);
      p = new NetworkPath(addr, this.newPathsValidated, this.newSpin());
      this.probes.set(key, p);
    }
    return p;
  }

  /** Makes `path` the one we send on; the old one is kept to fall back to. Returns the old address. */
  switchTo(path: NetworkPath): PathAddress {
    const from = { ...this.current.address };
    this.probes.delete(pathKey(path.address));
    if (path !== this.current) {
      this.previous = this.current;
      this.current = path;
    }
    return from;
  }

  /**
   * A PATH_RESPONSE arrived: the path it validates, if any (RFC 9000 §8.2.3). The previous path stays
   * known with its validation state, so a NAT rebinding back to it needs no new validation (§9.3).
   */
  onResponse(data: Uint8Array): NetworkPath | undefined {
    for (const p of this.all()) if (p.onResponse(data)) return p;
    return undefined;
  }

  /** Abandons validations past their deadline (RFC 9000 §8.2.4). */
  expire(now: number): ValidationExpiry {
    const result: ValidationExpiry = {};
    for (const p of this.all()) {
      if (p.validationDeadline === undefined || now < p.validationDeadline) continue;
      p.validationDeadline = undefined;
      p.challenge = undefined;
      p.challengePending = false;
      if (p === this.current && this.previous !== undefined) {
        // RFC 9000 §9.3.2: return to the last validated path.
        const from = { ...this.current.address };
        this.current = this.previous;
        this.previous = undefined;
        result.reverted = { from, to: { ...this.current.address } };
      } else if (p !== this.current && p !== this.previous) {
        this.probes.delete(pathKey(p.address));
      }
      // The previous path stays known even when its re-validation (RFC 9000 §9.3.3) went unanswered: the
      // peer's address there was validated recently, so a NAT rebinding back may skip validation (§9.3).
    }
    return result;
  }

  /** Paths other than the current one exist (the per-datagram check before looking at them). */
  get hasOtherPaths(): boolean {
    return this.previous !== undefined || this.probes.size > 0;
  }

  /** Earliest validation deadline. */
  nextDeadline(): number | undefined {
    let t = this.current.validationDeadline;
    if (!this.hasOtherPaths) return t;
    for (const p of this.all()) if (p.validationDeadline !== undefined && (t === undefined || p.validationDeadline < t)) t = p.validationDeadline;
    return t;
  }
}
