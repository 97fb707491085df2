import { resolve } from 'node:path';
import { Command } from 'commander';
import { reportToolError, toolExitCodes, toolLogger } from './tool-runtime.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

interface ExportCliOptions {
  config?: string;
  out: string;
  repo: string[];
  files: string[];
  json?: boolean;
  verbose?: boolean;
}

/** `ballast export --out bundle.tar`: the store's content for an air-gapped Ballast. */
export function exportCommand(): Command {
  return new Command('export')
    .description(
      'write repositories (indexes, charts, provenance, OCI manifests) and file mirrors from the store into a bundle',
    )
    .option('-c, --config <file>', 'config file (YAML)', process.env.BALLAST_CONFIG)
    .requiredOption('-o, --out <file>', 'the bundle to write (a tar file)')
    .option('--repo <name>', 'a repository to export (repeatable; default: all)', collect, [])
    .option('--files <name>', 'a file mirror to export (repeatable; default: all)', collect, [])
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'log at the config’s log level (on stderr) instead of warnings only')
    .action(async (options: ExportCliOptions) => {
      process.exitCode = await runExportCli(options);
    });
}

async function runExportCli(options: ExportCliOptions): Promise<number> {
  const json = options.json === true;
  const [{ loadConfig, requireConfigFile }, { createMirrors }, { exportBundle }, { formatBytes }] =
    await Promise.all([
      import('../config/load-config.ts'),
      import('../app/create-mirrors.ts'),
      import('../bundle/export-bundle.ts'),
      import('../sync/sync-report.ts'),
    ]);
  let mirrors: Awaited<ReturnType<typeof createMirrors>> | undefined;
  try {
    const { config } = await loadConfig(requireConfigFile(options.config, 'export'));
    mirrors = await createMirrors(config, toolLogger(config.log, options.verbose === true));
    const result = await exportBundle(mirrors, config, {
      out: resolve(options.out),
      repos: options.repo,
      files: options.files,
    });
    const { manifest } = result;
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, out: result.out, bytes: result.bytes, entries: manifest.entries.length, repos: manifest.repos, files: manifest.files, skipped: result.skipped }, null, 2)}\n`,
      );
    } else {
      const names = [
        ...manifest.repos.map((r) => r.name),
        ...manifest.files.map((f) => `files/${f.name}`),
      ];
      process.stdout.write(
        `wrote ${result.out}: ${manifest.entries.length} entries, ${formatBytes(result.bytes)} (${names.join(', ') || 'nothing configured'})\n`,
      );
      if (result.skipped.length > 0)
        process.stdout.write(
          `left out ${result.skipped.length} listed items that are not in the store (first: ${result.skipped[0]?.source}/${result.skipped[0]?.name}); run ballast sync to include them\n`,
        );
    }
    return toolExitCodes.ok;
  } catch (error) {
    return reportToolError(error, json);
  } finally {
    await mirrors?.close();
  }
}
