import { createHash } from 'node:crypto';
import { link, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProbeRecord } from '../src/probe/probe-record.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import { storeKeys } from '../src/store/store-keys.ts';

export interface StoredRepo {
  name: string;
  /** Its one upstream. */
  upstreamUrl: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Copies what Ballast stored for one repository (its served index and the stored copy of its
 * upstream's index) to more repositories in the same fs store, each with its own name and
 * upstream URL, and gives every one a probe record that remembers the upstream's validators.
 * A hundred large indexes are then restored at start (no YAML parsed) and probed with
 * conditional GETs, instead of each being fetched and built (about 9 s apiece for 10,000
 * charts on a shared 2-core machine) and its first probe parsing it again.
 *
 * The served bodies are the same bytes for every copy: hard links. The small documents are
 * written through the store with the copy's keys and URLs, the served form with its checksum.
 */
export async function copyStoredRepo(
  root: string,
  source: StoredRepo,
  copies: readonly StoredRepo[],
): Promise<void> {
  const store = await createFsStore({ root });
  const document = async (key: string) => {
    const bytes = await store.getDocument(key);
    if (!bytes) throw new Error(`${key} is not in the store at ${root}`);
    return bytes;
  };
  const pointer = (await document(storeKeys.servedIndex(source.name))).toString();
  const storedForm = (await document(storeKeys.servedForm(source.name))).toString();
  const form = storedForm.slice(storedForm.indexOf('\n') + 1);
  const upstream = await document(storeKeys.upstreamIndex(source.name, source.upstreamUrl));
  const headerEnd = upstream.indexOf(0x0a);
  const header = upstream.subarray(0, headerEnd).toString();
  const meta = JSON.parse(header) as {
    versions: number;
    validators?: { etag?: string; lastModified?: string };
  };
  const bodies = await store.listDocuments(storeKeys.servedBodies(source.name));

  for (const copy of [source, ...copies]) {
    const rename = (text: string) =>
      text
        .replaceAll(`"repos/${source.name}/`, `"repos/${copy.name}/`)
        .replaceAll(JSON.stringify(source.upstreamUrl), JSON.stringify(copy.upstreamUrl));
    const record: ProbeRecord = {
      url: copy.upstreamUrl,
      status: { state: 'healthy', since: Date.now() },
      history: [],
      lastGood: { versions: meta.versions, ...meta.validators },
    };
    await store.putDocument(storeKeys.probeRecord('repo', copy.name, 0), JSON.stringify(record));
    if (copy === source) continue;
    for (const key of bodies) {
      const to = join(root, 'docs', key.replace(`repos/${source.name}/`, `repos/${copy.name}/`));
      await mkdir(dirname(to), { recursive: true });
      await link(join(root, 'docs', key), to);
    }
    const copiedForm = rename(form);
    await store.putDocument(
      storeKeys.servedForm(copy.name),
      `${JSON.stringify({ sha256: sha256(copiedForm) })}\n${copiedForm}`,
    );
    await store.putDocument(
      storeKeys.upstreamIndex(copy.name, copy.upstreamUrl),
      Buffer.concat([Buffer.from(rename(header)), upstream.subarray(headerEnd)]),
    );
    // Written last: a repository with a pointer is one Ballast restores.
    await store.putDocument(storeKeys.servedIndex(copy.name), rename(pointer));
  }
}
