import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Agent, request } from 'undici';
import type { AgentCredentials } from '@vigil/pki';
import {
  AGENT_CARD_PATH,
  A2A_JSONRPC_PATH,
  SKILL_SCHEMAS_EXTENSION,
  TRANSPORT_ERROR_CODES as CODES,
  startAgentServer,
  verifyAgentCard,
  type AgentServer,
} from './index.js';
import { captureLogger, testIdentities, testSystem } from './testing/fixtures.js';

// What a peer that is not Vigil sees of a Vigil agent: the card as JSON on the wire, and the
// JSON-RPC endpoint's answers to bad requests. The card is checked with code that shares
// nothing with the transport (its own RFC 8785 serialiser, node:crypto for ES256) and with
// the A2A 1.0 JSON Schema generated from the specification's proto (testing/a2a-1.0-schema).

const system = testSystem({ callee: { skills: ['echo'] }, caller: { calls: ['callee'] } });

/** JSON Schemas of the echo skill, as the runtime derives them from a contract. */
const ECHO_SCHEMAS = {
  input: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { text: { type: 'string', minLength: 1 } },
    required: ['text'],
  },
  output: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { echoed: {} },
    required: ['echoed'],
  },
};

/** RFC 8785 (JCS): keys sorted by UTF-16 code units, ECMAScript number and string forms. */
function jcs(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${jcs(record[key])}`)
    .join(',')}}`;
}

/** A2A §8.4.3 verification of the received JSON, by a verifier that is not the transport's. */
function independentlyVerifies(card: Record<string, unknown>, caPem: string): boolean {
  const { signatures, ...covered } = card as {
    signatures?: { protected: string; signature: string }[];
  };
  const [jws] = signatures ?? [];
  if (!jws) return false;
  const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString()) as {
    alg: string;
    x5c: string[];
  };
  assert.equal(header.alg, 'ES256');
  const leaf = new X509Certificate(Buffer.from(header.x5c[0]!, 'base64'));
  if (!leaf.verify(new X509Certificate(caPem).publicKey)) return false;
  const payload = Buffer.from(jcs(covered)).toString('base64url');
  return verify(
    'sha256',
    Buffer.from(`${jws.protected}.${payload}`),
    { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(jws.signature, 'base64url'),
  );
}

function a2aSchemaValidator() {
  const dir = fileURLToPath(new URL('./testing/a2a-1.0-schema/', import.meta.url));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as object);
  }
  const validate = ajv.getSchema('lf.a2a.v1.AgentCard.jsonschema.json');
  assert.ok(validate, 'the vendored schema defines AgentCard');
  return validate;
}

describe('the A2A edge as a standard peer sees it', () => {
  let ids: Awaited<ReturnType<typeof testIdentities>>;
  let server: AgentServer;
  let caller: AgentCredentials;
  let dispatcher: Agent;

  before(async () => {
    ids = await testIdentities(system);
    caller = await ids.credentials('caller');
    server = await startAgentServer({
      system,
      agentName: 'callee',
      credentials: await ids.credentials('callee'),
      logger: captureLogger('callee').logger,
      maxBodyBytes: 64 * 1024,
      skills: { echo: async (input) => ({ echoed: input }) },
      skillSchemas: { echo: ECHO_SCHEMAS },
    });
    dispatcher = new Agent({
      connect: {
        ca: caller.ca,
        cert: caller.cert,
        key: caller.key,
        checkServerIdentity: () => undefined,
      },
    });
  });
  after(async () => {
    await dispatcher.close();
    await server.close();
    ids.cleanup();
  });

  async function receivedCard(): Promise<Record<string, unknown>> {
    const response = await request(`${server.url}${AGENT_CARD_PATH}`, { dispatcher });
    assert.equal(response.statusCode, 200);
    return (await response.body.json()) as Record<string, unknown>;
  }

  test('the card is served in the A2A 1.0 JSON shape and validates against the 1.0 schema', async () => {
    const card = await receivedCard();
    assert.deepEqual(card['securitySchemes'], {
      mtls: {
        mtlsSecurityScheme: {
          description:
            'Mutual TLS 1.3; client certificates are SPIFFE X509-SVIDs of trust domain test.vigil.local',
        },
      },
    });
    assert.doesNotMatch(JSON.stringify(card), /\$case/);
    // The skills' schemas ride in an extension's params, the place A2A 1.0 leaves for them.
    assert.deepEqual((card['capabilities'] as { extensions?: unknown }).extensions, [
      {
        uri: SKILL_SCHEMAS_EXTENSION,
        description: 'JSON Schemas (2020-12) of each skill input and output',
        params: { skills: { echo: ECHO_SCHEMAS } },
      },
    ]);
    const validate = a2aSchemaValidator();
    assert.ok(validate(card), JSON.stringify(validate.errors));
  });

  test('the signature covers exactly the served JSON, security schemes included', async () => {
    const card = await receivedCard();
    assert.equal(independentlyVerifies(card, caller.ca), true);
    const expect = { caPem: caller.ca, expectedSpiffeId: 'spiffe://test.vigil.local/agent/callee' };
    assert.equal((await verifyAgentCard(card, expect)).ok, true);

    const { securitySchemes: _removed, ...withoutSchemes } = card;
    const changed = {
      ...card,
      securitySchemes: { mtls: { mtlsSecurityScheme: { description: 'anything goes' } } },
    };
    for (const tampered of [withoutSchemes, changed]) {
      assert.equal(independentlyVerifies(tampered, caller.ca), false);
      const verdict = await verifyAgentCard(tampered, expect);
      assert.equal(!verdict.ok && verdict.code, CODES.CARD_SIGNATURE_INVALID);
    }
  });

  /** POSTs `body` to the JSON-RPC endpoint; the reply must be a JSON-RPC error object. */
  async function rpcError(body: string) {
    const response = await request(`${server.url}${A2A_JSONRPC_PATH}`, {
      method: 'POST',
      dispatcher,
      // A 1.0 client names its version (A2A §3.6.2); without it a server assumes 0.3.
      headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
      body,
    });
    const text = await response.body.text();
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.doesNotMatch(text, /<html|<pre|\bat [\w.<>]+ \(|node_modules|\/work\/|file:\/\//i);
    const reply = JSON.parse(text) as {
      jsonrpc: string;
      id: unknown;
      error: { code: number; message: string };
    };
    assert.equal(reply.jsonrpc, '2.0');
    return { status: response.statusCode, id: reply.id, ...reply.error };
  }

  test('a body that is not JSON is a JSON-RPC parse error (-32700), not an HTML stack trace', async () => {
    for (const body of ['{"jsonrpc": "2.0", "method": ', 'not json at all', '\u0000\u0001']) {
      const error = await rpcError(body);
      assert.equal(error.code, -32700, body);
      assert.equal(error.id, null);
    }
  });

  test('a request that is not a JSON-RPC request is -32600; an unknown method -32601; bad params -32602', async () => {
    assert.equal((await rpcError('{"id": 1, "params": {}}')).code, -32600);
    assert.equal((await rpcError('[]')).code, -32600);
    const unknown = await rpcError(
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tasks/explode', params: {} }),
    );
    assert.equal(unknown.code, -32601);
    assert.equal(unknown.id, 7);
    const badParams = await rpcError(
      JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'SendMessage', params: { message: 42 } }),
    );
    assert.equal(badParams.code, -32602);
  });

  test('a body over the limit is refused as an invalid request (HTTP 413, -32600)', async () => {
    const error = await rpcError(`{"pad":"${'x'.repeat(70 * 1024)}"}`);
    assert.equal(error.status, 413);
    assert.equal(error.code, -32600);
  });
});
