// The shared contract suite of AuditStore: every backend runs exactly these tests
// (sqlite-store.test.ts, postgres-store.int.test.ts). Tampering is done with raw SQL in
// a dialect both backends accept (`?` placeholders are rewritten for PostgreSQL).
import assert from 'node:assert/strict';
import { describe, test, before, after, afterEach } from 'node:test';
import { canonicalJson } from '@vigil/core';
import {
  entryHash,
  hashSealed,
  type AuditEntry,
  type AuditEntryInput,
  type SealedEntry,
} from './entry.js';
import { pruneAudit } from './prune.js';
import type { AuditSigner } from './signing.js';
import type { AuditStore } from './store.js';
import { createTestCa, type TestCa } from './testing/identities.js';
import { verifyAudit, type VerifyOptions } from './verify.js';
import { createAuditWriter, type AuditWriter } from './writer.js';

/** A fresh, empty store plus a way to run raw SQL against it (to tamper). */
export interface ContractStore {
  readonly store: AuditStore;
  sql(statement: string, params?: readonly unknown[]): Promise<void>;
  /** A second, independent connection to the same store (to show durability). */
  reopen(): Promise<AuditStore>;
}

const TD = 'spiffe://contract.test';
const DETECTOR = `${TD}/agent/detector`;
const REVIEWER = `${TD}/agent/reviewer`;
const OPERATOR = `${TD}/user/alice`;

function step(actor: string, i: number, extra: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    kind: 'finding',
    actor,
    correlationId: `inc-${i % 3}`,
    traceId: (i % 3).toString(16).padStart(32, 'a'),
    what: { n: i, title: `finding ${i}`, nested: { z: 1, a: [1, 'two', null] } },
    why: { rationale: `because ${i}` },
    ...extra,
  };
}

async function all(store: AuditStore): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of store.query()) out.push(e);
  return out;
}

/** How the contract suite verifies (for example with verification worker threads forced on). */
export interface ContractOptions {
  readonly verify?: Omit<VerifyOptions, 'caPem'>;
}

