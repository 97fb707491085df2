import type { Clock } from './clock.ts';

export interface DeadlineSignal {
  /** Aborts when the parent signal aborts (with its reason) or when the deadline passes. */
  readonly signal: AbortSignal;
  /** Stops the timer; call it once the guarded work has settled. */
  dispose(): void;
}

/**
 * An AbortSignal that fires at an absolute time on the given clock, so work bounded by one
 * request deadline is cancelled when it passes, and tests can move that time by hand.
 */
export function createDeadlineSignal(
  clock: Clock,
  deadline: number,
  options: { parent?: AbortSignal; reason: () => unknown },
): DeadlineSignal {
  const controller = new AbortController();
  const timer = new AbortController();
  const { parent } = options;
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });

  if (!controller.signal.aborted) {
    clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).then(
      () => controller.abort(options.reason()),
      () => {},
    );
  }
  return {
    signal: controller.signal,
    dispose() {
      timer.abort();
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}
