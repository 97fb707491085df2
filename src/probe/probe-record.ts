import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { HistoryRun } from './probe-history.ts';
import type { ProbeTarget } from './probe-targets.ts';
import type { UpstreamStatus } from './upstream-state.ts';

/** What Ballast remembers about one upstream across restarts. */
export interface ProbeRecord {
  url: string;
  status: UpstreamStatus;
  history: HistoryRun[];
  /** When the last probe finished; absent before the first. */
  probedAt?: number;
  certificateExpiresAt?: number;
  /** The last index that passed, for the next conditional GET and shrink check. */
  lastGood?: { versions: number; etag?: string; lastModified?: string };
}

export function recordKey(target: ProbeTarget): string {
  return storeKeys.probeRecord(target.subject.kind, target.subject.name, target.position);
}

/** A record from the store, or undefined when there is none, it is unreadable, or it is for another URL. */
export async function loadRecord(
  store: Store,
  target: ProbeTarget,
): Promise<ProbeRecord | undefined> {
  const data = await store.getDocument(recordKey(target));
  if (!data) return undefined;
  try {
    const record = JSON.parse(data.toString('utf8')) as ProbeRecord;
    // The config moved another upstream into this position: its history is not this one's.
    if (record.url !== target.url || !Array.isArray(record.history) || !record.status)
      return undefined;
    return record;
  } catch {
    return undefined; // a damaged record costs a day of history, not the probe
  }
}

export async function saveRecord(
  store: Store,
  target: ProbeTarget,
  record: ProbeRecord,
): Promise<void> {
  await store.putDocument(recordKey(target), JSON.stringify(record));
}
