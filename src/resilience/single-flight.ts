/**
 * Concurrent calls for one key share one in-flight promise: N simultaneous cache misses
 * for the same chart make one upstream request. The shared work is aborted only when every
 * caller that came with a signal has gone away (and none came without one), unless it
 * `outlivesCallers`; a caller that leaves early is released at once. The key is free again
 * once the work settles.
 */
export interface SingleFlight<T> {
  run(
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    callerSignal?: AbortSignal,
  ): Promise<T>;
  readonly inFlight: number;
}

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  /** Callers still waiting; Infinity once one came without a signal. */
  waiting: number;
}

export interface SingleFlightOptions {
  /**
   * The work runs to its end even when every caller has left: for work whose result is kept
   * for the callers after them (an index refresh), which clients that time out sooner than
   * the upstream answers would otherwise cancel again and again.
   */
  outlivesCallers?: boolean;
}

export function createSingleFlight<T>(options: SingleFlightOptions = {}): SingleFlight<T> {
  const pending = new Map<string, Flight<T>>();

  function start(key: string, work: (signal: AbortSignal) => Promise<T>): Flight<T> {
    const controller = new AbortController();
    const promise = work(controller.signal).finally(() => pending.delete(key));
    promise.catch(() => {}); // every caller may have left; the rejection is theirs to see, not the process's
    const flight = { promise, controller, waiting: 0 };
    pending.set(key, flight);
    return flight;
  }

  return {
    run(key, work, callerSignal) {
      const flight = pending.get(key) ?? start(key, work);
      if (!callerSignal) {
        flight.waiting = Number.POSITIVE_INFINITY;
        return flight.promise;
      }
      flight.waiting += 1;
      return new Promise<T>((resolve, reject) => {
        const leave = () => {
          flight.waiting -= 1;
          if (flight.waiting <= 0 && !options.outlivesCallers)
            flight.controller.abort(callerSignal.reason);
          reject(callerSignal.reason);
        };
        if (callerSignal.aborted) return leave();
        callerSignal.addEventListener('abort', leave, { once: true });
        flight.promise.then(
          (value) => {
            callerSignal.removeEventListener('abort', leave);
            resolve(value);
          },
          (error: unknown) => {
            callerSignal.removeEventListener('abort', leave);
            reject(error);
          },
        );
      });
    },
    get inFlight() {
      return pending.size;
    },
  };
}
