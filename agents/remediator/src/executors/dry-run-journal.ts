import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { RemediatorError, REMEDIATOR_ERROR_CODES } from '../errors.js';
import { applyRequestToInventory } from '../inventory/apply.js';
import { InventorySnapshot, type Inventory } from '../inventory/inventory.js';
import type { InventoryDocument } from '../inventory/schema.js';
import { DryRunExecutor, type AppliedRequest } from './dry-run.js';

/** Where the dry-run executor keeps its state across restarts. */
export interface DryRunStatePaths {
  /** The inventory as of the last start (JSON). */
  readonly inventory: string;
  /** The requests applied since, one JSON line each, after a header line naming the inventory. */
  readonly journal: string;
}

/**
 * Opens the dry-run executor with its state kept across restarts, at a cost per request
 * independent of the inventory's size: each applied request is appended to the journal
 * and flushed to disk (`fdatasync`) before its outcome is returned. On open, the journal
 * is replayed onto the inventory file, the result becomes the new inventory file (atomic,
 * flushed replace) and a new journal starts, headed by the digest of that file — so a
 * journal left behind by a crash between the two replaces, already folded in, is
 * recognised by its header and not applied twice. A last line without its newline (a
 * crash mid-append, never acknowledged) is dropped. `initial` gives the inventory the
 * first time, when there is no state yet.
 *
 * Throws `VIGIL_REMEDIATOR_INVENTORY` when the state cannot be read or a journal line
 * does not apply, `VIGIL_REMEDIATOR_INVALID` for an invalid inventory.
 */
export async function openDryRunExecutor(
  paths: DryRunStatePaths,
  initial: () => Promise<Inventory>,
): Promise<{ executor: DryRunExecutor; close(): void }> {
  let doc: InventoryDocument;
  if (existsSync(paths.inventory)) {
    const bytes = readFileSync(paths.inventory);
    doc = InventorySnapshot.parse(readJson(bytes, paths.inventory), paths.inventory).toDocument();
    replayJournal(doc, paths.journal, digestOf(bytes));
  } else {
    doc = (await initial()).toDocument();
  }
  const inventory = InventorySnapshot.parse(doc, paths.inventory);
  const text = JSON.stringify(doc);
  replaceDurably(paths.inventory, text);
  replaceDurably(paths.journal, `${JSON.stringify({ inventory: digestOf(text) })}\n`);
  const fd = openSync(paths.journal, 'a');
  const executor = new DryRunExecutor(inventory, {
    onApplied: (applied: AppliedRequest) => {
      writeSync(fd, `${JSON.stringify(applied)}\n`);
      fdatasyncSync(fd);
    },
  });
  return { executor, close: () => closeSync(fd) };
}

function replayJournal(doc: InventoryDocument, path: string, inventoryDigest: string): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n');
  // The text after the last newline: empty, or an append a crash cut short.
  lines.pop();
  const [header, ...entries] = lines;
  if (header === undefined) return;
  if ((readJson(header, path) as { inventory?: unknown }).inventory !== inventoryDigest) return;
  entries.forEach((line, i) => {
    const { request, uid } = readJson(line, path) as AppliedRequest;
    const outcome = applyRequestToInventory(doc, request, { uid });
    if (!outcome.ok) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.inventory,
        `${path}: line ${i + 2} does not apply to the inventory: ${outcome.reason}`,
      );
    }
  });
}

function readJson(text: Buffer | string, path: string): unknown {
  try {
    return JSON.parse(text.toString());
  } catch (cause) {
    throw new RemediatorError(REMEDIATOR_ERROR_CODES.inventory, `${path}: not valid JSON`, {
      cause,
    });
  }
}

function digestOf(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Replaces `path` by `text` atomically, and on disk before returning. */
function replaceDurably(path: string, text: string): void {
  const aside = `${path}.tmp`;
  const fd = openSync(aside, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(aside, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
