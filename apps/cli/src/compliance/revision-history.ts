/**
 * Older policy revisions, tested from version control. A report names every revision in
 * force in its period, but only the newest is on disk; policy is kept as code, so the
 * bundle directory's git history usually still holds the others. Each commit that touched
 * the bundle is extracted (never checked out: the working tree and index are not
 * touched) until every wanted revision is found, and the revision found is tested with the
 * real `opa test`, as the bundle on disk is.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  loadPolicySource,
  runPolicyTests,
  type PolicySource,
  type PolicyTestReport,
} from '@vigil/policy';

const run = promisify(execFile);

/** Commits of the bundle's history searched, newest first, before giving up. */
const MAX_COMMITS = 200;

/** Where a revision's source was found in the bundle's git history, and its tests there. */
export interface RevisionInHistory {
  readonly commit: string;
  /** The commit's date (ISO 8601). */
  readonly committedAt: string;
  readonly tests: PolicyTestReport | null;
  /** Why the tests could not run at that commit. */
  readonly testError: string | null;
}

/** The real `opa test` of a bundle directory, or why it could not run. */
export async function testPolicyBundle(
  dir: string,
): Promise<{ tests: PolicyTestReport | null; testError: string | null }> {
  try {
    return { tests: await runPolicyTests(dir), testError: null };
  } catch (error) {
    return { tests: null, testError: error instanceof Error ? error.message : String(error) };
  }
}

async function git(cwd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    return (await run('git', args, { cwd, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** `git archive <commit> <path>` unpacked under `into`. */
function extract(top: string, commit: string, path: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', commit, '--', path], {
      cwd: top,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const tar = spawn('tar', ['-x', '-C', into], { stdio: ['pipe', 'ignore', 'ignore'] });
    archive.stdout.pipe(tar.stdin);
    let failed = false;
    archive.once('exit', (code) => (failed ||= code !== 0));
    archive.once('error', reject);
    tar.once('error', reject);
    tar.once('exit', (code) =>
      failed || code !== 0 ? reject(new Error(`extracting ${commit}:${path}`)) : resolve(),
    );
  });
}

/**
 * Finds each revision of `wanted` in the git history of the bundle directory `dir` —
 * `revisionOf` gives the revision of a commit's bundle — and tests it there. A revision
 * absent from the history (or a directory outside git) is simply missing from the map.
 */
export async function testRevisionsFromHistory(
  dir: string,
  wanted: ReadonlySet<string>,
  revisionOf: (source: PolicySource) => string,
): Promise<Map<string, RevisionInHistory>> {
  const found = new Map<string, RevisionInHistory>();
  if (wanted.size === 0) return found;
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  const prefix = await git(dir, ['rev-parse', '--show-prefix']);
  if (top === undefined || prefix === undefined) return found;
  const log = await git(dir, ['log', `-n${MAX_COMMITS}`, '--format=%H %cI', '--', '.']);
  for (const line of (log ?? '').split('\n').filter(Boolean)) {
    if (found.size === wanted.size) break;
    const [commit = '', committedAt = ''] = line.split(' ');
    const scratch = await mkdtemp(join(tmpdir(), 'vigil-policy-revision-'));
    try {
      await extract(top, commit, prefix || '.', scratch);
      const bundle = join(scratch, prefix);
      let revision: string;
      try {
        revision = revisionOf(await loadPolicySource(bundle));
      } catch {
        continue; // this commit's bundle holds no policy (or is not one)
      }
      if (!wanted.has(revision) || found.has(revision)) continue;
      found.set(revision, { commit, committedAt, ...(await testPolicyBundle(bundle)) });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return found;
}
