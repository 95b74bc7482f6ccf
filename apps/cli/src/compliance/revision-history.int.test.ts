/**
 * Older policy revisions found in the bundle's git history (a real repository made by the
 * test) and tested there with the real `opa test`; the working tree is left alone.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleRevision, loadPolicySource, type PolicySource } from '@vigil/policy';
import { testRevisionsFromHistory } from './revision-history.js';

const POLICY = (limit: number) => `package demo
import rego.v1
allow if input.n < ${limit}
`;
const TESTS = `package demo_test
import rego.v1
import data.demo
test_small if demo.allow with input as {"n": 1}
test_nine if demo.allow with input as {"n": 9}
`;

test('revisions no longer on disk are found in the git history of the bundle and tested there', async (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'vigil-policy-history-'));
  t.after(() => rmSync(repo, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: repo,
    }).toString();
  git('init', '-q');
  const bundle = join(repo, 'policies', 'demo');
  mkdirSync(bundle, { recursive: true });
  const revisionOf = (s: PolicySource) => bundleRevision(s, 'demo/allow', { x: 1 });

  // v1: allows n < 10, both tests pass. v2: n < 5, test_nine fails. v3 on disk, uncommitted.
  writeFileSync(join(bundle, 'demo.rego'), POLICY(10));
  writeFileSync(join(bundle, 'demo_test.rego'), TESTS);
  git('add', '.');
  git('commit', '-qm', 'v1');
  const v1 = revisionOf(await loadPolicySource(bundle));
  writeFileSync(join(bundle, 'demo.rego'), POLICY(5));
  git('commit', '-qam', 'v2');
  const v2 = revisionOf(await loadPolicySource(bundle));
  writeFileSync(join(bundle, 'demo.rego'), POLICY(100));
  const never = revisionOf({ ...(await loadPolicySource(bundle)), digest: 'sha256:none' });

  const found = await testRevisionsFromHistory(bundle, new Set([v1, v2, never]), revisionOf);
  const commits = git('log', '--format=%H').trim().split('\n');
  assert.equal(found.get(v1)?.commit, commits[1]);
  assert.deepEqual([found.get(v1)?.tests?.passed, found.get(v1)?.tests?.failed], [2, 0]);
  assert.equal(found.get(v2)?.commit, commits[0]);
  assert.deepEqual([found.get(v2)?.tests?.passed, found.get(v2)?.tests?.failed], [1, 1]);
  assert.match(found.get(v2)?.committedAt ?? '', /^\d{4}-\d{2}-\d{2}T/);
  assert.equal(found.has(never), false);
  // The working tree keeps its uncommitted edit; nothing was checked out.
  assert.match(readFileSync(join(bundle, 'demo.rego'), 'utf8'), /input\.n < 100/);
  assert.match(git('status', '--porcelain'), /^ M policies\/demo\/demo\.rego$/m);
});

test('a bundle outside git, or no revision wanted, finds nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-nogit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'demo.rego'), POLICY(10));
  const revisionOf = (s: PolicySource) => bundleRevision(s, 'demo/allow', {});
  assert.equal((await testRevisionsFromHistory(dir, new Set(['sha256:x']), revisionOf)).size, 0);
  assert.equal((await testRevisionsFromHistory(dir, new Set(), revisionOf)).size, 0);
});
