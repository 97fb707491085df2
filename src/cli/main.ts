import { Command } from 'commander';
import { authCommand } from './auth-command.ts';
import { configCheckCommand } from './config-check-command.ts';
import { createDoctorCommand } from './doctor-command.ts';
import { exportCommand } from './export-command.ts';
import { importCommand } from './import-command.ts';
import { serveCommand } from './serve-command.ts';
import { storeCommand } from './store-command.ts';
import { syncCommand } from './sync-command.ts';

const program = new Command('ballast')
  .description(
    'Keeps Helm-based delivery working while DNS, CDNs, chart repositories and registries fail.',
  )
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(configCheckCommand());
program.addCommand(createDoctorCommand());
program.addCommand(syncCommand());
program.addCommand(exportCommand());
program.addCommand(importCommand());
program.addCommand(storeCommand());
program.addCommand(authCommand());

// Command-line mistakes read like every other error, `ballast: CODE: message`, and exit 2
// ("could not run") as sync, export, import and doctor do; help and --version still exit 0.
const usageErrors = (command: Command): void => {
  command
    .configureOutput({
      outputError: (text, write) =>
        write(`ballast: BALLAST_USAGE: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  for (const sub of command.commands) usageErrors(sub);
};
usageErrors(program);

await program.parseAsync(process.argv);
