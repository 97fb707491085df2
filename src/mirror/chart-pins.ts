import { isBallastError } from '../errors/ballast-error.ts';
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
  /**
   * Pins the file's digest unless the store already holds a pin for it (another replica's
   * first download came first: that one stands, here too).
   */
  record(file: string, digest: Digest): Promise<void>;
  readonly size: number;
}

export interface ChartPinsOptions {
  repo: string;
  store: Store;
  bus: EventBus;
}

/** Replicas racing for the document: each round re-reads it, so a few rounds settle any race. */
const maxWriteRounds = 8;
const hexPattern = /^[0-9a-f]{64}$/;

export function createChartPins({ repo, store, bus }: ChartPinsOptions): ChartPins {
  const key = storeKeys.chartPins(repo);
  const pins = new Map<string, string>();
  // Writes go one after another within this process; replicas merge through the store.
  let writes: Promise<void> = Promise.resolve();

  /** The store's pins merged with these, written only over the version read (no lost pin). */
  async function persist(): Promise<void> {
    for (let round = 1; ; round++) {
      // The version first: a write by another replica after it makes the write below conflict.
      const info = await store.statDocument(key);
      const document = info && (await store.getDocument(key));
      // A damaged document yields no pins: the ones held here replace it.
      const stored = document ? tryParsePins(key, document) : new Map<string, string>();
      // The first pin committed for a file wins, on every replica.
      for (const [file, hex] of stored) pins.set(file, hex);
      if ([...pins.keys()].every((file) => stored.has(file))) return;
      try {
        await store.putDocument(
          key,
          JSON.stringify(Object.fromEntries(pins)),
          info ? { ifVersion: info.version } : { ifAbsent: true },
        );
        return;
      } catch (error) {
        if (!isBallastError(error, 'BALLAST_STORE_CONFLICT') || round >= maxWriteRounds)
          throw error;
      }
    }
  }

  return {
    async load() {
      const document = await store.getDocument(key);
      if (!document) return;
      for (const [file, hex] of parsePins(key, document)) pins.set(file, hex);
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
      if (pins.has(file)) return;
      pins.set(file, hex);
      writes = writes.catch(() => undefined).then(persist);
      await writes;
      if (pins.get(file) === hex)
        bus.emit('chart:pinned', { repo, file, digest, pinned: pins.size });
    },
  };
}

/** The well-formed pins of a stored document; throws when it is not a JSON mapping. */
function parsePins(key: string, document: Buffer): Map<string, string> {
  const stored = JSON.parse(document.toString('utf8')) as unknown;
  if (typeof stored !== 'object' || stored === null) throw new Error(`${key} is not a mapping`);
  const found = new Map<string, string>();
  for (const [file, hex] of Object.entries(stored)) {
    if (typeof hex === 'string' && hexPattern.test(hex)) found.set(file, hex);
  }
  return found;
}

function tryParsePins(key: string, document: Buffer): Map<string, string> {
  try {
    return parsePins(key, document);
  } catch {
    return new Map();
  }
}
