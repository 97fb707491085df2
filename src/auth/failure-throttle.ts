export interface FailureThrottleOptions {
  /** Delay after the first failure; it doubles with each further one … */
  baseDelayMs?: number;
  /** … up to this. */
  maxDelayMs?: number;
  /** Failures older than this are forgotten. */
  forgetAfterMs?: number;
  /** Addresses remembered at most; the least recently failing are dropped first. */
  maxAddresses?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FailureThrottle {
  /**
   * Waits for this address's turn to have credentials checked; false, at once, when its turn
   * is further away than the longest delay (a flood of guesses is refused, not queued).
   */
  wait(address: string): Promise<boolean>;
  failed(address: string): void;
  /** Addresses currently remembered (for tests and the memory bound). */
  readonly size: number;
}

interface Entry {
  failures: number;
  /** No attempt from this address is checked before this time. */
  notBefore: number;
  lastFailure: number;
}

/**
 * Slows password guessing per client address: after failures, each check from that address
 * takes the next turn, spaced by a delay that doubles with every failure (capped), so parallel
 * guesses queue up instead of racing. Memory is bounded: a Map kept in least-recently-failed
 * order, trimmed from the front.
 */
export function createFailureThrottle(options: FailureThrottleOptions = {}): FailureThrottle {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const forgetAfter = options.forgetAfterMs ?? 15 * 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const entries = new Map<string, Entry>();
  const step = (failures: number) => Math.min(base * 2 ** Math.min(failures - 1, 30), max);

  const current = (address: string): Entry | undefined => {
    const entry = entries.get(address);
    if (entry && now() - entry.lastFailure > forgetAfter) {
      entries.delete(address);
      return undefined;
    }
    return entry;
  };

  return {
    async wait(address) {
      const entry = current(address);
      if (!entry) return true;
      const t = now();
      const turn = Math.max(t, entry.notBefore);
      if (turn - t > max) return false;
      entry.notBefore = turn + step(entry.failures);
      if (turn > t) await sleep(turn - t);
      return true;
    },
    failed(address) {
      const t = now();
      const entry = current(address) ?? { failures: 0, notBefore: t, lastFailure: t };
      entry.failures += 1;
      entry.notBefore = Math.max(entry.notBefore, t + step(entry.failures));
      entry.lastFailure = t;
      entries.delete(address);
      entries.set(address, entry);
      while (entries.size > maxAddresses) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
