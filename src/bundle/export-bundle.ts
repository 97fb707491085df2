import type { Mirrors } from '../app/create-mirrors.ts';
import type { Config } from '../config/schema.ts';
import { type BundleContent, collectBundle } from './collect-bundle.ts';
import { type WrittenBundle, writeBundle } from './write-bundle.ts';

export interface ExportResult extends WrittenBundle {
  out: string;
  skipped: BundleContent['skipped'];
}

/** `ballast export`: the chosen repositories and file mirrors (all when none is named). */
export async function exportBundle(
  mirrors: Mirrors,
  config: Config,
  options: { out: string; repos: readonly string[]; files: readonly string[] },
): Promise<ExportResult> {
  const everything = options.repos.length === 0 && options.files.length === 0;
  const repos = everything ? config.repos.map((r) => r.name) : [...options.repos];
  const files = everything ? config.files.map((f) => f.name) : [...options.files];
  const content = await collectBundle(mirrors, { repos, files });
  const written = await writeBundle(mirrors.store, content, options.out, {
    repos: repos.map((name) => ({
      name,
      upstreams: config.repos.find((r) => r.name === name)?.upstreams.map((u) => u.url) ?? [],
    })),
    files: files.map((name) => ({
      name,
      upstreams: config.files.find((f) => f.name === name)?.upstreams.map((u) => u.url) ?? [],
    })),
  });
  return { ...written, out: options.out, skipped: content.skipped };
}
