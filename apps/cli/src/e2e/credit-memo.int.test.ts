import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runVigil } from '../testing/run-vigil.js';
import { startVigilUp } from '../testing/vigil-up.js';

const EXAMPLE = join(REPO_ROOT, 'examples/credit-memo');

/**
 * The shipped declaration with one replica per agent (25 processes instead of 70, so the
 * test fits a shared machine; bench/network runs all 70) and the policy bundle named by
 * absolute path, since the declaration is written to a temporary directory.
 */
function declaration(): string {
  return readFileSync(join(EXAMPLE, 'vigil.yaml'), 'utf8')
    .replace(/^(\s+replicas:) \d+$/gm, '$1 1')
    .replace(/^(\s+bundle:) \.\/policies/m, `$1 ${join(EXAMPLE, 'policies')}`);
}

interface TraceNodeJson {
  kind: string;
  actor: string;
  entry: { what: Record<string, unknown> };
  children: TraceNodeJson[];
}

function flatten(nodes: readonly TraceNodeJson[]): TraceNodeJson[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

test(
  'the credit-memo demo drafts a memo that only its relationship manager can release, and the trace names the agent of every figure',
  { timeout: 400_000 },
  async (t) => {
    const up = startVigilUp(t, declaration(), ['--demo']);
    await up.waitFor(/awaiting approval apr-[0-9a-f]+/, 300_000);
    const out = up.output();
    const approvalId = /awaiting approval (apr-[0-9a-f]+)/.exec(out)![1]!;
    const memoId = /demo: memo (memo-b-001-[a-z0-9]+)/.exec(out)![1]!;
    const digest = /memo digest (sha256:[0-9a-f]{64})/.exec(out)![1]!;
    assert.match(out, /reviews 6\/6 passed; compliance passed/);
    const vigil = (...args: string[]) =>
      runVigil(['-f', up.configPath, '--state-dir', up.stateDir, ...args]);

    // The approval request is the release of exactly this memo digest.
    const shown = await vigil('approvals', 'show', approvalId, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const row = JSON.parse(shown.stdout) as {
      action: { type: string; parameters: { memoDigest: string } };
      status: string;
    };
    assert.equal(row.action.type, 'release-credit-memo');
    assert.equal(row.action.parameters.memoDigest, digest);
    assert.equal(row.status, 'pending');

    // The local admin signs validly, but is not a relationship manager: nothing is released.
    const byAdmin = await vigil(
      'approvals',
      'approve',
      approvalId,
      '--as',
      'admin',
      '--reason',
      'not mine to approve',
    );
    assert.equal(byAdmin.code, 1);
    assert.match(byAdmin.stderr, /VIGIL_APPROVAL_FORBIDDEN|not a relationship manager/);

    const byRm = await vigil(
      'approvals',
      'approve',
      approvalId,
      '--as',
      'rm-lee',
      '--reason',
      'within appetite',
      '--json',
    );
    assert.equal(byRm.code, 0, byRm.stderr);
    assert.equal((JSON.parse(byRm.stdout) as { status: string }).status, 'approved');
    const released = JSON.parse(
      readFileSync(join(up.stateDir, 'credit-memo', 'released', `${memoId}.json`), 'utf8'),
    ) as {
      memoDigest: string;
      approver: string;
      memo: { figures: { id: string; producedBy: string }[] };
    };
    assert.equal(released.memoDigest, digest);
    assert.equal(released.approver, 'spiffe://credit-memo.vigil.local/user/rm-lee');

    // vigil trace: one entry per figure, written by the agent that produced it.
    const traced = await vigil('trace', memoId, '--json');
    assert.equal(traced.code, 0, traced.stderr);
    const nodes = flatten((JSON.parse(traced.stdout) as { roots: TraceNodeJson[] }).roots);
    const figureEntries = new Map(
      nodes
        .filter((n) => n.kind === 'figure')
        .map((n) => [String(n.entry.what['figureId']), n.actor]),
    );
    assert.equal(figureEntries.size, released.memo.figures.length);
    for (const f of released.memo.figures)
      assert.equal(figureEntries.get(f.id), f.producedBy, f.id);
    assert.equal(
      figureEntries.get('rating.grade'),
      'spiffe://credit-memo.vigil.local/agent/risk-rating',
    );
    const kinds = nodes.map((n) => n.kind);
    for (const k of [
      'source-read',
      'memo-draft',
      'section-review',
      'compliance-check',
      'memo-approval-request',
      'memo-approval',
      'memo-release',
    ])
      assert.ok(kinds.includes(k), `trace has a ${k} entry`);

    const verified = await vigil('audit', 'verify');
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  },
);
