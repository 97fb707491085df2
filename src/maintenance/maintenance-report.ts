import { formatBytes } from '../sync/sync-report.ts';
import type { GcReport } from './gc-store.ts';
import type { VerifyReport } from './verify-store.ts';

/** `ballast store verify` for people: one line, then each damaged blob. */
export function formatVerifyReport(report: VerifyReport): string {
  const lines = [
    `verified ${report.blobs} blobs (${formatBytes(report.bytes)}): ${report.damaged.length === 0 ? 'all match their digests' : `${report.damaged.length} damaged`}`,
  ];
  for (const blob of report.damaged) {
    const what = blob.actual ? `hashes to ${blob.actual}` : `unreadable: ${blob.error}`;
    lines.push(
      `  DAMAGED ${blob.digest} (${formatBytes(blob.size)}) ${what}${blob.quarantined ? '; quarantined' : ''}`,
    );
  }
  if (report.damaged.some((blob) => !blob.quarantined))
    lines.push(
      'run again with --quarantine to move the damaged blobs aside; the mirror then fetches them again',
    );
  return `${lines.join('\n')}\n`;
}

/** `ballast store gc` for people. */
export function formatGcReport(report: GcReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const lines = [
    `${report.blobs} blobs (${formatBytes(report.bytes)}): ${report.referenced} referenced, ${report.recent} unreferenced but within the grace period; ${verb} ${report.removed.length} (${formatBytes(report.removedBytes)})`,
  ];
  for (const blob of report.removed)
    lines.push(`  ${verb} ${blob.digest} (${formatBytes(blob.size)})`);
  if (report.removedUploads.length > 0)
    lines.push(`${verb} ${report.removedUploads.length} abandoned uploads`);
  return `${lines.join('\n')}\n`;
}
