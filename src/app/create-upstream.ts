import type { Config, RepoConfig, UpstreamConfig } from '../config/schema.ts';
import { createClassicUpstream } from '../mirror/classic-upstream.ts';
import type { MirrorUpstream } from '../mirror/mirror-upstream.ts';
import { createOciUpstream } from '../mirror/oci-upstream.ts';
import type { EventBus } from '../observability/events.ts';
import type { Store } from '../store/store.ts';
import { createClassicRepoClient } from '../upstream/classic-repo-client.ts';
import type { HttpClient } from '../upstream/http-client.ts';
import { createOciRegistryClient } from '../upstream/oci-registry-client.ts';

export interface UpstreamDeps {
  http: HttpClient;
  bus: EventBus;
  store: Store;
  limits: Config['limits'];
}

/** The upstream client for a configured URL: a classic repository, or an OCI registry. */
export function createUpstream(
  upstream: UpstreamConfig,
  repo: RepoConfig,
  deps: UpstreamDeps,
): MirrorUpstream {
  const { http, bus, store } = deps;
  if (upstream.url.startsWith('oci:')) {
    const client = createOciRegistryClient({
      url: upstream.url,
      plainHttp: upstream.plainHttp,
      ...(upstream.credentials ? { credentials: upstream.credentials } : {}),
      http,
      bus,
    });
    return createOciUpstream(client, repo.charts, store);
  }
  const client = createClassicRepoClient({
    url: upstream.url,
    http,
    bus,
    maxIndexBytes: deps.limits.indexSize,
  });
  return createClassicUpstream(client, upstream, store);
}
