import type { SyncProgress, SyncResult } from './run-sync.ts';

/** The end-of-run summary for people: totals, then one line per problem. */
export function renderSyncSummary(result: SyncResult): string {
  const { counts } = result;
  const total = result.items.length;
  const parts = [
    `${counts.fetched} fetched`,
    `${counts.cached} already in the store`,
    ...(counts.absent ? [`${counts.absent} without provenance upstream`] : []),
    ...(counts.stale ? [`${counts.stale} stale`] : []),
    `${counts.failed} failed`,
  ];
  const lines = [
    `${result.interrupted ? 'sync interrupted' : 'sync done'}: ${total} items, ${parts.join(', ')}; ${formatBytes(result.bytesFetched)} fetched in ${(result.durationMs / 1000).toFixed(1)} s`,
  ];
  for (const item of result.items) {
    if (item.status !== 'failed' && item.status !== 'stale') continue;
    const what = `${item.kind} ${item.source}/${item.name}`;
    lines.push(
      `  ${item.status === 'failed' ? 'FAILED' : 'STALE '} ${what}: ${item.error?.code}: ${item.error?.message}`,
    );
  }
  if (result.interrupted)
    lines.push('run the same command again to resume: what is stored is not fetched again');
  return `${lines.join('\n')}\n`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export interface ProgressBarStream {
  write(text: string): unknown;
  columns?: number;
}

export interface ProgressBar {
  update(progress: SyncProgress): void;
  /** Clears the bar so the summary starts on a clean line. */
  done(): void;
}

/**
 * A one-line progress bar redrawn in place (carriage return, erase line) for a terminal; at
 * most every `intervalMs`, so thousands of small charts do not flood the terminal.
 */
export function createProgressBar(
  stream: ProgressBarStream,
  { intervalMs = 100, now = () => performance.now() } = {},
): ProgressBar {
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(progress) {
      const at = now();
      if (at - last < intervalMs && progress.done < progress.total) return;
      last = at;
      stream.write(`\r\x1b[2K${renderProgressLine(progress, stream.columns ?? 80)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

export function renderProgressLine(progress: SyncProgress, columns: number): string {
  const width = 24;
  const ratio = progress.total === 0 ? 0 : Math.min(1, progress.done / progress.total);
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const failed = progress.failed ? `, ${progress.failed} failed` : '';
  const head = `${bar} ${progress.done}/${progress.total}${failed}`;
  const room = columns - head.length - 2;
  const current = progress.current && room > 8 ? ` ${clip(progress.current, room)}` : '';
  return `${head}${current}`;
}

function clip(text: string, room: number): string {
  return text.length <= room ? text : `…${text.slice(text.length - room + 1)}`;
}
