import { metricValue } from '../test/support/http.ts';
import { type ProcessMemory, readProcessMemory } from './proc-stats.ts';

export interface BallastMemory extends ProcessMemory {
  /** From Ballast's own /metrics: what the JS heap holds and what lives outside it (Buffers). */
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

/** RSS from /proc plus V8's view from /metrics, to tell heap growth from code and buffers. */
export async function readBallastMemory(pid: number, url: string): Promise<BallastMemory> {
  // /proc first: the /metrics request must not be what the figure measures.
  const memory = readProcessMemory(pid);
  const [heapUsedBytes, heapTotalBytes, externalBytes] = await Promise.all(
    ['heap_size_used_bytes', 'heap_size_total_bytes', 'external_memory_bytes'].map((name) =>
      metricValue(url, `ballast_nodejs_${name}`),
    ),
  );
  return {
    ...memory,
    heapUsedBytes: heapUsedBytes as number,
    heapTotalBytes: heapTotalBytes as number,
    externalBytes: externalBytes as number,
  };
}
