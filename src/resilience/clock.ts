/**
 * Time as a dependency: every resilience primitive reads `now()` and waits with `sleep()`
 * through a Clock, so unit tests drive time by hand instead of sleeping for real.
 */
export interface Clock {
  /** Milliseconds; monotonic, and close to the Unix epoch so HTTP dates can be compared. */
  now(): number;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const maxTimerMs = 2 ** 31 - 1;

export function createSystemClock(): Clock {
  // timeOrigin + performance.now() never steps backwards when the wall clock is adjusted.
  const origin = performance.timeOrigin;
  return {
    now: () => origin + performance.now(),
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        const timer = setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          // setTimeout fires at once for delays past 2^31-1 ms; such a wait never ends in practice.
          Math.min(maxTimerMs, Math.max(0, ms)),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
  };
}

export interface ManualClock extends Clock {
  /**
   * Moves time forward by `ms`, resolving due sleeps one by one in the order they fall due
   * (ties in the order they were made); code woken by a sleep may start new sleeps, which are
   * honoured if they fall inside the same advance.
   */
  advance(ms: number): Promise<void>;
  /** Lets pending promise callbacks run without moving time. */
  settle(): Promise<void>;
  /** How many sleeps are waiting. */
  readonly pendingSleeps: number;
}

interface Sleeper {
  dueAt: number;
  seq: number;
  resolve: () => void;
}

const maxWakeupsPerAdvance = 10_000;

export function createManualClock(startAt = 0): ManualClock {
  let current = startAt;
  let seq = 0;
  const sleepers: Sleeper[] = [];

  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const nextDue = (): Sleeper | undefined => {
    let best: Sleeper | undefined;
    for (const sleeper of sleepers) {
      if (
        !best ||
        sleeper.dueAt < best.dueAt ||
        (sleeper.dueAt === best.dueAt && sleeper.seq < best.seq)
      ) {
        best = sleeper;
      }
    }
    return best;
  };

  return {
    now: () => current,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise((resolve, reject) => {
        const sleeper: Sleeper = {
          dueAt: current + Math.max(0, ms),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          const at = sleepers.indexOf(sleeper);
          if (at >= 0) sleepers.splice(at, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
      });
    },
    async advance(ms) {
      const target = current + ms;
      await settle();
      for (let wakeups = 0; ; wakeups++) {
        if (wakeups >= maxWakeupsPerAdvance) {
          throw new Error(
            `manual clock: more than ${maxWakeupsPerAdvance} wake-ups in one advance`,
          );
        }
        const due = nextDue();
        if (!due || due.dueAt > target) break;
        sleepers.splice(sleepers.indexOf(due), 1);
        current = Math.max(current, due.dueAt);
        due.resolve();
        await settle();
      }
      current = target;
      await settle();
    },
    settle,
    get pendingSleeps() {
      return sleepers.length;
    },
  };
}
