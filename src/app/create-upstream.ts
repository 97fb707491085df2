import type { Config, RepoConfig, UpstreamConfig } from '../config/schema.ts';
import { resolveUpstreamAuth } from '../config/upstream-auth.ts';
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

/**
 * The upstream client for a configured URL: a classic repository, or an OCI registry.
 * `authKey` is where its `auth` sits in the config, for errors about its secret references.
 */
export function createUpstream(
  upstream: UpstreamConfig,
  repo: RepoConfig,
  authKey: string,
  deps: UpstreamDeps,
): MirrorUpstream {
  const { http, bus, store } = deps;
  const credentials = upstream.auth ? resolveUpstreamAuth(upstream.auth, authKey) : undefined;
  if (upstream.url.startsWith('oci:')) {
    const client = createOciRegistryClient({
      url: upstream.url,
      plainHttp: upstream.plainHttp,
      chartHosts: upstream.chartHosts,
      ...(credentials && 'password' in credentials ? { credentials } : {}),
      http,
      bus,
    });
    return createOciUpstream(client, repo.charts, store, {
      maxProvenanceBytes: deps.limits.provSize,
    });
  }
  const client = createClassicRepoClient({
    url: upstream.url,
    chartHosts: upstream.chartHosts,
    ...(credentials ? { credentials } : {}),
    http,
    bus,
    maxIndexBytes: deps.limits.indexSize,
  });
  return createClassicUpstream(client, store);
}
