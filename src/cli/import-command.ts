import { resolve } from 'node:path';
import { Command } from 'commander';
import { reportToolError, toolExitCodes, toolLogger } from './tool-runtime.ts';

interface ImportCliOptions {
  config?: string;
  check?: boolean;
  json?: boolean;
}

/**
 * `ballast import bundle.tar`: verifies a bundle whole, then loads it into the store. Exit 0
 * imported, 1 the bundle was refused (nothing written), 2 could not run.
 */
export function importCommand(): Command {
  return new Command('import')
    .description(
      "verify every entry of a bundle, then load it into this Ballast's store (all or nothing)",
    )
    .argument('<bundle>', 'a bundle written by ballast export')
    .option('-c, --config <file>', 'config file (YAML)', process.env.BALLAST_CONFIG)
    .option('--check', 'verify the bundle only; write nothing')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (bundle: string, options: ImportCliOptions) => {
      process.exitCode = await runImportCli(resolve(bundle), options);
    });
}

async function runImportCli(bundle: string, options: ImportCliOptions): Promise<number> {
  const json = options.json === true;
  const [{ loadConfig }, { createStore }, { importBundle }, { formatBytes }] = await Promise.all([
    import('../config/load-config.ts'),
    import('../app/create-store.ts'),
    import('../bundle/import-bundle.ts'),
    import('../sync/sync-report.ts'),
  ]);
  try {
    const { config } = await loadConfig(options.config);
    const store = await createStore(config, toolLogger(config.log, false));
    const result = await importBundle(store, bundle, {
      checkOnly: options.check === true,
      limits: config.limits,
    });
    await store.close();
    const { manifest } = result;
    // The importing Ballast serves a repository only under the same name and upstream URLs.
    const warnings: string[] = [];
    for (const repo of manifest.repos) {
      const configured = config.repos.find((r) => r.name === repo.name);
      if (!configured)
        warnings.push(`repository ${repo.name} is not in the config; add it to serve it`);
      else if (repo.upstreams.some((url) => !configured.upstreams.some((u) => u.url === url)))
        warnings.push(
          `repository ${repo.name} was exported from ${repo.upstreams.join(', ')}; list the same upstream URLs to serve its index`,
        );
    }
    for (const files of manifest.files) {
      if (!config.files.some((f) => f.name === files.name))
        warnings.push(`file mirror ${files.name} is not in the config; add it to serve its files`);
    }
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, checkOnly: options.check === true, ...result, manifest: undefined, entries: manifest.entries.length, repos: manifest.repos, files: manifest.files, warnings }, null, 2)}\n`,
      );
    } else {
      const verb = options.check ? 'verified' : 'imported';
      process.stdout.write(
        `${verb} ${bundle}: ${manifest.entries.length} entries, every digest matches` +
          (options.check
            ? '\n'
            : `; ${result.blobsAdded} blobs and ${result.documentsWritten} documents written (${formatBytes(result.bytesAdded)}), ${result.blobsPresent + result.documentsUnchanged} already there\n`),
      );
      for (const warning of warnings) process.stderr.write(`ballast: warning: ${warning}\n`);
    }
    return toolExitCodes.ok;
  } catch (error) {
    return reportToolError(error, json, ['BALLAST_BUNDLE_INVALID', 'BALLAST_BUNDLE_ENTRY_INVALID']);
  }
}
