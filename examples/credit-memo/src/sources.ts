import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestOf } from '@vigil/core';
import type { SourceEntry, SourceName } from './contracts.js';
import { CREDIT_ERROR_CODES, CreditError } from './errors.js';

/** The shipped synthetic data (see `data/README.md`). */
export const SHIPPED_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

type Leaf = number | string | boolean | null;

function* leaves(value: unknown, path: string): Generator<[string, Leaf]> {
  if (value === null || typeof value !== 'object') {
    yield [path, value as Leaf];
    return;
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>);
  for (const [key, child] of entries) yield* leaves(child, path === '' ? key : `${path}.${key}`);
}

/** The id of one fact: `<source>:<borrower>:<path>`. */
export function entryId(source: SourceName, borrowerId: string, path: string): string {
  return `${source}:${borrowerId}:${path}`;
}

/**
 * Reads one borrower's record of one source and returns it as source entries, one per
 * leaf value, each with a digest over `{id, value, asOf}`. Throws `VIGIL_CREDIT_NO_DATA`
 * when the source has no record for the borrower. Callers check the access policy first.
 */
export function readSource(options: {
  readonly dataDir: string;
  readonly source: SourceName;
  readonly borrowerId: string;
  readonly readBy: string;
  readonly asOf: string;
}): SourceEntry[] {
  const file = join(options.dataDir, `${options.source}.json`);
  let records: Record<string, unknown>;
  try {
    records = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new CreditError(
      CREDIT_ERROR_CODES.NO_DATA,
      `${file}: cannot read the ${options.source} source`,
      { cause },
    );
  }
  const record = records[options.borrowerId];
  if (record === undefined) {
    throw new CreditError(
      CREDIT_ERROR_CODES.NO_DATA,
      `source ${options.source} has no record for borrower ${options.borrowerId}`,
    );
  }
  const out: SourceEntry[] = [];
  for (const [path, value] of leaves(record, '')) {
    const id = entryId(options.source, options.borrowerId, path);
    out.push({
      id,
      source: options.source,
      borrowerId: options.borrowerId,
      path,
      value,
      asOf: options.asOf,
      digest: digestOf({ id, value, asOf: options.asOf }),
      readBy: options.readBy,
    });
  }
  return out;
}

/** Looks facts up by source and path; `number()` throws naming the missing fact. */
export class EntryIndex {
  private readonly byId = new Map<string, SourceEntry>();

  constructor(entries: readonly SourceEntry[]) {
    for (const e of entries) this.byId.set(e.id, e);
  }

  /** The entry `<source>:<borrower>:<path>`, if read. */
  get(source: SourceName, borrowerId: string, path: string): SourceEntry | undefined {
    return this.byId.get(entryId(source, borrowerId, path));
  }

  /** The numeric fact and its id; throws `VIGIL_CREDIT_MISSING_INPUT` when absent. */
  number(source: SourceName, borrowerId: string, path: string): { value: number; id: string } {
    const e = this.get(source, borrowerId, path);
    if (e === undefined || typeof e.value !== 'number') {
      throw new CreditError(
        CREDIT_ERROR_CODES.MISSING_INPUT,
        `missing numeric source entry ${entryId(source, borrowerId, path)}`,
      );
    }
    return { value: e.value, id: e.id };
  }

  /** Entries of one source whose path starts with `prefix`. */
  under(source: SourceName, borrowerId: string, prefix: string): SourceEntry[] {
    const head = entryId(source, borrowerId, prefix);
    return [...this.byId.values()].filter((e) => e.id === head || e.id.startsWith(`${head}.`));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }
}
