import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Role, TaskState, type Message, type Part, type Task } from '@a2a-js/sdk';
import {
  ClientFactory,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  type Client,
} from '@a2a-js/sdk/client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { AgentCredentials } from '@vigil/pki';
import { startAgentServer, type AgentServer, type TransportSystem } from './index.js';
import { captureLogger, testIdentities, testSystem } from './testing/fixtures.js';

// A Vigil agent used by the official SDK's own plain client (ClientFactory, JSON-RPC), the
// way any A2A 1.0 peer would: no Vigil metadata, text or data parts, over mutual TLS.

const system = testSystem({
  single: { skills: ['echo'] },
  multi: { skills: ['echo', 'count'], a2a: { defaultSkill: 'count' } },
  undecided: { skills: ['echo', 'count'] },
  legacy: { skills: ['echo'], a2a: { protocolVersions: ['1.0', '0.3'] } },
  caller: { calls: ['single', 'multi', 'undecided', 'legacy'] },
});

const skills = {
  echo: async (input: unknown) => ({ echoed: input }),
  count: async (input: unknown) => ({ length: JSON.stringify(input).length }),
};

function text(value: string): Part {
  return { content: { $case: 'text', value }, metadata: undefined, filename: '', mediaType: '' };
}
function data(value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: '' };
}
function userMessage(parts: Part[], metadata?: Record<string, unknown>): Message {
  return {
    messageId: randomUUID(),
    contextId: '',
    taskId: '',
    role: Role.ROLE_USER,
    parts,
    metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The one DataPart value of an agent's reply message. */
function replyData(result: Message | Task): unknown {
  assert.ok('messageId' in result, `expected a message, got task ${JSON.stringify(result)}`);
  const [part] = result.parts;
  assert.equal(part?.content?.$case, 'data');
  return part.content.value;
}

describe("the SDK's plain A2A 1.0 client uses a Vigil agent", () => {
  let ids: Awaited<ReturnType<typeof testIdentities>>;
  let caller: AgentCredentials;
  let dispatcher: Agent;
  const servers = new Map<string, AgentServer>();
  let factory: ClientFactory;

  async function start(view: TransportSystem, name: string): Promise<AgentServer> {
    const server = await startAgentServer({
      system: view,
      agentName: name,
      credentials: await ids.credentials(name),
      logger: captureLogger(name).logger,
      skills: Object.fromEntries(
        view.agents.find((a) => a.name === name)!.skills.map((s) => [s.id, skills[s.id as 'echo']]),
      ),
    });
    servers.set(name, server);
    return server;
  }

  before(async () => {
    ids = await testIdentities(system);
    caller = await ids.credentials('caller');
    for (const name of ['single', 'multi', 'undecided', 'legacy']) await start(system, name);
    dispatcher = new Agent({
      connect: {
        ca: caller.ca,
        cert: caller.cert,
        key: caller.key,
        checkServerIdentity: () => undefined,
      },
    });
    const fetchImpl = ((input: string | URL, init?: RequestInit) =>
      undiciFetch(input, { ...(init as object), dispatcher } as Parameters<
        typeof undiciFetch
      >[1])) as unknown as typeof fetch;
    factory = new ClientFactory({
      transports: [new JsonRpcTransportFactory({ fetchImpl })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    });
  });
  after(async () => {
    await dispatcher.close();
    for (const server of servers.values()) await server.close();
    ids.cleanup();
  });

  const clientOf = (name: string): Promise<Client> => factory.createFromUrl(servers.get(name)!.url);

  test('a text message reaches the only skill; JSON text is the skill input', async () => {
    const client = await clientOf('single');
    const plain = await client.sendMessage({
      tenant: '',
      message: userMessage([text('hello agent')]),
      configuration: undefined,
      metadata: undefined,
    });
    assert.deepEqual(replyData(plain), { echoed: 'hello agent' });
    const json = await client.sendMessage({
      tenant: '',
      message: userMessage([text('{"pod": "web-1"}')]),
      configuration: undefined,
      metadata: undefined,
    });
    assert.deepEqual(replyData(json), { echoed: { pod: 'web-1' } });
  });

  test('a data part reaches the default skill, or the skill named in metadata', async () => {
    const client = await clientOf('multi');
    const byDefault = await client.sendMessage({
      tenant: '',
      message: userMessage([data({ a: 1 })]),
      configuration: undefined,
      metadata: undefined,
    });
    assert.deepEqual(replyData(byDefault), { length: 7 });
    const named = await client.sendMessage({
      tenant: '',
      message: userMessage([data({ a: 1 })], { 'vigil.dev/skill': 'echo' }),
      configuration: undefined,
      metadata: undefined,
    });
    assert.deepEqual(replyData(named), { echoed: { a: 1 } });
  });

  test('without metadata or a default skill the task fails and says how to name one', async () => {
    const client = await clientOf('undecided');
    const result = await client.sendMessage({
      tenant: '',
      message: userMessage([text('which one?')]),
      configuration: undefined,
      metadata: undefined,
    });
    assert.ok(!('messageId' in result));
    assert.equal(result.status?.state, TaskState.TASK_STATE_FAILED);
    const [part] = result.status?.message?.parts ?? [];
    assert.match(JSON.stringify(part?.content), /vigil\.dev\/skill/);
  });

  test('the card advertises text and JSON input; 0.3 only where the agent opts in', async () => {
    const card = servers.get('single')!.agentCard();
    assert.deepEqual(card['defaultInputModes'], ['application/json', 'text/plain']);
    const versions = (server: string) =>
      (
        servers.get(server)!.agentCard()['supportedInterfaces'] as { protocolVersion: string }[]
      ).map((i) => i.protocolVersion);
    assert.deepEqual(versions('single'), ['1.0']);
    assert.deepEqual(versions('legacy'), ['1.0', '0.3']);
  });

  test('a 0.3 peer (no A2A-Version, v0.3 method names) is served only with the opt-in', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'message/send',
      params: {
        message: {
          kind: 'message',
          messageId: randomUUID(),
          role: 'user',
          parts: [{ kind: 'text', text: 'old peer' }],
        },
      },
    });
    const send = async (name: string) => {
      const response = await undiciFetch(`${servers.get(name)!.url}/a2a/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher,
      });
      return (await response.json()) as { result?: unknown; error?: { code: number } };
    };
    const served = await send('legacy');
    assert.equal(served.error, undefined, JSON.stringify(served));
    assert.match(JSON.stringify(served.result), /"echoed":"old peer"/);
    const refused = await send('single');
    assert.ok(refused.error, 'an agent without the opt-in refuses 0.3');

    const legacyCard = (await (
      await undiciFetch(`${servers.get('legacy')!.url}/.well-known/agent-card.json`, { dispatcher })
    ).json()) as Record<string, unknown>;
    assert.equal(legacyCard['protocolVersion'], '0.3');
  });
});
