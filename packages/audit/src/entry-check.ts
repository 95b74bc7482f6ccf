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

/** The buffers of `page` that can be transferred to another thread instead of copied. */
export function transferablesOf(page: CheckedPage): ArrayBuffer[] {
  return [page.sequence.buffer, page.chainSeq.buffer, page.altered.buffer] as ArrayBuffer[];
}
