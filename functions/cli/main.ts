/** The `usage-pipeline` command line. */
import { Command, CommanderError } from 'commander';
import { buildCommand } from './commands/build.js';
import { backfillCommand } from './commands/backfill.js';
import { rerunCommand } from './commands/rerun.js';
import { rotateSecretsCommand } from './commands/rotate-secrets.js';
import { localCommand } from './commands/local.js';
import { statusCommand } from './commands/status.js';
import { isUserFacing } from './errors.js';

export function createProgram(): Command {
  const program = new Command('usage-pipeline')
    .description('Turns Asterisk usage events into the static data published on gh-pages.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(buildCommand());
  program.addCommand(backfillCommand());
  program.addCommand(rerunCommand());
  program.addCommand(rotateSecretsCommand());
  program.addCommand(localCommand());
  program.addCommand(statusCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help or the parse error.
      return error.exitCode;
    }
    if (isUserFacing(error)) {
      process.stderr.write(`usage-pipeline: ${error.message}\n`);
      return (error as { exitCode?: number }).exitCode ?? 1;
    }
    process.stderr.write(`usage-pipeline: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
