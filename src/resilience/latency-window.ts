/**
 * The most recent latencies of one upstream, in a fixed-size ring, so the hedging delay
 * follows how the upstream behaves now and memory stays bounded.
 */
export interface LatencyWindow {
  record(ms: number): void;
  /** Nearest-rank percentile (0 < p ≤ 100) of what the window holds; undefined when empty. */
  percentile(p: number): number | undefined;
  readonly size: number;
}

export function createLatencyWindow(capacity = 100): LatencyWindow {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`latency window capacity must be a positive integer, got ${capacity}`);
  }
  const samples = new Float64Array(capacity);
  let next = 0;
  let size = 0;
  return {
    record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      samples[next] = ms;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    percentile(p) {
      if (size === 0) return undefined;
      const sorted = samples.slice(0, size).sort();
      const rank = Math.min(size, Math.max(1, Math.ceil((p / 100) * size)));
      return sorted[rank - 1];
    },
    get size() {
      return size;
    },
  };
}

/** One window per upstream, made on first use. */
export interface LatencyWindows {
  get(key: string): LatencyWindow;
}

export function createLatencyWindows(capacity = 100): LatencyWindows {
  const windows = new Map<string, LatencyWindow>();
  return {
    get(key) {
      let window = windows.get(key);
      if (!window) {
        window = createLatencyWindow(capacity);
        windows.set(key, window);
      }
      return window;
    },
  };
}
