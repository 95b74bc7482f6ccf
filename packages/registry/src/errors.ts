import { VigilError } from '@vigil/core';

/** Error codes of `@vigil/registry`. Codes starting `VIGIL_CONFIG` make the CLI exit 2. */
export const REGISTRY_ERROR_CODES = {
  /** The declaration does not validate; `problems` lists every problem. */
  invalid: 'VIGIL_CONFIG_INVALID',
  /** There is no file at the given path (or it is a directory). */
  notFound: 'VIGIL_CONFIG_NOT_FOUND',
  /** The file exists but could not be read (permissions, I/O). */
  unreadable: 'VIGIL_CONFIG_UNREADABLE',
  /** The file is not well-formed YAML; `problems` carry line and column. */
  yaml: 'VIGIL_CONFIG_YAML',
  /** The declaration is larger than {@link MAX_DECLARATION_BYTES}; it is not read. */
  tooLarge: 'VIGIL_CONFIG_TOO_LARGE',
  /** The declaration is not UTF-8; the message names the first bad byte's offset. */
  encoding: 'VIGIL_CONFIG_ENCODING',
  /** A query named an agent the system does not declare. */
  unknownAgent: 'VIGIL_CONFIG_UNKNOWN_AGENT',
} as const;

/**
 * The largest declaration read, in bytes (1 MiB). The SOC's own is about 15 KiB; a
 * declaration is refused above this before it is parsed, so that a huge file costs
 * neither memory nor minutes.
 */
export const MAX_DECLARATION_BYTES = 1024 * 1024;

/** One problem in a declaration. */
export interface ConfigProblem {
  /** Field path, e.g. `agents[2].calls[0]`; empty for the document as a whole. */
  readonly path: string;
  /** What is wrong, without the suggestion. */
  readonly message: string;
  /** 1-based line in the YAML source, when the problem can be placed. */
  readonly line?: number;
  /** 1-based column, for YAML syntax errors. */
  readonly column?: number;
  /** A suggestion such as `did you mean "notifier"?`. */
  readonly hint?: string;
}

/**
 * Renders one problem on one line:
 * `agents[2].calls[0]: unknown agent "notifer" (line 41) — did you mean "notifier"?`.
 */
export function formatProblem(problem: ConfigProblem): string {
  const where =
    problem.line === undefined
      ? ''
      : problem.column === undefined
        ? ` (line ${problem.line})`
        : ` (line ${problem.line}, column ${problem.column})`;
  const hint = problem.hint === undefined ? '' : ` — ${problem.hint}`;
  const path = problem.path === '' ? '' : `${problem.path}: `;
  return `${path}${problem.message}${where}${hint}`;
}

/**
 * The error of `@vigil/registry`. `problems` holds every problem found (never only the
 * first); the message lists them one per line. Messages never quote secret values.
 */
export class RegistryError extends VigilError {
  /** Every problem found, in source order. */
  readonly problems: readonly ConfigProblem[];
  /** The file (or label) the declaration came from. */
  readonly source: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { problems?: readonly ConfigProblem[]; source?: string; cause?: unknown } = {},
  ) {
    const problems = Object.freeze((options.problems ?? []).map((p) => Object.freeze({ ...p })));
    super(code, message, {
      cause: options.cause,
      details: { source: options.source, problems },
    });
    this.problems = problems;
    this.source = options.source;
  }

  /** An error listing `problems` under a one-line heading. */
  static fromProblems(
    code: string,
    heading: string,
    problems: readonly ConfigProblem[],
    source: string,
  ): RegistryError {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  ${formatProblem(p)}`);
    return new RegistryError(code, [`${heading} (${count}):`, ...lines].join('\n'), {
      problems,
      source,
    });
  }
}
