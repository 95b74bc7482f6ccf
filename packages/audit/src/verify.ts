import type { X509Certificate, KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { sha256Hex } from '@vigil/core';
import { GENESIS_HASH } from './entry.js';
import { checkSealedRows, type CheckedPage, type CompactPage } from './entry-check.js';
import { scanCheckedInParallel } from './parallel-scan.js';
import {
  anchorPayload,
  checkpointPayload,
  checkWriterCertificate,
  parseCaBundle,
  verifyPayload,
  type ChainCheckpoint,
} from './signing.js';
import type { AuditStore, ChainRecord } from './store.js';

/**
 * What verification can find:
 * - `ALTERED`: an entry's content no longer matches its hash, or a chain was rewritten
 *   with recomputed hashes and no longer matches what its writer signed;
 * - `DELETED`: chain positions are missing (inside the chain, at its signed tail, or at its
 *   start without a signed prune record), or a whole chain or anchor is gone;
 * - `REORDERED`: an entry is stored before an entry that precedes it in its chain;
 * - `INSERTED`: an entry takes a position already taken, or follows the writer's final checkpoint;
 * - `BROKEN_LINK`: an entry's `prevHash` is not the hash of the entry before it;
 * - `FORGED_SIGNATURE`: a checkpoint or anchor signature does not verify with the
 *   certificate it names, or was made outside that certificate's validity;
 * - `UNTRUSTED_WRITER`: a chain or signature whose certificate is unknown, not issued by a
 *   CA in the bundle, or for another identity;
 * - `IMPERSONATION`: an entry whose actor is an agent other than the chain's writer.
 */
export type AuditProblemCode =
  | 'ALTERED'
  | 'DELETED'
  | 'REORDERED'
  | 'INSERTED'
  | 'BROKEN_LINK'
  | 'FORGED_SIGNATURE'
  | 'UNTRUSTED_WRITER'
  | 'IMPERSONATION';

/** One finding of {@link verifyAudit}. */
export interface AuditProblem {
  readonly code: AuditProblemCode;
  readonly message: string;
  readonly chain?: string;
  /** Store sequence of the bad entry (for a deletion: of the entry after the gap). */
  readonly sequence?: number;
  /** Chain position of the bad (or first missing) entry. */
  readonly chainSeq?: number;
  readonly checkpointId?: number;
  readonly anchorSeq?: number;
}

/** Per-chain summary. */
export interface ChainSummary {
  readonly chain: string;
  readonly identity: string;
  readonly entries: number;
  /** First and last stored positions. */
  readonly from: number | null;
  readonly to: number | null;
  /** Highest position covered by a valid signed checkpoint. */
  readonly signedThrough: number;
  /** Entries after the last signed checkpoint (not yet signed; see docs/audit.md). */
  readonly unsignedTail: number;
  readonly closed: boolean;
}

/** Result of {@link verifyAudit}. */
export interface AuditVerification {
  readonly ok: boolean;
  /** The earliest problem in store order, if any. */
  readonly firstProblem: AuditProblem | undefined;
  /** The first problem of each chain, and every anchor problem, earliest first. */
  readonly problems: readonly AuditProblem[];
  readonly entries: number;
  readonly checkpoints: number;
  readonly anchors: number;
  readonly chains: readonly ChainSummary[];
  readonly durationMs: number;
}

/** Options of {@link verifyAudit}. */
export interface VerifyOptions {
  /** PEM bundle of the CAs whose certificates writers hold. */
  readonly caPem: string;
  /** Rows read per page. Default 1,000. */
  readonly pageSize?: number;
  /**
   * Who may sign prune records. Default: any CA-issued identity that is not an agent
   * (`spiffe://<td>/agent/…` or `spiffe://<td>/ns/…/sa/…`), so a compromised agent cannot "prune" another's history.
   */
  readonly isPruneAuthority?: (spiffeId: string) => boolean;
  /**
   * Worker threads that read and hash ranges of the log in parallel, each through its own
   * read-only connection; only for stores with a `readerPath` (an on-disk SQLite file),
   * others are read in this thread. Default 0: read in this thread. `'auto'`: as many
   * workers as the machine has cores (at most {@link MAX_AUTO_WORKERS}) when it has two or
   * more and the log holds at least {@link AUTO_WORKERS_FROM_ENTRIES} entries, else 0 —
   * below that one thread finishes within about a second and starting threads is not
   * worth it. Workers pay off only where a core is free (figures in bench/audit/README.md).
   */
  readonly workers?: number | 'auto';
}

/** Below this many entries, `workers: 'auto'` reads in the verifying thread. */
export const AUTO_WORKERS_FROM_ENTRIES = 100_000;
/** Most worker threads `workers: 'auto'` starts. */
export const MAX_AUTO_WORKERS = 8;

/**
 * Rows per page when verifying. Small enough that a page's strings die young (10,000-row
 * pages cost about 20 % more CPU, mostly in the garbage collector, measured on a 200,000-entry log).
 */
const DEFAULT_PAGE_SIZE = 1_000;

/** One entry as the chain checks see it: position, links, and its per-entry findings. */
interface CheckedEntry {
  readonly sequence: number;
  readonly chainSeq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly altered: boolean;
  /** The actor, when it is another agent than the chain's writer. */
  readonly impersonator: string | undefined;
}

interface ChainState {
  readonly chain: string;
  expected: number;
  prevHash: string;
  started: boolean;
  first: { chainSeq: number; prevHash: string; sequence: number } | undefined;
  maxSeq: number;
  lastSequence: number;
  count: number;
  gaps: { from: number; to: number; atSequence: number; atChainSeq: number }[];
  problems: AuditProblem[];
  /** Positions whose hash and sequence checkpoints or anchors need. */
  needed: Set<number>;
  found: Map<number, { hash: string; sequence: number }>;
  finalAt: number | undefined;
  prevSequence: number;
  /** A link break waiting for the next entry to tell which entry was rewritten. */
  pendingBreak: { sequence: number; chainSeq: number; prevSequence: number } | undefined;
}

/**
 * Checks every chain, checkpoint signature and anchor of `store` against the CAs in
 * `caPem`, and names the first bad entry with a precise reason ({@link AuditProblemCode}).
 * Tampering is a result, not an exception; this throws only when the store cannot be read
 * or the CA bundle is unreadable (`VIGIL_AUDIT_CONFIG`).
 *
 * Cost: one SHA-256 per entry (over its stored canonical bytes, with no JSON parsing) and
 * one ECDSA verification per checkpoint and anchor. Reading and hashing — nearly all of
 * the cost — can run in worker threads on an on-disk SQLite log
 * ({@link VerifyOptions.workers}); the result is the same either way.
 */
export async function verifyAudit(
  store: AuditStore,
  options: VerifyOptions,
): Promise<AuditVerification> {
  const started = performance.now();
  const cas = parseCaBundle(options.caPem);
  const [chainRecords, writers, checkpoints, anchors] = await Promise.all([
    store.chains(),
    store.writers(),
    store.checkpoints(),
    store.anchors(),
  ]);
  const chainInfo = new Map<string, ChainRecord>(chainRecords.map((c) => [c.chain, c]));
  const certs = new CertCache(cas, new Map(writers.map((w) => [w.fingerprint, w.certPem])));
  const anchorProblems: AuditProblem[] = [];
  const states = new Map<string, ChainState>();
  const state = (chain: string): ChainState => {
    let s = states.get(chain);
    if (s === undefined) {
      s = {
        chain,
        expected: 1,
        prevHash: GENESIS_HASH,
        started: false,
        first: undefined,
        maxSeq: 0,
        lastSequence: 0,
        count: 0,
        gaps: [],
        problems: [],
        needed: new Set(),
        found: new Map(),
        finalAt: undefined,
        prevSequence: 0,
        pendingBreak: undefined,
      };
      states.set(chain, s);
    }
    return s;
  };
  const byChain = new Map<string, ChainCheckpoint[]>();
  for (const c of checkpoints) {
    const s = state(c.chain);
    s.needed.add(c.chainSeq);
    s.needed.add(c.chainSeq + 1);
    if (c.final && (s.finalAt === undefined || c.chainSeq < s.finalAt)) s.finalAt = c.chainSeq;
    const list = byChain.get(c.chain) ?? [];
    list.push(c);
    byChain.set(c.chain, list);
  }
  for (const a of anchors)
    for (const h of [...a.heads, ...a.prunedTo]) state(h.chain).needed.add(h.chainSeq);
  for (const c of chainRecords) state(c.chain).needed.add(1);

  // 1. One pass over all entries in store order.
  let total = 0;
  const needed = new Map([...states].map(([chain, s]) => [chain, s.needed]));
  for await (const checked of checkedPages(store, chainRecords, needed, options)) {
    let page: CheckedPage;
    if ('compact' in checked) {
      if (compactFits(checked, state)) {
        total += checkCompactPage(checked, state, chainInfo);
        continue;
      }
      // A chain of the page resumes below its expected position (an entry repeated or
      // stored out of order across pages): the chain checks need every link and hash of
      // the page, so it is read again here.
      const rows = [];
      for await (const part of store.scanSealed(checked.sequence.length, {
        afterSequence: checked.sequence[0]! - 1,
        throughSequence: checked.sequence[checked.sequence.length - 1]!,
      }))
        rows.push(...part);
      page = checkSealedRows(rows, new Map(chainRecords.map((c) => [c.chain, c.identity])));
    } else page = checked;
    const impersonators = new Map(page.impersonations);
    for (let i = 0; i < page.sequence.length; i++) {
      total++;
      const chain = page.chain[i]!;
      checkEntry(state(chain), chainInfo.get(chain), {
        sequence: page.sequence[i]!,
        chainSeq: page.chainSeq[i]!,
        prevHash: page.prevHash[i]!,
        hash: page.hash[i]!,
        altered: page.altered[i] === 1,
        impersonator: impersonators.get(i),
      });
    }
  }

  // 2. Anchors' own integrity first: prune records count only from valid anchors signed by a
  // prune authority (by default a non-agent identity: an operator, not a possibly compromised agent;
  // agents are /agent/<name>, or /ns/<ns>/sa/<name> with identity.spiffeIds: service-account).
  const isPruneAuthority =
    options.isPruneAuthority ??
    ((id: string) => !/^spiffe:\/\/[^/]+\/(agent\/|ns\/[^/]+\/sa\/)/.test(id));
  const validAnchors = new Set<number>();
  let expectedAnchor = 1;
  let prevAnchorHash = GENESIS_HASH;
  for (const a of anchors) {
    const where = { anchorSeq: a.anchorSeq, sequence: Number.MAX_SAFE_INTEGER };
    let valid = true;
    if (a.anchorSeq !== expectedAnchor) {
      anchorProblems.push({
        code: a.anchorSeq > expectedAnchor ? 'DELETED' : 'INSERTED',
        ...where,
        message:
          a.anchorSeq > expectedAnchor
            ? `anchors ${range(expectedAnchor, a.anchorSeq - 1)} missing`
            : `anchor ${a.anchorSeq} repeats a position`,
      });
    }
    const payload = anchorPayload(a);
    if (sha256Hex(payload) !== a.hash) {
      valid = false;
      anchorProblems.push({
        code: 'ALTERED',
        ...where,
        message: `anchor ${a.anchorSeq}: content does not match its hash`,
      });
    } else if (a.anchorSeq === expectedAnchor && a.prevHash !== prevAnchorHash) {
      anchorProblems.push({
        code: 'BROKEN_LINK',
        ...where,
        message: `anchor ${a.anchorSeq}: prevHash is not the hash of anchor ${a.anchorSeq - 1}`,
      });
    }
    const sig = certs.checkSignature(a.certFingerprint, a.signer, a.time, payload, a.signature);
    if (!sig.ok) {
      valid = false;
      anchorProblems.push({
        code: sig.code,
        ...where,
        message: `anchor ${a.anchorSeq}: ${sig.reason}`,
      });
    }
    if (valid) validAnchors.add(a.anchorSeq);
    expectedAnchor = Math.max(expectedAnchor, a.anchorSeq) + 1;
    prevAnchorHash = a.hash;
  }
  const pruneRecords = new Map<string, Set<string>>();
  const prunedBase = new Map<string, number>();
  for (const a of anchors) {
    if (!validAnchors.has(a.anchorSeq) || a.reason !== 'prune' || !isPruneAuthority(a.signer))
      continue;
    for (const p of a.prunedTo) {
      const set = pruneRecords.get(p.chain) ?? new Set<string>();
      set.add(`${p.chainSeq}:${p.headHash}`);
      pruneRecords.set(p.chain, set);
      prunedBase.set(p.chain, Math.max(prunedBase.get(p.chain) ?? 0, p.chainSeq));
    }
  }

  const summaries: ChainSummary[] = [];
  for (const s of states.values()) {
    const record = chainInfo.get(s.chain);
    if (s.pendingBreak !== undefined) {
      const p = s.pendingBreak;
      s.problems.push({
        code: 'BROKEN_LINK',
        chain: s.chain,
        sequence: p.sequence,
        chainSeq: p.chainSeq,
        message: `entry ${p.sequence} (position ${p.chainSeq}): prevHash is not the hash of position ${p.chainSeq - 1} (that entry or this link was rewritten)`,
      });
    }
    for (const g of s.gaps) {
      s.problems.push({
        code: 'DELETED',
        chain: s.chain,
        sequence: g.atSequence,
        chainSeq: g.from,
        message: `chain ${s.chain}: ${range(g.from, g.to)} missing before entry ${g.atSequence} (position ${g.atChainSeq})`,
      });
    }
    if (record === undefined && (s.count > 0 || (byChain.get(s.chain)?.length ?? 0) > 0)) {
      s.problems.push({
        code: 'UNTRUSTED_WRITER',
        chain: s.chain,
        sequence: s.first?.sequence,
        message: `chain ${s.chain} is not registered in the store (no writer identity)`,
      });
    }
    // Signed checkpoints of this chain.
    const cps = (byChain.get(s.chain) ?? [])
      .slice()
      .sort((a, b) => a.chainSeq - b.chainSeq || a.id - b.id);
    let signedThrough = 0;
    let lastGood = 0;
    const base = prunedBase.get(s.chain) ?? 0;
    let baseOk = s.first === undefined || s.first.chainSeq === 1;
    for (const c of cps) {
      const sig = certs.checkSignature(
        c.certFingerprint,
        c.signer,
        c.time,
        checkpointPayload(c),
        c.signature,
      );
      const headEntry = s.found.get(c.chainSeq);
      if (record !== undefined && c.signer !== record.identity) {
        s.problems.push({
          code: 'UNTRUSTED_WRITER',
          chain: s.chain,
          checkpointId: c.id,
          chainSeq: c.chainSeq,
          sequence: headEntry?.sequence,
          message: `checkpoint ${c.id} of chain ${s.chain} is signed by ${c.signer}, not by the chain's writer ${record.identity}`,
        });
        continue;
      }
      if (!sig.ok) {
        s.problems.push({
          code: sig.code,
          chain: s.chain,
          checkpointId: c.id,
          chainSeq: c.chainSeq,
          sequence: headEntry?.sequence ?? s.lastSequence + 0.5,
          message: `checkpoint ${c.id} of chain ${s.chain} (through position ${c.chainSeq}): ${sig.reason}`,
        });
        continue;
      }
      if (c.chainSeq <= base || (s.first !== undefined && c.chainSeq === s.first.chainSeq - 1)) {
        // The checkpoint a chain was pruned to: the first remaining entry links to its head,
        // and a signed prune record names it.
        const recorded = pruneRecords.get(s.chain)?.has(`${c.chainSeq}:${c.headHash}`) === true;
        if (
          s.first !== undefined &&
          c.chainSeq === s.first.chainSeq - 1 &&
          c.headHash === s.first.prevHash &&
          recorded
        )
          baseOk = true;
        if (recorded) {
          signedThrough = Math.max(signedThrough, c.chainSeq);
          lastGood = Math.max(lastGood, c.chainSeq);
        }
        if (c.chainSeq <= base) continue;
      }
      if (c.chainSeq === 0) continue;
      if (c.chainSeq > s.maxSeq) {
        s.problems.push({
          code: 'DELETED',
          chain: s.chain,
          checkpointId: c.id,
          chainSeq: s.maxSeq + 1,
          sequence: s.lastSequence + 0.5,
          message: `chain ${s.chain}: ${range(s.maxSeq + 1, c.chainSeq)} signed in checkpoint ${c.id} ${c.chainSeq === s.maxSeq + 1 ? 'is' : 'are'} missing (the chain ends at ${s.maxSeq})`,
        });
        continue;
      }
      if (headEntry === undefined) continue; // inside a gap already reported
      if (headEntry.hash !== c.headHash) {
        const candidate = s.found.get(lastGood + 1);
        const from = lastGood;
        lastGood = c.chainSeq; // report each rewritten range once
        // A more precise finding inside the range (an altered entry, a broken link) names the entry.
        if (
          s.problems.some(
            (p) => p.chainSeq !== undefined && p.chainSeq > from && p.chainSeq <= c.chainSeq,
          )
        )
          continue;
        s.problems.push({
          code: 'ALTERED',
          chain: s.chain,
          checkpointId: c.id,
          chainSeq: from + 1,
          sequence: candidate?.sequence ?? headEntry.sequence,
          message: `chain ${s.chain}: ${range(from + 1, c.chainSeq)} no longer match what the writer signed in checkpoint ${c.id} (rewritten with recomputed hashes); the first bad entry is at or after position ${from + 1}`,
        });
        continue;
      }
      signedThrough = Math.max(signedThrough, c.chainSeq);
      lastGood = c.chainSeq;
    }
    if (!baseOk && s.first !== undefined) {
      s.problems.push({
        code: 'DELETED',
        chain: s.chain,
        sequence: s.first.sequence,
        chainSeq: 1,
        message: `chain ${s.chain}: ${range(1, s.first.chainSeq - 1)} missing and no signed checkpoint plus prune record covers them`,
      });
    }
    s.problems.sort(byPlace);
    summaries.push({
      chain: s.chain,
      identity: record?.identity ?? '(unregistered)',
      entries: s.count,
      from: s.first?.chainSeq ?? null,
      to: s.count > 0 ? s.maxSeq : null,
      signedThrough,
      unsignedTail: Math.max(0, s.maxSeq - signedThrough),
      closed: s.finalAt !== undefined,
    });
  }

  // 3. The heads each anchor commits to.
  for (const a of anchors) {
    if (!validAnchors.has(a.anchorSeq)) continue;
    const where = { anchorSeq: a.anchorSeq };
    for (const h of a.heads) {
      const s = states.get(h.chain);
      if (h.chainSeq <= (prunedBase.get(h.chain) ?? 0)) continue;
      if (s === undefined || s.count === 0) {
        anchorProblems.push({
          code: 'DELETED',
          ...where,
          chain: h.chain,
          chainSeq: 1,
          sequence: Number.MAX_SAFE_INTEGER,
          message: `chain ${h.chain}, anchored through position ${h.chainSeq} by anchor ${a.anchorSeq}, is missing`,
        });
        continue;
      }
      const found = s.found.get(h.chainSeq);
      if (h.chainSeq > s.maxSeq) {
        anchorProblems.push({
          code: 'DELETED',
          ...where,
          chain: h.chain,
          chainSeq: s.maxSeq + 1,
          sequence: s.lastSequence + 0.5,
          message: `chain ${h.chain}: ${range(s.maxSeq + 1, h.chainSeq)} committed by anchor ${a.anchorSeq} missing (the chain ends at ${s.maxSeq})`,
        });
      } else if (found !== undefined && found.hash !== h.headHash) {
        anchorProblems.push({
          code: 'ALTERED',
          ...where,
          chain: h.chain,
          chainSeq: h.chainSeq,
          sequence: found.sequence,
          message: `chain ${h.chain}: position ${h.chainSeq} differs from what anchor ${a.anchorSeq} committed to`,
        });
      }
    }
  }

  const problems = [
    ...[...states.values()]
      .map((s) => s.problems[0])
      .filter((p): p is AuditProblem => p !== undefined),
    ...anchorProblems,
  ].sort(byPlace);
  return {
    ok: problems.length === 0,
    firstProblem: problems[0],
    problems,
    entries: total,
    checkpoints: checkpoints.length,
    anchors: anchors.length,
    chains: summaries.sort((a, b) => (a.chain < b.chain ? -1 : 1)),
    durationMs: performance.now() - started,
  };
}

/**
 * Every stored entry, hashed and checked, in store order: read by worker threads when asked
 * for and the store allows it ({@link VerifyOptions.workers}), else here.
 */
async function* checkedPages(
  store: AuditStore,
  chainRecords: readonly ChainRecord[],
  needed: ReadonlyMap<string, ReadonlySet<number>>,
  options: VerifyOptions,
): AsyncIterable<CheckedPage | CompactPage> {
  const writers = new Map(chainRecords.map((c) => [c.chain, c.identity]));
  const path = store.readerPath;
  const asked = options.workers ?? 0;
  let bounds: { first: number; last: number } | undefined;
  if (path !== undefined && asked !== 0) {
    if (store.sequenceBounds !== undefined) bounds = await store.sequenceBounds();
    else {
      const stats = await store.stats();
      if (stats.firstSequence !== null && stats.lastSequence !== null)
        bounds = { first: stats.firstSequence, last: stats.lastSequence };
    }
  }
  const cores = availableParallelism();
  const workers =
    asked !== 'auto'
      ? asked
      : bounds !== undefined &&
          bounds.last - bounds.first + 1 >= AUTO_WORKERS_FROM_ENTRIES &&
          cores >= 2
        ? Math.min(cores, MAX_AUTO_WORKERS)
        : 0;
  if (path !== undefined && bounds !== undefined && workers > 0) {
    yield* scanCheckedInParallel({
      path,
      writers,
      needed,
      workers,
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      firstSequence: bounds.first,
      lastSequence: bounds.last,
    });
    return;
  }
  for await (const rows of store.scanSealed(options.pageSize ?? DEFAULT_PAGE_SIZE))
    yield checkSealedRows(rows, writers);
}

/**
 * True when every chain of `page` continues at or beyond its expected position: its first
 * entry in the page then leaves the chain state at that entry, and each later entry of
 * the chain in the page, one position further and linking to it, takes the ordinary path
 * of {@link checkEntry}, whose outcome needs no string the compact page left out.
 */
function compactFits(page: CompactPage, state: (chain: string) => ChainState): boolean {
  for (const [i] of page.prevHashes) {
    const s = state(page.chains[page.chainIndex[i]!]!);
    if (s.started && page.chainSeq[i]! < s.expected) return false;
  }
  return true;
}

/**
 * Runs {@link checkEntry} over a compact page that {@link compactFits}: an entry whose
 * predecessor is in the page links to it, which the chain state holds as `prevHash`; a
 * hash the page left out is never read again (the next entry of its chain links to it
 * in the page, and no checkpoint or anchor names its position). Returns the entries checked.
 */
function checkCompactPage(
  page: CompactPage,
  state: (chain: string) => ChainState,
  chainInfo: ReadonlyMap<string, ChainRecord>,
): number {
  const prevHashes = new Map(page.prevHashes);
  const hashes = new Map(page.hashes);
  const n = page.sequence.length;
  for (let i = 0; i < n; i++) {
    const chain = page.chains[page.chainIndex[i]!]!;
    const s = state(chain);
    checkEntry(s, chainInfo.get(chain), {
      sequence: page.sequence[i]!,
      chainSeq: page.chainSeq[i]!,
      prevHash: prevHashes.get(i) ?? s.prevHash,
      hash: hashes.get(i) ?? '',
      altered: false,
      impersonator: undefined,
    });
  }
  return n;
}

function checkEntry(s: ChainState, record: ChainRecord | undefined, e: CheckedEntry): void {
  s.count++;
  if (e.altered) {
    s.problems.push({
      code: 'ALTERED',
      chain: s.chain,
      sequence: e.sequence,
      chainSeq: e.chainSeq,
      message: `entry ${e.sequence} (chain ${s.chain}, position ${e.chainSeq}): content does not match its hash`,
    });
  }
  if (e.impersonator !== undefined && record !== undefined) {
    s.problems.push({
      code: 'IMPERSONATION',
      chain: s.chain,
      sequence: e.sequence,
      chainSeq: e.chainSeq,
      message: `entry ${e.sequence}: actor ${e.impersonator} is not the chain's writer ${record.identity}`,
    });
  }
  if (s.finalAt !== undefined && e.chainSeq > s.finalAt) {
    s.problems.push({
      code: 'INSERTED',
      chain: s.chain,
      sequence: e.sequence,
      chainSeq: e.chainSeq,
      message: `entry ${e.sequence} (position ${e.chainSeq}) follows the writer's final checkpoint at position ${s.finalAt}`,
    });
  }
  if (s.needed.has(e.chainSeq) && !s.found.has(e.chainSeq))
    s.found.set(e.chainSeq, { hash: e.hash, sequence: e.sequence });
  if (!s.started) {
    s.started = true;
    s.first = { chainSeq: e.chainSeq, prevHash: e.prevHash, sequence: e.sequence };
    if (e.chainSeq === 1 && e.prevHash !== GENESIS_HASH) {
      s.problems.push({
        code: 'BROKEN_LINK',
        chain: s.chain,
        sequence: e.sequence,
        chainSeq: 1,
        message: `entry ${e.sequence}: the first entry of chain ${s.chain} does not start from the genesis hash`,
      });
    }
    s.expected = e.chainSeq + 1;
    s.prevHash = e.hash;
    s.prevSequence = e.sequence;
    s.maxSeq = e.chainSeq;
    s.lastSequence = e.sequence;
    return;
  }
  s.lastSequence = e.sequence;
  if (e.chainSeq === s.expected) {
    const broken = e.prevHash !== s.prevHash;
    const pending = s.pendingBreak;
    s.pendingBreak = undefined;
    if (pending !== undefined) {
      if (broken) {
        // Two breaks in a row: the entry between them was rewritten, link included.
        s.problems.push({
          code: 'BROKEN_LINK',
          chain: s.chain,
          sequence: pending.sequence,
          chainSeq: pending.chainSeq,
          message: `entry ${pending.sequence} (position ${pending.chainSeq}): prevHash is not the hash of position ${pending.chainSeq - 1}, and its own hash was recomputed (its successor links to the original)`,
        });
      } else {
        s.problems.push({
          code: 'ALTERED',
          chain: s.chain,
          sequence: pending.prevSequence,
          chainSeq: pending.chainSeq - 1,
          message: `entry ${pending.prevSequence} (position ${pending.chainSeq - 1}) was altered and its hash recomputed: position ${pending.chainSeq} still links to the original hash`,
        });
      }
    } else if (broken) {
      s.pendingBreak = { sequence: e.sequence, chainSeq: e.chainSeq, prevSequence: s.prevSequence };
    }
    s.expected++;
    s.prevHash = e.hash;
    s.prevSequence = e.sequence;
    s.maxSeq = Math.max(s.maxSeq, e.chainSeq);
  } else if (e.chainSeq > s.expected) {
    s.gaps.push({
      from: s.expected,
      to: e.chainSeq - 1,
      atSequence: e.sequence,
      atChainSeq: e.chainSeq,
    });
    s.expected = e.chainSeq + 1;
    s.prevHash = e.hash;
    s.prevSequence = e.sequence;
    s.maxSeq = e.chainSeq;
    s.pendingBreak = undefined;
  } else {
    const gap = s.gaps.find((g) => e.chainSeq >= g.from && e.chainSeq <= g.to);
    if (gap !== undefined) {
      s.problems.push({
        code: 'REORDERED',
        chain: s.chain,
        sequence: gap.atSequence,
        chainSeq: gap.atChainSeq,
        message: `entry ${gap.atSequence} (position ${gap.atChainSeq}) is stored before position ${e.chainSeq} (entry ${e.sequence})`,
      });
      // Remove the position from the gap so it is not also reported as deleted.
      const idx = s.gaps.indexOf(gap);
      const parts = [
        { ...gap, to: e.chainSeq - 1 },
        { ...gap, from: e.chainSeq + 1 },
      ].filter((g) => g.from <= g.to);
      s.gaps.splice(idx, 1, ...parts);
    } else {
      s.problems.push({
        code: 'INSERTED',
        chain: s.chain,
        sequence: e.sequence,
        chainSeq: e.chainSeq,
        message: `entry ${e.sequence} claims position ${e.chainSeq} of chain ${s.chain}, which is already taken`,
      });
    }
  }
}

function byPlace(a: AuditProblem, b: AuditProblem): number {
  return (a.sequence ?? Number.MAX_SAFE_INTEGER) - (b.sequence ?? Number.MAX_SAFE_INTEGER);
}

function range(from: number, to: number): string {
  return from === to ? `position ${from}` : `positions ${from}..${to}`;
}

type SignatureCheck =
  | { ok: true }
  | { ok: false; code: 'FORGED_SIGNATURE' | 'UNTRUSTED_WRITER'; reason: string };

class CertCache {
  readonly #checked = new Map<string, ReturnType<typeof checkWriterCertificate>>();
  constructor(
    readonly cas: readonly X509Certificate[],
    readonly pems: Map<string, string>,
  ) {}

  checkSignature(
    fingerprint: string,
    signer: string,
    time: string,
    payload: string,
    signature: string,
  ): SignatureCheck {
    let check = this.#checked.get(fingerprint);
    if (check === undefined) {
      const pem = this.pems.get(fingerprint);
      check =
        pem === undefined
          ? {
              ok: false,
              reason: `certificate ${fingerprint.slice(0, 16)}… is not in the writers table`,
            }
          : checkWriterCertificate(pem, this.cas);
      if (check.ok && pem !== undefined && fingerprintOf(pem) !== fingerprint)
        check = {
          ok: false,
          reason: 'the writers table holds another certificate under this fingerprint',
        };
      this.#checked.set(fingerprint, check);
    }
    if (!check.ok) return { ok: false, code: 'UNTRUSTED_WRITER', reason: check.reason };
    if (check.spiffeId !== signer)
      return {
        ok: false,
        code: 'UNTRUSTED_WRITER',
        reason: `the certificate names ${check.spiffeId}, not the signer ${signer}`,
      };
    const at = new Date(time);
    if (!(at >= check.notBefore && at <= check.notAfter))
      return {
        ok: false,
        code: 'FORGED_SIGNATURE',
        reason: `signed at ${time}, outside the certificate's validity`,
      };
    if (!verifyPayload(check.key as KeyObject, payload, signature))
      return {
        ok: false,
        code: 'FORGED_SIGNATURE',
        reason: 'signature does not verify with the writer certificate',
      };
    return { ok: true };
  }
}

function fingerprintOf(pem: string): string {
  // Lazy import-free DER hash: X509Certificate.raw via checkWriterCertificate would parse twice.
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');
  return sha256Hex(der);
}
