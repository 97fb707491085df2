import type { Store } from '../store/store.ts';
import type { ClassicRepoClient } from '../upstream/classic-repo-client.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';

/** A classic Helm repository as a mirror upstream: index.yaml and the files it points at. */
export function createClassicUpstream(client: ClassicRepoClient, store: Store): MirrorUpstream {
  return {
    url: client.url,
    label: client.label,
    key: new URL(client.url).host,
    fetchIndex: (validators, signal) => client.fetchIndex(validators, signal),

    async fetchChart(url, { file, digest, maxBytes }, signal) {
      const body = await client.openFile(url, 'chart', maxBytes, signal);
      return store.putBlob(body, {
        expectedDigest: digest,
        maxBytes,
        what: `chart ${file}`,
        source: client.label,
      });
    },

    async fetchSidecar(url, what, maxBytes, signal) {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.openFile(url, what, maxBytes, signal))
        chunks.push(chunk);
      return Buffer.concat(chunks);
    },
  };
}
