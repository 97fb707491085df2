import type { EventBus } from '../observability/events.ts';
import type { Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/**
 * Trust on first use for entries an upstream publishes without a digest (`unverified: pin`):
 * the sha256 of a chart's first download is kept in the store, served as the entry's digest
 * from then on, and later bytes that differ are refused like any digest mismatch.
 */
export interface ChartPins {
  load(): Promise<void>;
  /** The pinned digest of a served chart file. */
  get(file: string): Digest | undefined;
  /** Every pin, file name to bare hex, as an index build applies them. */
  all(): Record<string, string>;
  record(file: string, digest: Digest): Promise<void>;
  readonly size: number;
}

export interface ChartPinsOptions {
  repo: string;
  store: Store;
  bus: EventBus;
}

export function createChartPins({ repo, store, bus }: ChartPinsOptions): ChartPins {
  const key = storeKeys.chartPins(repo);
  const pins = new Map<string, string>();
  // Writes go one after another, each with every pin so far: the last one written is whole.
  let writes: Promise<void> = Promise.resolve();

  return {
    async load() {
      const document = await store.getDocument(key);
      if (!document) return;
      const stored = JSON.parse(document.toString('utf8')) as unknown;
      if (typeof stored !== 'object' || stored === null) throw new Error(`${key} is not a mapping`);
      for (const [file, hex] of Object.entries(stored)) {
        if (typeof hex === 'string' && /^[0-9a-f]{64}$/.test(hex)) pins.set(file, hex);
      }
    },

    get(file) {
      const hex = pins.get(file);
      return hex === undefined ? undefined : `sha256:${hex}`;
    },

    get size() {
      return pins.size;
    },

    all() {
      return Object.fromEntries(pins);
    },

    async record(file, digest) {
      const hex = digest.slice('sha256:'.length);
      if (pins.get(file) === hex) return;
      pins.set(file, hex);
      const body = JSON.stringify(Object.fromEntries(pins));
      writes = writes
        .catch(() => undefined)
        .then(async () => {
          await store.putDocument(key, body);
        });
      await writes;
      bus.emit('chart:pinned', { repo, file, digest, pinned: pins.size });
    },
  };
}