/** Runs the AuditStore contract against `factory` (called once per test). */
export function describeAuditStoreContract(
  name: string,
  factory: () => Promise<ContractStore>,
  options: ContractOptions = {},
): void {
  const verify = (store: AuditStore, caPem: string) =>
    verifyAudit(store, { ...options.verify, caPem });
  describe(`AuditStore contract: ${name}`, () => {
    let ca: TestCa;
    let detector: AuditSigner;
    let reviewer: AuditSigner;
    let operator: AuditSigner;
    let current: ContractStore[] = [];

    before(() => {
      ca = createTestCa();
      detector = ca.issue(DETECTOR);
      reviewer = ca.issue(REVIEWER);
      operator = ca.issue(OPERATOR);
    });
    after(() => ca.dispose());

    async function fresh(): Promise<ContractStore> {
      const c = await factory();
      current.push(c);
      return c;
    }
    // Each test's stores are closed when it ends, so connection pools never pile up.
    afterEach(async () => {
      for (const c of current) await c.store.close().catch(() => undefined);
      current = [];
    });

    /** Two writers, 10 entries each, interleaved; checkpoints every 4 entries; closed. */
    async function populated(): Promise<{ c: ContractStore; entries: AuditEntry[] }> {
      const c = await fresh();
      const a = createAuditWriter({
        store: c.store,
        signer: detector,
        checkpoint: { everyEntries: 4, everyMs: 60_000 },
      });
      const b = createAuditWriter({
        store: c.store,
        signer: reviewer,
        checkpoint: { everyEntries: 4, everyMs: 60_000 },
      });
      for (let i = 0; i < 10; i++) {
        await a.append(step(DETECTOR, i));
        await b.append(step(REVIEWER, i, { kind: 'verdict' }));
      }
      await a.close();
      await b.close();
      return { c, entries: await all(c.store) };
    }

    test('appends entries whose hash covers the canonical sealed form, in chain order', async () => {
      const c = await fresh();
      const w = createAuditWriter({ store: c.store, signer: detector });
      const e1 = await w.append(step(DETECTOR, 1, { inputDigest: `sha256:${'1'.repeat(64)}` }));
      const e2 = await w.append(step(DETECTOR, 2, { spanId: '0123456789abcdef' }));
      assert.equal(e1.chainSeq, 1);
      assert.equal(e2.chainSeq, 2);
      assert.equal(e2.prevHash, e1.hash);
      assert.ok(e2.sequence > e1.sequence);
      const { sequence: _s, hash, ...sealed } = e2;
      assert.equal(hash, entryHash(sealed as SealedEntry));
      const stored = await all(c.store);
      assert.deepEqual(stored, [e1, e2]);
      assert.equal(stored[0]!.inputDigest, `sha256:${'1'.repeat(64)}`);
      assert.deepEqual(stored[1]!.what, {
        n: 2,
        title: 'finding 2',
        nested: { z: 1, a: [1, 'two', null] },
      });
      await w.close();
    });

    test('an appended entry is readable from a second connection once append resolves', async () => {
      const c = await fresh();
      const w = createAuditWriter({ store: c.store, signer: detector });
      const e = await w.append(step(DETECTOR, 7));
      const other = await c.reopen();
      try {
        const seen: AuditEntry[] = [];
        for await (const x of other.query({ hashes: [e.hash] })) seen.push(x);
        assert.deepEqual(seen, [e]);
      } finally {
        await other.close();
      }
    });

    test('filters by incident, trace, kinds, chain, sequence range and limit', async () => {
      const { c, entries } = await populated();
      const pick = async (q: Parameters<AuditStore['query']>[0]) => {
        const out: number[] = [];
        for await (const e of c.store.query(q)) out.push(e.sequence);
        return out;
      };
      const want = (f: (e: AuditEntry) => boolean) => entries.filter(f).map((e) => e.sequence);
      assert.deepEqual(
        await pick({ correlationId: 'inc-1' }),
        want((e) => e.correlationId === 'inc-1'),
      );
      assert.deepEqual(
        await pick({ kinds: ['verdict'] }),
        want((e) => e.kind === 'verdict'),
      );
      assert.deepEqual(
        await pick({ traceId: entries[0]!.traceId! }),
        want((e) => e.traceId === entries[0]!.traceId),
      );
      assert.deepEqual(
        await pick({ chain: entries[0]!.chain, limit: 3 }),
        want((e) => e.chain === entries[0]!.chain).slice(0, 3),
      );
      assert.deepEqual(
        await pick({ fromSequence: entries[5]!.sequence, toSequence: entries[8]!.sequence }),
        entries.slice(5, 9).map((e) => e.sequence),
      );
      assert.deepEqual(await pick({ kinds: [] }), []);
    });

    test('a clean log with several writers, checkpoints and an anchor verifies', async () => {
      const { c } = await populated();
      const w = createAuditWriter({ store: c.store, signer: operator });
      await w.anchor('manual');
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem, undefined, r.firstProblem?.message);
      assert.equal(r.ok, true);
      assert.equal(r.entries, 20);
      assert.equal(r.chains.length, 2);
      for (const chain of r.chains) {
        assert.equal(chain.signedThrough, 10);
        assert.equal(chain.unsignedTail, 0);
        assert.equal(chain.closed, true);
      }
    });

    test('concurrent writers on one store neither block each other nor break a chain', async () => {
      const c = await fresh();
      const writers = [detector, reviewer, operator].map((signer) =>
        createAuditWriter({ store: c.store, signer, checkpoint: { everyEntries: 50 } }),
      );
      await Promise.all(
        writers.map(async (w, k) => {
          const actor = [DETECTOR, REVIEWER, 'user:alice'][k]!;
          // 200 appends in flight at once per writer: group commit batches them.
          await Promise.all(Array.from({ length: 200 }, (_, i) => w.append(step(actor, i))));
        }),
      );
      for (const w of writers) await w.close();
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.ok, true, r.firstProblem?.message);
      assert.equal(r.entries, 600);
      assert.deepEqual(
        r.chains.map((x) => x.to),
        [200, 200, 200],
      );
    });

    test('a second live writer on the same chain is refused with VIGIL_AUDIT_CHAIN_CONFLICT', async () => {
      const c = await fresh();
      const a = createAuditWriter({
        store: c.store,
        signer: detector,
        chainId: `${DETECTOR}#replica-0`,
      });
      await a.append(step(DETECTOR, 1));
      const b = createAuditWriter({
        store: c.store,
        signer: detector,
        chainId: `${DETECTOR}#replica-0`,
      });
      await b.append(step(DETECTOR, 2)); // resumes at the head
      await assert.rejects(a.append(step(DETECTOR, 3)), { code: 'VIGIL_AUDIT_CHAIN_CONFLICT' });
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.ok, true, r.firstProblem?.message);
    });

    test('a writer refuses to record another agent as actor', async () => {
      const c = await fresh();
      const w = createAuditWriter({ store: c.store, signer: detector });
      await assert.rejects(w.append(step(REVIEWER, 1)), { code: 'VIGIL_AUDIT_INVALID_ENTRY' });
      await assert.rejects(w.append({ ...step(DETECTOR, 1), kind: 'Not A Kind' }), /kind:/);
      const registered = createAuditWriter({
        store: c.store,
        signer: detector,
        kinds: new Set(['finding']),
      });
      await assert.rejects(
        registered.append({ ...step(DETECTOR, 1), kind: 'nonsense' }),
        /kind: nonsense is not registered/,
      );
      await assert.rejects(w.append({ ...step(DETECTOR, 1), traceId: 'xyz' }), /traceId/);
    });

    test('detects an altered entry at that entry', async () => {
      const { c, entries } = await populated();
      const target = entries[7]!;
      await c.sql('UPDATE entries SET what = ? WHERE sequence = ?', [
        canonicalJson({ ...target.what, title: 'nothing to see' }),
        target.sequence,
      ]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'ALTERED');
      assert.equal(r.firstProblem?.sequence, target.sequence);
    });

    test('detects bytes moved between what and why across a "why" key inside why, at that entry', async () => {
      // The stored what/why texts are embedded in the hashed text as they are, so moving
      // `{"a":1` from why to the end of what rebuilds the very same text: only checking
      // that why is still JSON catches it.
      const c = await fresh();
      const w = createAuditWriter({ store: c.store, signer: detector });
      await w.append(step(DETECTOR, 0));
      const target = await w.append(step(DETECTOR, 1, { why: { a: 1, why: { b: 2 } } }));
      await w.append(step(DETECTOR, 2));
      await w.close();
      const what = canonicalJson(target.what);
      assert.equal(canonicalJson(target.why), '{"a":1,"why":{"b":2}}');
      await c.sql('UPDATE entries SET what = ?, why = ? WHERE sequence = ?', [
        `${what},"why":{"a":1`,
        '{"b":2}}',
        target.sequence,
      ]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'ALTERED');
      assert.equal(r.firstProblem?.sequence, target.sequence);
    });

    test('detects an altered entry whose hash was recomputed, at that entry', async () => {
      const { c, entries } = await populated();
      const target = entries[6]!; // detector position 4
      const what = { ...target.what, title: 'rewritten' };
      const sealed = { ...target, what } as SealedEntry;
      const hash = hashSealed(sealed, canonicalJson(what), canonicalJson(target.why));
      await c.sql('UPDATE entries SET what = ?, hash = ? WHERE sequence = ?', [
        canonicalJson(what),
        hash,
        target.sequence,
      ]);
      const r = await verify(c.store, ca.caPem);
      // Position 5 still links to the original hash of position 4: position 4 was rewritten.
      assert.equal(r.firstProblem?.code, 'ALTERED');
      assert.equal(r.firstProblem?.sequence, target.sequence);
      assert.match(r.firstProblem?.message ?? '', /hash recomputed/);
    });

    test('detects a rewrite with every later hash recomputed through the signed checkpoint', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      // Rewrite position 2 and re-chain positions 2..10 consistently: only signatures can tell.
      let prev = chainA[0]!.hash;
      for (const e of chainA.slice(1)) {
        const what = e.chainSeq === 2 ? { ...e.what, title: 'rewritten' } : e.what;
        const sealed = { ...e, what, prevHash: prev } as SealedEntry;
        const hash = hashSealed(sealed, canonicalJson(what), canonicalJson(e.why));
        await c.sql('UPDATE entries SET what = ?, prev_hash = ?, hash = ? WHERE sequence = ?', [
          canonicalJson(what),
          prev,
          hash,
          e.sequence,
        ]);
        prev = hash;
      }
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'ALTERED');
      assert.equal(r.firstProblem?.chainSeq, 1); // somewhere in positions 1..4 (the first signed range)
      assert.match(r.firstProblem?.message ?? '', /checkpoint/);
    });

    test('detects a deleted entry at the entry after the gap', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      await c.sql('DELETE FROM entries WHERE sequence = ?', [chainA[4]!.sequence]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'DELETED');
      assert.equal(r.firstProblem?.sequence, chainA[5]!.sequence);
      assert.equal(r.firstProblem?.chainSeq, 5);
    });

    test('detects deletion of a signed tail', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      await c.sql('DELETE FROM entries WHERE sequence >= ? AND chain = ?', [
        chainA[8]!.sequence,
        chainA[0]!.chain,
      ]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'DELETED');
      assert.equal(r.firstProblem?.chainSeq, 9);
    });

    test('detects reordered entries at the first entry out of place', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      const [x, y] = [chainA[2]!.sequence, chainA[3]!.sequence];
      await c.sql('UPDATE entries SET sequence = ? WHERE sequence = ?', [-1, x]);
      await c.sql('UPDATE entries SET sequence = ? WHERE sequence = ?', [x, y]);
      await c.sql('UPDATE entries SET sequence = ? WHERE sequence = ?', [y, -1]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'REORDERED');
      assert.equal(r.firstProblem?.sequence, x);
      assert.equal(r.firstProblem?.chainSeq, 4);
    });

    test('detects an inserted entry at that entry', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      // An attacker with database access drops the uniqueness guard and forges position 3.
      await c.sql('DROP INDEX entries_chain_pos');
      const forged: SealedEntry = { ...chainA[2]!, what: { n: 99, title: 'forged' } };
      const hash = hashSealed(forged, canonicalJson(forged.what), canonicalJson(forged.why));
      await c.sql(
        'INSERT INTO entries (v, chain, chain_seq, time, trace_id, span_id, correlation_id, actor, kind, what, why, input_digest, output_digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          forged.v,
          forged.chain,
          forged.chainSeq,
          forged.time,
          forged.traceId,
          forged.spanId,
          forged.correlationId,
          forged.actor,
          forged.kind,
          canonicalJson(forged.what),
          canonicalJson(forged.why),
          forged.inputDigest,
          forged.outputDigest,
          forged.prevHash,
          hash,
        ],
      );
      const r = await verify(c.store, ca.caPem);
      const inserted = (await all(c.store)).find((e) => e.hash === hash)!;
      assert.equal(r.firstProblem?.code, 'INSERTED');
      assert.equal(r.firstProblem?.sequence, inserted.sequence);
    });

    test('detects an entry appended after the writer closed its chain', async () => {
      const { c, entries } = await populated();
      const last = entries.filter((e) => e.chain === entries[0]!.chain).at(-1)!;
      const forged: SealedEntry = {
        ...last,
        chainSeq: last.chainSeq + 1,
        prevHash: last.hash,
        what: { n: 100 },
      };
      const hash = hashSealed(forged, canonicalJson(forged.what), canonicalJson(forged.why));
      await c.sql(
        'INSERT INTO entries (v, chain, chain_seq, time, trace_id, span_id, correlation_id, actor, kind, what, why, input_digest, output_digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          forged.v,
          forged.chain,
          forged.chainSeq,
          forged.time,
          forged.traceId,
          forged.spanId,
          forged.correlationId,
          forged.actor,
          forged.kind,
          canonicalJson(forged.what),
          canonicalJson(forged.why),
          forged.inputDigest,
          forged.outputDigest,
          forged.prevHash,
          hash,
        ],
      );
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'INSERTED');
      assert.equal(r.firstProblem?.chainSeq, 11);
    });

    test('detects a forged checkpoint signature at the entry it covers', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      const cp = (await c.store.checkpoints(chainA[0]!.chain)).find((x) => x.chainSeq === 8)!;
      const forged = Buffer.from(cp.signature, 'base64url');
      forged[10] = forged[10]! ^ 0xff;
      await c.sql('UPDATE checkpoints SET signature = ? WHERE id = ?', [
        forged.toString('base64url'),
        cp.id,
      ]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'FORGED_SIGNATURE');
      assert.equal(r.firstProblem?.checkpointId, cp.id);
      assert.equal(r.firstProblem?.sequence, chainA[7]!.sequence);
    });

    test('refuses checkpoints signed by a certificate from another CA', async () => {
      const { c } = await populated();
      const rogueCa = createTestCa('Rogue CA');
      try {
        const r = await verify(c.store, rogueCa.caPem);
        assert.equal(r.ok, false);
        assert.equal(r.firstProblem?.code, 'UNTRUSTED_WRITER');
      } finally {
        rogueCa.dispose();
      }
    });

    test('pruning writes a signed anchor first and the rest still verifies', async () => {
      const { c, entries } = await populated();
      const cut = entries[12]!.sequence; // detector/reviewer positions 1..6 qualify
      const result = await pruneAudit(
        c.store,
        { beforeSequence: cut },
        { signer: operator, caPem: ca.caPem },
      );
      assert.ok(result.anchor !== undefined);
      assert.deepEqual(
        result.cuts.map((x) => x.chainSeq),
        [4, 4],
      ); // newest checkpoints at or before position 6
      assert.equal(result.deleted, 8);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.ok, true, r.firstProblem?.message);
      assert.deepEqual(
        r.chains.map((x) => x.from),
        [5, 5],
      );
    });

    test('deleting a chain prefix without a signed prune record is detected', async () => {
      const { c, entries } = await populated();
      const chainA = entries.filter((e) => e.chain === entries[0]!.chain);
      await c.sql('DELETE FROM entries WHERE chain = ? AND chain_seq <= 4', [chainA[0]!.chain]);
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'DELETED');
      assert.equal(r.firstProblem?.sequence, chainA[4]!.sequence);
    });

    test('an agent identity cannot authorise a prune', async () => {
      const { c, entries } = await populated();
      await pruneAudit(
        c.store,
        { beforeSequence: entries[12]!.sequence },
        { signer: detector, caPem: ca.caPem },
      );
      const r = await verify(c.store, ca.caPem);
      assert.equal(r.firstProblem?.code, 'DELETED');
    });

    test('recordStep makes the intent durable before acting and records the outcome after', async () => {
      const c = await fresh();
      const w: AuditWriter = createAuditWriter({ store: c.store, signer: detector });
      const seenDuringAct: AuditEntry[] = [];
      const step1 = await w.recordStep(
        {
          kind: 'execution',
          actor: DETECTOR,
          correlationId: 'inc-9',
          what: { action: { type: 'isolate-pod' } },
          why: { rationale: 'contain' },
        },
        async (intent) => {
          for await (const e of c.store.query({ hashes: [intent.hash] })) seenDuringAct.push(e);
          return { ok: true };
        },
        (result) => ({ what: { result } }),
      );
      assert.equal(seenDuringAct.length, 1);
      assert.equal(seenDuringAct[0]!.what['phase'], 'intent');
      assert.equal(step1.outcome.what['parentEntryId'], step1.intent.hash);
      assert.equal(step1.outcome.what['status'], 'succeeded');
      await assert.rejects(
        w.recordStep({ kind: 'execution', actor: DETECTOR, what: {}, why: {} }, () =>
          Promise.reject(new Error('boom')),
        ),
        /boom/,
      );
      const last = (await all(c.store)).at(-1)!;
      assert.equal(last.what['status'], 'failed');
      assert.deepEqual(last.what['error'], { code: null, message: 'boom' });
    });
  });
}
