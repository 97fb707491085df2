import { Command, InvalidArgumentError } from 'commander';
import { interruptSignal, reportToolError, toolExitCodes, toolLogger } from './tool-runtime.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

const concurrency = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 32)
    throw new InvalidArgumentError('expected a number from 1 to 32');
  return number;
};

interface SyncCliOptions {
  config?: string;
  repo: string[];
  chart: string[];
  file: string[];
  all?: boolean;
  provenance?: boolean;
  concurrency: number;
  json?: boolean;
  verbose?: boolean;
}

/**
 * `ballast sync`: pre-warms the store from the config's upstreams, without a server. Exit 0
 * when everything is there, 1 when an item failed, 2 when it could not run, 130 interrupted.
 */
export function syncCommand(): Command {
  return new Command('sync')
    .description(
      'pre-warm the store: charts of repositories (all, or by name and semver range) and files',
    )
    .option('-c, --config <file>', 'config file (YAML)', process.env.BALLAST_CONFIG)
    .option('--repo <name>', 'every chart version of this repository (repeatable)', collect, [])
    .option(
      '--chart <[repo/]name[@range]>',
      "chart versions by name and semver range, e.g. 'kube-prometheus-stack@>=60' (repeatable)",
      collect,
      [],
    )
    .option(
      '--file <mirror/path>',
      'a file of a file mirror, e.g. helm/helm-v3.16.2-linux-amd64.tar.gz (repeatable)',
      collect,
      [],
    )
    .option('--all', 'every chart version of every repository')
    .option('--provenance', 'also fetch each chart’s .prov file (a missing one is not a failure)')
    .option('--concurrency <n>', 'items fetched at once', concurrency, 4)
    .option('--json', 'print the result as JSON on stdout')
    .option('--verbose', 'log at the config’s log level (on stderr) instead of warnings only')
    .action(async (options: SyncCliOptions) => {
      process.exitCode = await runSyncCli(options);
    });
}

async function runSyncCli(options: SyncCliOptions): Promise<number> {
  const json = options.json === true;
  const [
    { loadConfig, requireConfigFile },
    { createMirrors },
    { resolveSelection },
    { runSync },
    report,
    target,
  ] = await Promise.all([
    import('../config/load-config.ts'),
    import('../app/create-mirrors.ts'),
    import('../sync/sync-selection.ts'),
    import('../sync/run-sync.ts'),
    import('../sync/sync-report.ts'),
    import('../sync/sync-target.ts'),
  ]);
  let mirrors: Awaited<ReturnType<typeof createMirrors>> | undefined;
  const interrupt = interruptSignal();
  try {
    const { config } = await loadConfig(requireConfigFile(options.config, 'sync'));
    const selection = resolveSelection(
      {
        repos: options.repo,
        charts: options.chart,
        files: options.file,
        all: options.all === true,
        provenance: options.provenance === true,
      },
      { repos: config.repos.map((r) => r.name), files: config.files.map((f) => f.name) },
    );
    mirrors = await createMirrors(config, toolLogger(config.log, options.verbose === true));
    const bar = process.stderr.isTTY ? report.createProgressBar(process.stderr) : undefined;
    const result = await runSync(target.createLocalSyncTarget(mirrors), selection, {
      concurrency: options.concurrency,
      signal: interrupt.signal,
      ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
    });
    bar?.done();
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(report.renderSyncSummary(result));
    if (result.interrupted) return toolExitCodes.interrupted;
    return result.ok ? toolExitCodes.ok : toolExitCodes.failed;
  } catch (error) {
    return reportToolError(error, json);
  } finally {
    interrupt.dispose();
    await mirrors?.close();
  }
}
