import { sha256OfText } from './entry.js';
import type { SealedRow } from './store.js';

/**
 * What verification needs of a page of stored entries once each entry's content was
 * hashed: the chain positions and links, and the per-entry findings. Columnar (typed
 * arrays and string arrays) so a worker thread can hand it to the verifying thread
 * cheaply (the typed arrays are transferred, not copied).
 */
export interface CheckedPage {
  readonly sequence: Float64Array;
  readonly chainSeq: Float64Array;
  readonly chain: string[];
  readonly prevHash: string[];
  readonly hash: string[];
  /** 1 where the stored content does not hash to the stored `hash`. */
  readonly altered: Uint8Array;
  /** `[index, actor]` of entries whose actor is another agent than the chain's writer. */
  readonly impersonations: [number, string][];
}

/**
 * Hashes each row's canonical text and compares with its stored hash, and checks
 * that an agent actor is the chain's writer (`writers`: chain → SPIFFE ID; unregistered
 * chains are reported elsewhere). The expensive, per-entry and order-free part of
 * verification: the chain logic that follows needs only the returned page.
 */
export function checkSealedRows(
  rows: readonly SealedRow[],
  writers: ReadonlyMap<string, string>,
): CheckedPage {
  const n = rows.length;
  const page: CheckedPage = {
    sequence: new Float64Array(n),
    chainSeq: new Float64Array(n),
    chain: new Array<string>(n),
    prevHash: new Array<string>(n),
    hash: new Array<string>(n),
    altered: new Uint8Array(n),
    impersonations: [],
  };
  for (let i = 0; i < n; i++) {
    const e = rows[i]!;
    page.sequence[i] = e.sequence;
    page.chainSeq[i] = e.chainSeq;
    page.chain[i] = e.chain;
    page.prevHash[i] = e.prevHash;
    page.hash[i] = e.hash;
    if (sha256OfText(e.sealed) !== e.hash) page.altered[i] = 1;
    const writer = writers.get(e.chain);
    if (writer !== undefined && e.actor !== writer && e.actor.startsWith('spiffe://'))
      page.impersonations.push([i, e.actor]);
  }
  return page;
}

/**
 * A checked page in which nothing needs a closer look: every entry hashed to its stored
 * hash, no agent speaks for another, and the entries of each chain are consecutive
 * positions each linking to the one before it in the page. Such a page carries its
 * strings only where the chain checks can use them — for the first entry of each chain in
 * the page its `prevHash` and `hash`, for the last its `hash`, and the `hash` of every
 * position a checkpoint or anchor names — so a verification worker hands over a few
 * strings per page instead of three per entry. Built by {@link checkSealedRowsCompactly}.
 */
export interface CompactPage {
  readonly compact: true;
  readonly sequence: Float64Array;
  readonly chainSeq: Float64Array;
  /** Per entry, its chain's index in `chains`. */
  readonly chainIndex: Uint32Array;
  readonly chains: string[];
  /** `[index, prevHash]` of the first entry of each chain in the page. */
  readonly prevHashes: [number, string][];
  /** `[index, hash]` of the first and last entry of each chain and of the positions asked for. */
  readonly hashes: [number, string][];
}

/**
 * {@link checkSealedRows} for a worker thread: the same checks in one pass, giving a
 * {@link CompactPage} when nothing in `rows` needs a closer look, else the full checked
 * page (a hash mismatch, an impersonation, a chain that skips, repeats or breaks its links
 * inside the page: the page is then checked again by {@link checkSealedRows}). `needed`
 * lists, per chain, the positions whose hash checkpoints and anchors are compared with.
 * One pass without the full page's string arrays costs less than checking and then
 * compacting.
 */
export function checkSealedRowsCompactly(
  rows: readonly SealedRow[],
  writers: ReadonlyMap<string, string>,
  needed: ReadonlyMap<string, ReadonlySet<number>>,
): CheckedPage | CompactPage {
  const n = rows.length;
  const sequence = new Float64Array(n);
  const chainSeq = new Float64Array(n);
  const chainIndex = new Uint32Array(n);
  const chains: string[] = [];
  const prevHashes: [number, string][] = [];
  const hashes: [number, string][] = [];
  const seen = new Map<string, PageChain>();
  for (let i = 0; i < n; i++) {
    const e = rows[i]!;
    if (sha256OfText(e.sealed) !== e.hash) return checkSealedRows(rows, writers);
    let c = seen.get(e.chain);
    if (c === undefined) {
      c = {
        index: chains.length,
        writer: writers.get(e.chain),
        needed: needed.get(e.chain),
        last: i,
        chainSeq: e.chainSeq,
        hash: e.hash,
      };
      seen.set(e.chain, c);
      chains.push(e.chain);
      prevHashes.push([i, e.prevHash]);
      hashes.push([i, e.hash]);
    } else {
      if (e.chainSeq !== c.chainSeq + 1 || e.prevHash !== c.hash)
        return checkSealedRows(rows, writers);
      if (c.needed?.has(e.chainSeq) === true) hashes.push([i, e.hash]);
      c.last = i;
      c.chainSeq = e.chainSeq;
      c.hash = e.hash;
    }
    if (c.writer !== undefined && e.actor !== c.writer && e.actor.startsWith('spiffe://'))
      return checkSealedRows(rows, writers);
    sequence[i] = e.sequence;
    chainSeq[i] = e.chainSeq;
    chainIndex[i] = c.index;
  }
  for (const c of seen.values()) hashes.push([c.last, c.hash]);
  return { compact: true, sequence, chainSeq, chainIndex, chains, prevHashes, hashes };
}

/** A chain as {@link checkSealedRowsCompactly} has seen it so far in a page. */
interface PageChain {
  readonly index: number;
  readonly writer: string | undefined;
  readonly needed: ReadonlySet<number> | undefined;
  /** Index, position and hash of its last entry so far. */
  last: number;
  chainSeq: number;
  hash: string;
}

/** The buffers of `page` that can be transferred to another thread instead of copied. */
export function transferablesOf(page: CheckedPage | CompactPage): ArrayBuffer[] {
  return 'compact' in page
    ? ([page.sequence.buffer, page.chainSeq.buffer, page.chainIndex.buffer] as ArrayBuffer[])
    : ([page.sequence.buffer, page.chainSeq.buffer, page.altered.buffer] as ArrayBuffer[]);
}
