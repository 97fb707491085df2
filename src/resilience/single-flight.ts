/**
 * Concurrent calls for one key share one in-flight promise: N simultaneous cache misses
 * for the same chart make one upstream request. The key is released once it settles.
 */
export interface SingleFlight<T> {
  run(key: string, work: () => Promise<T>): Promise<T>;
  readonly inFlight: number;
}

export function createSingleFlight<T>(): SingleFlight<T> {
  const pending = new Map<string, Promise<T>>();
  return {
    run(key, work) {
      const existing = pending.get(key);
      if (existing) return existing;
      const promise = work().finally(() => pending.delete(key));
      pending.set(key, promise);
      return promise;
    },
    get inFlight() {
      return pending.size;
    },
  };
}
