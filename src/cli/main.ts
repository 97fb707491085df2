import { Command } from 'commander';
import { authCommand } from './auth-command.ts';
import { configCheckCommand } from './config-check-command.ts';
import { createDoctorCommand } from './doctor-command.ts';
import { exportCommand } from './export-command.ts';
import { importCommand } from './import-command.ts';
import { serveCommand } from './serve-command.ts';
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
program.addCommand(authCommand());

await program.parseAsync(process.argv);
