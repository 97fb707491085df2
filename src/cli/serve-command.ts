import { Command } from 'commander';
import { loadConfig, requireConfigFile } from '../config/load-config.ts';
import { createLogger } from '../observability/logger.ts';
import { reportAndExit } from './report-error.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the mirror server')
    .option('-c, --config <file>', 'config file (YAML)', process.env.BALLAST_CONFIG)
    .action(async (options: { config?: string }) => {
      try {
        const { config, envOverrides } = await loadConfig(
          requireConfigFile(options.config, 'serve'),
        );
        const logger = createLogger(config.log);
        if (envOverrides.length > 0)
          logger.info({ envOverrides }, 'config overridden from the environment');
        const { startBallast } = await import('../app/start-ballast.ts');
        const ballast = await startBallast(config, logger);
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'shutting down; finishing requests in flight');
          ballast.close().then(
            () => {
              logger.info('stopped');
              logger.flush();
              process.exit(0);
            },
            (error: unknown) => {
              logger.error({ err: error }, 'shutdown failed');
              process.exit(1);
            },
          );
        };
        process.once('SIGTERM', shutdown);
        process.once('SIGINT', shutdown);
      } catch (error) {
        reportAndExit(error);
      }
    });
}
