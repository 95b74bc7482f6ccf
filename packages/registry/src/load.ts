/**
 * Reading a declaration: YAML (with node ranges) → schema + cross-reference checks →
 * a deep-frozen {@link AgentSystem}, or a {@link RegistryError} listing every problem.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { decodeDeclaration, tooLargeError } from './encoding.js';
import {
  MAX_DECLARATION_BYTES,
  RegistryError,
  REGISTRY_ERROR_CODES,
  type ConfigProblem,
} from './errors.js';
import { AgentSystemSchema, type AgentSystem } from './schema.js';
import { SourceMap } from './source-map.js';
import {
  actionCatalogueProblems,
  crossReferenceProblems,
  identityProblems,
  issueProblems,
  replicaStateProblems,
} from './validate.js';

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
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long text needs the exact count.
  if (text.length * 3 > MAX_DECLARATION_BYTES) {
    const size = Buffer.byteLength(text, 'utf8');
    if (size > MAX_DECLARATION_BYTES) throw tooLargeError(source, size);
  }
  const lineCounter = new LineCounter();
  const body = text.replace(/^\uFEFF/, '');
  const document = parseDocument(body, {
    lineCounter,
    prettyErrors: false, // our own messages: the pretty ones quote source lines
    merge: true, // allow `<<: *defaults` for shared agent settings
    uniqueKeys: true,
    // A declaration is plain data: `!!binary`, `!!set`, `!!timestamp` … would turn into
    // Buffers, Sets and Dates; with this off they are unresolved tags, refused below.
    resolveKnownTags: false,
  });
  // An unresolved tag (`!!js/function`, `!custom`) is only a warning to the parser, which
  // then keeps the bare value: refusing it keeps a tag from meaning something elsewhere.
  const tagProblems = document.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (document.errors.length > 0 || tagProblems.length > 0) {
    const problems: ConfigProblem[] = [
      ...document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { path: '', message: error.message, line: position.line, column: position.col };
      }),
      ...tagProblems.map((warning) => {
        const position = lineCounter.linePos(warning.pos[0]);
        const tag = body.slice(warning.pos[0], warning.pos[1]).split(/\s/, 1)[0] ?? '';
        return {
          path: '',
          message: `unsupported YAML tag ${JSON.stringify(tag)}: a declaration is plain data; only the YAML 1.2 core tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq) are accepted`,
          line: position.line,
          column: position.col,
        };
      }),
    ].sort((a, b) => a.line - b.line || a.column - b.column);
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
    ...actionCatalogueProblems(raw, map),
    ...replicaStateProblems(raw, map),
    ...identityProblems(raw, map),
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
  let bytes: Buffer;
  try {
    const file = await open(absolute, 'r');
    try {
      const { size } = await file.stat();
      if (size > MAX_DECLARATION_BYTES) throw tooLargeError(absolute, size);
      // One byte more than the cap: a file that grew since the stat is still caught.
      const buffer = Buffer.alloc(MAX_DECLARATION_BYTES + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        length += bytesRead;
        if (bytesRead === 0 || length >= buffer.length) break;
      }
      bytes = buffer.subarray(0, length);
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw readError(absolute, error);
  }
  return parseAgentSystem(decodeDeclaration(bytes, absolute), absolute);
}

/** Synchronous {@link loadAgentSystem}, for process start-up paths that cannot await. */
export function loadAgentSystemSync(path: string): AgentSystem {
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    const fd = openSync(absolute, 'r');
    try {
      const { size } = fstatSync(fd);
      if (size > MAX_DECLARATION_BYTES) throw tooLargeError(absolute, size);
      const buffer = Buffer.alloc(MAX_DECLARATION_BYTES + 1);
      let length = 0;
      for (;;) {
        const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
        length += bytesRead;
        if (bytesRead === 0 || length >= buffer.length) break;
      }
      bytes = buffer.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw readError(absolute, error);
  }
  return parseAgentSystem(decodeDeclaration(bytes, absolute), absolute);
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
