import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VigilError, isVigilError } from '@vigil/core';

/** Options every `vigil` command takes (DESIGN.md, "The command line"). */
export interface GlobalOptions {
  /** Absolute path of the AgentSystem declaration. */
  readonly config: string;
  /** Absolute path of the state directory: certificates, databases, logs. */
  readonly stateDir: string;
  /** Machine output instead of tables. */
  readonly json: boolean;
}

/** Reads the global options of `command`, resolving paths against the working directory. */
export function globalOptions(command: Command): GlobalOptions {
  const raw = command.optsWithGlobals<{ config: string; stateDir: string; json?: boolean }>();
  return Object.freeze({
    config: resolve(raw.config),
    stateDir: resolve(raw.stateDir),
    json: raw.json === true,
  });
}

/** A command-line usage error: exit code 2. */
export class UsageError extends VigilError {
  constructor(message: string) {
    super('VIGIL_USAGE', message);
  }
}

/** Prints `json` as JSON when `--json` is set, else the human rendering. */
export function print(options: GlobalOptions, human: () => string, json: unknown): void {
  process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}

/** Exit code for an error: 2 for usage and configuration errors, 1 otherwise. */
export function exitCodeFor(error: unknown): number {
  if (isVigilError(error) && /^VIGIL_(USAGE|CONFIG)/.test(error.code)) return 2;
  return 1;
}
