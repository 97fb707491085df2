import { parseConfig } from '../../src/config/load-config.ts';
import { createHostedRepo, type HostedRepo } from '../../src/hosted/hosted-repo.ts';
import { digestOf } from '../../src/hosted/hosted-uploads.ts';
import { createEventBus, type EventBus } from '../../src/observability/events.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Store } from '../../src/store/store.ts';

/**
 * A hosted repository in-process, configured as `repos: [{ name, hosted: true<extra> }]`
 * (`extra` is more YAML flow, e.g. `, keepVersions: 2`), loaded; retries do not wait.
 */
export async function loadedHostedRepo(
  store: Store,
  options: { name?: string; extra?: string; bus?: EventBus; now?: () => number } = {},
): Promise<HostedRepo> {
  const { config } = parseConfig(
    `repos: [{ name: ${options.name ?? 'team'}, hosted: true${options.extra ?? ''} }]`,
    'test',
  );
  const repo = createHostedRepo({
    repo: config.repos[0] as (typeof config.repos)[number],
    store,
    bus: options.bus ?? createEventBus(),
    logger: createLogger({ level: 'silent' }),
    limits: config.limits,
    ...(options.now ? { now: options.now } : {}),
    sleep: async () => {},
  });
  await repo.load();
  return repo;
}

/** A provenance file in Helm's format naming the chart's bytes (the signature is not checked). */
export function provFor(name: string, version: string, bytes: Buffer): Buffer {
  return Buffer.from(
    [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA512',
      '',
      'apiVersion: v2',
      `name: ${name}`,
      `version: ${version}`,
      '',
      '...',
      'files:',
      `  ${name}-${version}.tgz: ${digestOf(bytes)}`,
      '-----BEGIN PGP SIGNATURE-----',
      '',
      'wsBcBAEBCgAQBQJn',
      '-----END PGP SIGNATURE-----',
      '',
    ].join('\n'),
  );
}
