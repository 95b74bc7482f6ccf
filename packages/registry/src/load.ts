/**
 * Reading a declaration: YAML (with node ranges) → schema + cross-reference checks →
 * a deep-frozen {@link AgentSystem}, or a {@link RegistryError} listing every problem.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { RegistryError, REGISTRY_ERROR_CODES, type ConfigProblem } from './errors.js';
import { AgentSystemSchema, type AgentSystem } from './schema.js';
import { SourceMap } from './source-map.js';
import { crossReferenceProblems, issueProblems } from './validate.js';

/** Where each system was read from (kept off the object so that it stays plain data). */
const sources = new WeakMap<object, string>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Parses and validates a declaration held in `text`. `source` names it in errors (a file
 * path, or a label such as `<stdin>`); relative paths in the declaration are resolved
 * against its directory by {@link resolveSystemPath}.
 *
 * @returns the deep-frozen system, every default filled in.
 * @throws {RegistryError} `VIGIL_CONFIG_YAML` when the text is not well-formed YAML (each
 *   syntax error with line and column); `VIGIL_CONFIG_INVALID` when it does not validate,
 *   with every schema and cross-reference problem in `problems` (path, message, line, hint).
 */
export function parseAgentSystem(text: string, source: string): AgentSystem {
  const lineCounter = new LineCounter();
  const document = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter,
    prettyErrors: false, // our own messages: the pretty ones quote source lines
    merge: true, // allow `<<: *defaults` for shared agent settings
    uniqueKeys: true,
  });
  if (document.errors.length > 0) {
    const problems: ConfigProblem[] = document.errors.map((error) => {
      const position = lineCounter.linePos(error.pos[0]);
      return { path: '', message: error.message, line: position.line, column: position.col };
    });
    throw RegistryError.fromProblems(
      REGISTRY_ERROR_CODES.yaml,
      `${source} is not well-formed YAML`,
      problems,
      source,
    );
  }
  const map = new SourceMap(document, lineCounter);
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias bomb ("excessive alias count")
    throw RegistryError.fromProblems(
      REGISTRY_ERROR_CODES.yaml,
      `${source} is not usable YAML`,
      [{ path: '', message: error instanceof Error ? error.message : String(error) }],
      source,
    );
  }
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    const message =
      raw === null || raw === undefined
        ? 'the document is empty; expected an AgentSystem declaration (apiVersion, kind, metadata, trustDomain, agents)'
        : 'expected a mapping with apiVersion, kind, metadata, trustDomain and agents';
    throw RegistryError.fromProblems(
      REGISTRY_ERROR_CODES.invalid,
      `invalid AgentSystem declaration ${source}`,
      [{ path: '', message, line: map.lineOf([]) }],
      source,
    );
  }

  const parsed = AgentSystemSchema.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : issueProblems(parsed.error.issues, raw, AgentSystemSchema, map)),
    ...crossReferenceProblems(raw, map),
  ];
  if (problems.length > 0 || !parsed.success) {
    throw RegistryError.fromProblems(
      REGISTRY_ERROR_CODES.invalid,
      `invalid AgentSystem declaration ${source}`,
      sortProblems(problems),
      source,
    );
  }
  const system = deepFreeze(parsed.data) as AgentSystem;
  sources.set(system, source);
  return system;
}

/** Source order: by line, problems without a line last; stable otherwise. */
function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort(
      (a, b) =>
        (a.problem.line ?? Number.MAX_SAFE_INTEGER) - (b.problem.line ?? Number.MAX_SAFE_INTEGER) ||
        a.index - b.index,
    )
    .map(({ problem }) => problem);
}

function readError(path: string, error: unknown): RegistryError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
    return new RegistryError(
      REGISTRY_ERROR_CODES.notFound,
      `no AgentSystem declaration at ${path}${code === 'EISDIR' ? ' (it is a directory)' : ''}; pass the file with -f/--config`,
      { source: path, cause: error },
    );
  }
  return new RegistryError(
    REGISTRY_ERROR_CODES.unreadable,
    `cannot read ${path}: ${code ?? String(error)}`,
    { source: path, cause: error },
  );
}

/**
 * Reads and validates the declaration at `path` (see {@link parseAgentSystem}).
 *
 * @throws {RegistryError} `VIGIL_CONFIG_NOT_FOUND` when there is no file there,
 *   `VIGIL_CONFIG_UNREADABLE` when it cannot be read, and the errors of
 *   {@link parseAgentSystem}.
 */
export async function loadAgentSystem(path: string): Promise<AgentSystem> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw readError(absolute, error);
  }
  return parseAgentSystem(text, absolute);
}

/** Synchronous {@link loadAgentSystem}, for process start-up paths that cannot await. */
export function loadAgentSystemSync(path: string): AgentSystem {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw readError(absolute, error);
  }
  return parseAgentSystem(text, absolute);
}

/** The `source` the system was parsed from (a file path for loaded systems). */
export function sourceOf(system: AgentSystem): string | undefined {
  return sources.get(system);
}

/**
 * Resolves a path written in the declaration (such as `policy.bundle`) against the
 * directory of the declaration file; against the working directory when the system was
 * not loaded from a file.
 */
export function resolveSystemPath(system: AgentSystem, path: string): string {
  if (isAbsolute(path)) return path;
  const source = sources.get(system);
  return source !== undefined && isAbsolute(source)
    ? resolve(dirname(source), path)
    : resolve(path);
}
