import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.ts';
import { parseDuration } from '../config/units.ts';
import type { Store } from '../store/store.ts';
import { interruptSignal, reportToolError, toolExitCodes, toolLogger } from './tool-runtime.ts';

interface StoreCliOptions {
  config?: string;
  json?: boolean;
}

const configOption = [
  '-c, --config <file>',
  'config file (YAML)',
  process.env.BALLAST_CONFIG,
] as const;

function parseGrace(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 30m or 2h');
  return ms;
}

/** `ballast store verify|gc`: maintenance of the store the config names, server running or not. */
export function storeCommand(): Command {
  const store = new Command('store').description('check and clean the store');
  store
    .command('verify')
    .description('re-hash every blob in the store; exit 1 when one does not match its digest')
    .option(...configOption)
    .option('--quarantine', 'keep the bytes of damaged blobs under quarantine/ and remove them')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (options: StoreCliOptions & { quarantine?: boolean }) => {
      process.exitCode = await withStore(options, async (s, _config, signal) => {
        const { verifyStore } = await import('../maintenance/verify-store.ts');
        const report = await verifyStore(s, { quarantine: options.quarantine === true, signal });
        const { formatVerifyReport } = await import('../maintenance/maintenance-report.ts');
        print(options, report, formatVerifyReport(report));
        return report.damaged.length > 0 ? toolExitCodes.failed : toolExitCodes.ok;
      });
    });
  store
    .command('gc')
    .description('remove blobs that no index, file-mirror entry or chart manifest refers to')
    .option(...configOption)
    .option('--dry-run', 'report what would be removed; remove nothing')
    .option(
      '--grace <duration>',
      'keep blobs written this recently, referenced or not',
      parseGrace,
      3_600_000,
    )
    .option('--json', 'print the result as JSON on stdout')
    .action(async (options: StoreCliOptions & { dryRun?: boolean; grace: number }) => {
      process.exitCode = await withStore(options, async (s, config, signal) => {
        const { collectGarbage, assertCollectable } = await import('../maintenance/gc-store.ts');
        assertCollectable(config);
        const report = await collectGarbage(s, {
          graceMs: options.grace,
          dryRun: options.dryRun === true,
          signal,
        });
        const { formatGcReport } = await import('../maintenance/maintenance-report.ts');
        print(options, report, formatGcReport(report));
        return toolExitCodes.ok;
      });
    });
  return store;
}

function print(options: StoreCliOptions, report: object, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : text);
}

async function withStore(
  options: StoreCliOptions,
  run: (store: Store, config: Config, signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const [{ loadConfig }, { createStore }] = await Promise.all([
    import('../config/load-config.ts'),
    import('../app/create-store.ts'),
  ]);
  const interrupt = interruptSignal();
  let store: Store | undefined;
  try {
    const { config } = await loadConfig(options.config);
    store = await createStore(config, toolLogger(config.log, false));
    return await run(store, config, interrupt.signal);
  } catch (error) {
    return reportToolError(error, options.json === true);
  } finally {
    interrupt.dispose();
    await store?.close();
  }
}
