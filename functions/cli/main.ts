/** The `usage-pipeline` command line. */
import { Command, CommanderError } from 'commander';
import { environmentalFsFailure } from '../support/fs-errors.js';
import { isUserFacing } from '../core/errors.js';

/**
 * Each command's module, loaded only when that command runs: a command pulls in its own
 * dependencies (the AWS SDK, Octokit, the emulators), and the others should cost nothing.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./commands/build.js')).buildCommand(),
  local: async () => (await import('./commands/local.js')).localCommand(),
  status: async () => (await import('./commands/status.js')).statusCommand(),
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
  rerun: async () => (await import('./commands/rerun.js')).rerunCommand(),
  backfill: async () => (await import('./commands/backfill.js')).backfillCommand(),
  'rotate-secrets': async () => (await import('./commands/rotate-secrets.js')).rotateSecretsCommand(),
};

/** The program with every command, or with just `only` when that is a command's name. */
export async function createProgram(only?: string): Promise<Command> {
  const program = new Command('usage-pipeline')
    .description('Turns Asterisk usage events into the static data published on gh-pages.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const names = only !== undefined && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  for (const command of await Promise.all(names.map((name) => (COMMANDS[name] as () => Promise<Command>)()))) {
    program.addCommand(command.exitOverride());
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await createProgram(argv.find((arg) => !arg.startsWith('-')));
    await program.parseAsync([...argv], { from: 'user' });
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
    // A read-only or full disk is the machine's state, not a bug: the path and the cause.
    const environmental = environmentalFsFailure(error);
    if (environmental) {
      process.stderr.write(`usage-pipeline: ${environmental}\n`);
      return 1;
    }
    process.stderr.write(`usage-pipeline: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return 70;
  }
}
