import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineAgentContracts, defineSkill, isVigilError, skillSchemas } from '@vigil/core';
import type { AgentClient } from '@vigil/transport';
import { callPeer, createPeerClient } from './peer-client.js';

const add = defineSkill({
  id: 'add',
  input: z.object({ a: z.number(), b: z.number() }),
  output: z.object({ sum: z.number() }),
});
const SYSTEM = defineAgentContracts({ calc: [add] });

/** A transport client that records calls and answers `answer`. */
function fakeClient(answer: unknown) {
  const calls: { peer: string; skill: string; input: unknown }[] = [];
  const client = {
    async callSkill<T>(peer: string, skill: string, input: unknown): Promise<T> {
      calls.push({ peer, skill, input });
      // The wire level answers what it received; the peer client is what checks it.
      return answer as T;
    },
    circuitState: () => 'closed' as const,
    async close() {},
  } satisfies AgentClient;
  return { client, calls };
}

test('a typed call sends the input under the contract id and returns the parsed answer', async () => {
  const { client, calls } = fakeClient({ sum: 3, extra: 'dropped by the schema' });
  const peers = createPeerClient(client, SYSTEM);
  const out = await peers.call('calc', 'add', { a: 1, b: 2 });
  assert.deepEqual(out, { sum: 3 });
  assert.deepEqual(calls, [{ peer: 'calc', skill: 'add', input: { a: 1, b: 2 } }]);
});

test('an answer outside the contract is refused at the caller, naming the field', async () => {
  const { client } = fakeClient({ sum: 'three' });
  await assert.rejects(
    createPeerClient(client, SYSTEM).call('calc', 'add', { a: 1, b: 2 }),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_RUNTIME_SKILL_OUTPUT_INVALID') &&
      /output\.sum: /.test(e.message) &&
      /"add" of "calc"/.test(e.message),
  );
});

test('a peer or skill outside the contracts is refused before anything is sent', async () => {
  const { client, calls } = fakeClient({ sum: 1 });
  const peers = createPeerClient(client, SYSTEM);
  await assert.rejects(
    // A JavaScript caller (or a cast) can reach this; typed code does not compile.
    peers.call('calc', 'subtract' as 'add', { a: 1, b: 2 }),
    (e: unknown) => isVigilError(e, 'VIGIL_RUNTIME_UNKNOWN_SKILL'),
  );
  assert.equal(calls.length, 0);
});

test('callPeer types a call to a peer named at run time by the contract alone', async () => {
  const { client, calls } = fakeClient({ sum: 5 });
  assert.deepEqual(await callPeer(client, 'calc-2', add, { a: 2, b: 3 }), { sum: 5 });
  assert.equal(calls[0]?.peer, 'calc-2');
});

test('contracts refuse malformed ids and an agent listing a skill twice', () => {
  assert.throws(
    () => defineSkill({ id: 'Add Numbers', input: z.unknown(), output: z.unknown() }),
    RangeError,
  );
  assert.throws(() => defineAgentContracts({ calc: [add, add] }), /lists skill "add" twice/);
});

test('a contract publishes the input side of its input and the output side of its output', () => {
  const withDefault = defineSkill({
    id: 'greet',
    input: z.object({ name: z.string(), polite: z.boolean().default(true) }),
    output: z.object({ text: z.string() }),
  });
  const { input, output } = skillSchemas(withDefault);
  // A caller may leave out a defaulted field; the answer always has its fields.
  assert.deepEqual(input['required'], ['name']);
  assert.deepEqual(output['required'], ['text']);
  assert.equal(input['$schema'], 'https://json-schema.org/draft/2020-12/schema');
});
