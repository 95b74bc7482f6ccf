import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { KubernetesRequest } from '../actions/requests.js';
import { smallInventory } from '../testing/fixtures.js';
import { openDryRunExecutor, type DryRunStatePaths } from './dry-run-journal.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-dry-run-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
function statePaths(): DryRunStatePaths {
  const dir = mkdtempSync(join(root, `${++dirs}-`));
  return { inventory: join(dir, 'inventory.json'), journal: join(dir, 'journal.jsonl') };
}

const CONTEXT = { idempotencyKey: 'k' };
const CORDON: KubernetesRequest = {
  kind: 'kubernetes',
  verb: 'patch',
  resource: 'Node',
  name: 'node-b',
  patchType: 'application/strategic-merge-patch+json',
  body: { spec: { unschedulable: true } },
  summary: 'cordon node-b',
};
const CREATE_SA: KubernetesRequest = {
  kind: 'kubernetes',
  verb: 'create',
  resource: 'ServiceAccount',
  namespace: 'shop',
  name: 'web-2',
  body: { metadata: { name: 'web-2' } },
  summary: 'create ServiceAccount shop/web-2',
};
const initial = () => Promise.resolve(smallInventory());
const noInitial = () => Promise.reject(new Error('the state should have been read from disk'));

test('changes survive a crash: a restart without close replays them from the journal', async () => {
  const paths = statePaths();
  const first = await openDryRunExecutor(paths, initial);
  assert.equal((await first.executor.send(CORDON, CONTEXT)).ok, true);
  assert.equal((await first.executor.send(CREATE_SA, CONTEXT)).ok, true);
  const uid = (await first.executor.inventory()).serviceAccount('shop', 'web-2')?.uid;

  const second = await openDryRunExecutor(paths, noInitial);
  const inventory = await second.executor.inventory();
  assert.equal(inventory.node('node-b')?.unschedulable, true);
  assert.equal(inventory.serviceAccount('shop', 'web-2')?.uid, uid, 'the created uid is kept');
  second.close();

  const third = await openDryRunExecutor(paths, noInitial);
  assert.equal((await third.executor.inventory()).node('node-b')?.unschedulable, true);
  third.close();
  first.close();
});

test('a journal already folded into the inventory file is not applied twice', async () => {
  const paths = statePaths();
  const first = await openDryRunExecutor(paths, initial);
  await first.executor.send(CREATE_SA, CONTEXT);
  first.close();
  const journal = readFileSync(paths.journal);
  // A crash after the restart replaced the inventory file, before it replaced the journal.
  (await openDryRunExecutor(paths, noInitial)).close();
  writeFileSync(paths.journal, journal);

  const again = await openDryRunExecutor(paths, noInitial);
  const accounts = (await again.executor.inventory()).serviceAccounts('shop');
  assert.equal(accounts.filter((a) => a.name === 'web-2').length, 1);
  again.close();
});

test('an append a crash cut short was never acknowledged and is dropped', async () => {
  const paths = statePaths();
  const first = await openDryRunExecutor(paths, initial);
  await first.executor.send(CORDON, CONTEXT);
  first.close();
  appendFileSync(paths.journal, '{"request":{"kind":"kubernetes","verb":"del');

  const second = await openDryRunExecutor(paths, noInitial);
  const inventory = await second.executor.inventory();
  assert.equal(inventory.node('node-b')?.unschedulable, true);
  assert.equal(inventory.pods().length, smallInventory().pods().length);
  second.close();
});

test('a journal line that no longer applies stops the start with VIGIL_REMEDIATOR_INVENTORY', async () => {
  const paths = statePaths();
  const first = await openDryRunExecutor(paths, initial);
  first.close();
  appendFileSync(
    paths.journal,
    `${JSON.stringify({ request: { ...CORDON, name: 'node-gone' }, uid: 'u' })}\n`,
  );

  await assert.rejects(openDryRunExecutor(paths, noInitial), {
    code: 'VIGIL_REMEDIATOR_INVENTORY',
  });
});
