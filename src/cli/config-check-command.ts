import { Command } from 'commander';
import { loadAuth } from '../auth/load-auth.ts';
import { loadConfig } from '../config/load-config.ts';
import { reportAndExit } from './report-error.ts';

export function configCheckCommand(): Command {
  const config = new Command('config').description('work with the config file');
  config
    .command('check')
    .description(
      'validate a config file (and BALLAST_* overrides); exit 1 with the problem if invalid',
    )
    .argument('<file>', 'config file (YAML)')
    .action(async (file: string) => {
      try {
        const { config: loaded } = await loadConfig(file);
        await loadAuth(loaded);
        process.stdout.write(
          `${file}: OK (${loaded.repos.length} repositories, listening on ${loaded.listen})\n`,
        );
      } catch (error) {
        reportAndExit(error);
      }
    });
  return config;
}
