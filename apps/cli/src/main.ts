import { Command, CommanderError } from 'commander';
import { isVigilError } from '@vigil/core';
import { COMMANDS } from './commands/index.js';
import { exitCodeFor } from './context.js';

/** Builds the `vigil` program with its global options and every sub-command. */
export function createProgram(): Command {
  const program = new Command('vigil')
    .description('Vigil: run AI agents in production the cloud-native way')
    .option('-f, --config <file>', 'the AgentSystem declaration', 'vigil.yaml')
    .option(
      '--state-dir <dir>',
      'certificates, databases and logs (env VIGIL_STATE_DIR)',
      process.env['VIGIL_STATE_DIR'] ?? '.vigil',
    )
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI and resolves to its exit code: 0 success, 1 failure, 2 usage or configuration error. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await createProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const message = isVigilError(error) ? `${error.code}: ${error.message}` : String(error);
    process.stderr.write(`vigil: ${message}\n`);
    return exitCodeFor(error);
  }
}
