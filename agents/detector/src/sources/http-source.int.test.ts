import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, createServer, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@vigil/core';
import {
  bearerTokenFromEnv,
  createHttpEventSource,
  type HttpEventSourceOptions,
} from './http-source.js';
import { describeEventSourceContract, CONTRACT_LINES } from './event-source.contract.js';
import { isVigilError } from '@vigil/core';
import type { EventSink } from './event-source.js';
import { createDeadLetterFile } from './dead-letter.js';
import { IngestError } from './errors.js';

const TOKEN = 'test-token-0123456789abcdef';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  tls?: { cert?: string; key?: string; ca: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          authorization: `Bearer ${TOKEN}`,
          ...headers,
        },
        ...(tls ?? {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function started(
  t: { after(fn: () => Promise<void>): void },
  options: Partial<HttpEventSourceOptions> = {},
  sink: EventSink = async () => {},
) {
  const source = createHttpEventSource({ auth: { bearerTokens: [TOKEN] }, ...options });
  await source.start(sink);
  t.after(() => source.stop());
  return source;
}

describeEventSourceContract(
  'HTTP source',
  async (t, lines, { deadLetter }) => {
    const source = createHttpEventSource({ auth: { bearerTokens: [TOKEN] }, deadLetter });
    return {
      source,
      async deliver() {
        if (source.url === undefined) throw new Error('not started');
        // The answer comes once the records were processed, and the contract's sinks may
        // hold them: check it when the test ends instead of waiting for it here.
        const answered = post(source.url, lines.join('\n'));
        t.after(async () => assert.equal((await answered).status, 202));
      },
    };
  },
  { redeliversFailures: false },
);

test('answers with counts that add up and each rejected line with its number and reason', async (t) => {
  const source = await started(t);
  const r = await post(source.url as string, CONTRACT_LINES.join('\n'));
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 4);
  assert.equal(r.body['rejected'], 2);
  assert.equal(r.body['duplicates'], 0);
  assert.equal(r.body['records'], 6);
  const rejected = r.body['rejections'] as { line: number; code: string; reason: string }[];
  assert.deepEqual(
    rejected.map((x) => [x.line, x.code]),
    [
      [3, 'MALFORMED_JSON'],
      [5, 'UNRECOGNISED_FORMAT'],
    ],
  );
  assert.equal(rejected[1]?.reason, 'unrecognised format: no apiVersion, rule or class_uid');
});

test('accepts a JSON array body and reports rejected elements by position', async (t) => {
  const source = await started(t);
  const array = `[${[CONTRACT_LINES[0], '{"nope":1}', CONTRACT_LINES[3]].join(',')}]`;
  const r = await post(source.url as string, array, { 'content-type': 'application/json' });
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 2);
  assert.deepEqual(
    (r.body['rejections'] as { line: number }[]).map((x) => x.line),
    [2],
  );
});

test('accepts a single JSON object (a Falcosidekick webhook)', async (t) => {
  const source = await started(t);
  const falco = readFileSync(
    new URL('../events/fixtures/falcosidekick-outbound.json', import.meta.url),
    'utf8',
  );
  const r = await post(source.url as string, falco, { 'content-type': 'application/json' });
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 1);
});

test('expands a kube-apiserver audit webhook EventList', async (t) => {
  const source = await started(t);
  const list = readFileSync(
    new URL('../events/fixtures/k8s-audit-eventlist.json', import.meta.url),
    'utf8',
  );
  const r = await post(source.url as string, list, { 'content-type': 'application/json' });
  assert.equal(r.body['accepted'], 2);
});

test('accepts a gzip body', async (t) => {
  const events: string[] = [];
  const source = await started(t, {}, async (e) => void events.push(e.id));
  const r = await post(source.url as string, gzipSync(CONTRACT_LINES.join('\n')), {
    'content-encoding': 'gzip',
  });
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 4);
  await source.idle();
  assert.equal(events.length, 4);
});

test('rejects a body that is not valid gzip with 400', async (t) => {
  const source = await started(t);
  const r = await post(source.url as string, Buffer.from('definitely not gzip'), {
    'content-encoding': 'gzip',
  });
  assert.equal(r.status, 400);
  assert.equal((r.body['error'] as { code: string }).code, 'INVALID_GZIP');
  assert.match((r.body['error'] as { message: string }).message, /^invalid gzip body: /);
});

test('refuses an oversized body with 413 naming the limit, before and after decompression', async (t) => {
  const source = await started(t, { maxBodyBytes: 4096 });
  const big = CONTRACT_LINES.join('\n').repeat(4);
  assert.ok(big.length > 4096);
  const plain = await post(source.url as string, big);
  assert.equal(plain.status, 413);
  assert.equal(
    (plain.body['error'] as { message: string }).message,
    'request body exceeds the 4096-byte limit',
  );
  // A small gzip that inflates past the limit (a zip bomb) is cut off while inflating.
  const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
  assert.ok(bomb.length < 4096);
  const inflated = await post(source.url as string, bomb, { 'content-encoding': 'gzip' });
  assert.equal(inflated.status, 413);
  assert.equal(source.counters.snapshot().refused['413'], 2);
});

test('rejects an oversized line by number and keeps the rest of the request', async (t) => {
  const source = await started(t, { maxLineBytes: 600 });
  const long = JSON.stringify({ rule: 'x', pad: 'y'.repeat(700) });
  const r = await post(
    source.url as string,
    [CONTRACT_LINES[0], long, CONTRACT_LINES[5]].join('\n'),
  );
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 2);
  assert.deepEqual(r.body['rejections'], [
    {
      line: 2,
      code: 'LINE_TOO_LONG',
      reason: `line is ${long.length} bytes, over the 600-byte line limit`,
    },
  ]);
});

test('answers 400 when every record was rejected', async (t) => {
  const source = await started(t);
  const r = await post(source.url as string, 'not json\n{"a":1}');
  assert.equal(r.status, 400);
  assert.equal(r.body['accepted'], 0);
  assert.equal(r.body['rejected'], 2);
  assert.equal((r.body['rejections'] as unknown[]).length, 2);
});

test('refuses a missing or wrong bearer token with 401 and never logs the token', async (t) => {
  const logged: string[] = [];
  const logger = createLogger('test', {
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged.push(chunk.toString());
        cb();
      },
    }),
  });
  const source = await started(t, { logger });
  const wrong = await post(source.url as string, CONTRACT_LINES[0] as string, {
    authorization: 'Bearer wrong-token-000000000000',
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="vigil-events"');
  const none = await post(source.url as string, CONTRACT_LINES[0] as string, { authorization: '' });
  assert.equal(none.status, 401);
  const ok = await post(source.url as string, CONTRACT_LINES.join('\n'));
  assert.equal(ok.status, 202);
  assert.ok(!logged.join('').includes(TOKEN), 'the token never reaches the log');
  assert.ok(!JSON.stringify(wrong.body).includes('wrong-token'));
  assert.equal(source.counters.snapshot().refused['401'], 2);
});

test('refuses a request with 429 and Retry-After, unread, while too many wait, and takes it once drained', async (t) => {
  let release!: () => void;
  let entered!: () => void;
  const inSink = new Promise<void>((r) => (entered = r));
  const gate = new Promise<void>((r) => (release = r));
  const source = await started(t, { maxQueuedRequests: 1, retryAfterSeconds: 3 }, async () => {
    entered();
    await gate;
  });
  const three = [CONTRACT_LINES[0], CONTRACT_LINES[5], CONTRACT_LINES[1]].join('\n');
  const first = post(source.url as string, three); // an idle source takes a request
  await inSink; // its first record is in the sink
  const waiting = post(
    source.url as string,
    (CONTRACT_LINES[0] as string).replace('contract-1', 'contract-9'),
  ); // one may wait
  while (source.pending < 2) await new Promise<void>((resolve) => setImmediate(resolve));
  const refused = await post(source.url as string, CONTRACT_LINES[3] as string);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '3');
  assert.equal((refused.body['error'] as { code: string }).code, 'QUEUE_FULL');
  release();
  const answered = await first;
  assert.equal(answered.status, 202, 'answered once its records were processed');
  assert.equal(answered.body['accepted'], 3);
  assert.equal((await waiting).status, 202);
  await source.idle();
  const retried = await post(source.url as string, CONTRACT_LINES[3] as string);
  assert.equal(retried.status, 202);
  await source.idle();
  const s = source.counters.snapshot();
  assert.equal(s.accepted, 5, 'the refused request was not counted as accepted');
  assert.equal(s.processed, 5);
  assert.equal(s.refused['429'], 1);
});

test('answers 405 to GET, 404 elsewhere and 415 to an unknown encoding', async (t) => {
  const source = await started(t);
  const url = source.url as string;
  const get = await new Promise<number>((resolve, reject) =>
    httpRequest(url, { method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end(),
  );
  assert.equal(get, 405);
  assert.equal((await post(url.replace('/v1/events', '/v1/other'), '{}')).status, 404);
  assert.equal((await post(url, 'x', { 'content-encoding': 'br' })).status, 415);
});

test('reads the bearer token from the environment and names the variable when it is missing', () => {
  assert.equal(bearerTokenFromEnv('INGEST_TOKEN', { INGEST_TOKEN: TOKEN }), TOKEN);
  assert.throws(
    () => bearerTokenFromEnv('INGEST_TOKEN', {}),
    (e: unknown) =>
      isVigilError(e, 'VIGIL_CONFIG_DETECTOR_INGEST') && /INGEST_TOKEN/.test((e as Error).message),
  );
  assert.throws(
    () => bearerTokenFromEnv('INGEST_TOKEN', { INGEST_TOKEN: 'short' }),
    /shorter than 16/,
  );
});

test('refuses to build a source without authentication', () => {
  assert.throws(
    () => createHttpEventSource({ auth: {} }),
    (e: unknown) => isVigilError(e, 'VIGIL_CONFIG_DETECTOR_INGEST'),
  );
});

test('mounts on a server the caller owns and leaves its other routes alone', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/livez') res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const source = await started(t, { server });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assert.equal((await post(`${base}/v1/events`, CONTRACT_LINES[0] as string)).status, 202);
  const live = await new Promise<string>((resolve) =>
    httpRequest(`${base}/livez`, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => resolve(s));
    }).end(),
  );
  assert.equal(live, 'ok');
  assert.equal(source.url, undefined);
});

/** A CA and two client certificates with SPIFFE URI SANs, made with the openssl CLI. */
function makePki(dir: string): Record<string, string> {
  const run = (...args: string[]): void =>
    void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=test-ca',
    '-days',
    '1',
  );
  const leaf = (name: string, san: string): void => {
    run(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  };
  leaf('server', 'IP:127.0.0.1,DNS:localhost');
  leaf('agent', 'URI:spiffe://vigil.test/agent/coordinator');
  leaf('other', 'URI:spiffe://vigil.test/agent/notifier');
  const out: Record<string, string> = {};
  for (const f of [
    'ca.crt',
    'server.crt',
    'server.key',
    'agent.crt',
    'agent.key',
    'other.crt',
    'other.key',
  ])
    out[f] = readFileSync(join(dir, f), 'utf8');
  return out;
}

test('authenticates agents by client certificate (mTLS), restricted to allowed SPIFFE IDs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-mtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const ca = pki['ca.crt'] as string;
  const source = await started(t, {
    tls: {
      cert: pki['server.crt'],
      key: pki['server.key'],
      ca,
      requestCert: true,
      rejectUnauthorized: false,
    },
    auth: { mtls: { allowedSpiffeIds: ['spiffe://vigil.test/agent/coordinator'] } },
  });
  const url = source.url as string;
  assert.match(url, /^https:/);
  const line = CONTRACT_LINES[0] as string;
  const agent = await post(
    url,
    line,
    { authorization: '' },
    { cert: pki['agent.crt'], key: pki['agent.key'], ca },
  );
  assert.equal(agent.status, 202);
  const other = await post(
    url,
    line,
    { authorization: '' },
    { cert: pki['other.crt'], key: pki['other.key'], ca },
  );
  assert.equal(other.status, 401, 'a verified certificate with another SPIFFE ID is refused');
  const anonymous = await post(url, line, {}, { ca });
  assert.equal(
    anonymous.status,
    401,
    'no certificate, and bearer tokens are not enabled on this source',
  );
});

test('accepts either a bearer token or a client certificate on one TLS server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-mtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const ca = pki['ca.crt'] as string;
  const server = createHttpsServer({
    cert: pki['server.crt'],
    key: pki['server.key'],
    ca,
    requestCert: true,
    rejectUnauthorized: false,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  await started(t, { server, auth: { bearerTokens: [TOKEN], mtls: {} } });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
  const line = CONTRACT_LINES[0] as string;
  assert.equal((await post(url, line, {}, { ca })).status, 202, 'token, no certificate');
  assert.equal(
    (
      await post(
        url,
        line,
        { authorization: '' },
        { cert: pki['other.crt'], key: pki['other.key'], ca },
      )
    ).status,
    202,
  );
  assert.equal(
    (await post(url, line, { authorization: 'Bearer nope-nope-nope-nope' }, { ca })).status,
    401,
  );
});

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-http-intake-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const depth of [10_000, 100_000]) {
  test(`a line nested ${depth} deep is one rejected line named by number; the lines after it are processed`, async (t) => {
    const dir = tempDir(t);
    const deadLetter = createDeadLetterFile(join(dir, 'dead.ndjson'));
    const ids: string[] = [];
    const source = await started(t, { deadLetter }, async (e) => void ids.push(e.id));
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const r = await post(
      source.url as string,
      [CONTRACT_LINES[0], deep, CONTRACT_LINES[1], CONTRACT_LINES[3]].join('\n'),
    );
    assert.equal(r.status, 202);
    assert.equal(r.body['accepted'], 3);
    assert.equal(r.body['rejected'], 1);
    const [rej] = r.body['rejections'] as { line: number; code: string; offset: number }[];
    assert.equal(rej?.line, 2);
    assert.equal(rej?.code, 'NESTING_TOO_DEEP');
    assert.equal(ids.length, 3);
    await deadLetter.close();
    const dead = readFileSync(join(dir, 'dead.ndjson'), 'utf8').trim().split('\n');
    assert.equal(dead.length, 1);
    assert.equal((JSON.parse(dead[0] as string) as { line: number }).line, 2);
  });
}

test('a body of 100,000 empty objects answers counts and the first 100 rejections, and the dead-letter file rotates at its cap', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'dead.ndjson');
  const deadLetter = createDeadLetterFile(path, { maxFileBytes: 1024 * 1024, maxFiles: 3 });
  const source = await started(t, { deadLetter });
  const r = await post(source.url as string, '{}\n'.repeat(100_000));
  assert.equal(r.status, 400);
  assert.equal(r.body['records'], 100_000);
  assert.equal(r.body['rejected'], 100_000);
  assert.equal(r.body['accepted'], 0);
  const listed = r.body['rejections'] as { line: number; code: string }[];
  assert.equal(listed.length, 100);
  assert.equal(r.body['rejectionsOmitted'], 99_900);
  assert.deepEqual(
    listed.slice(0, 2).map((x) => [x.line, x.code]),
    [
      [1, 'UNRECOGNISED_FORMAT'],
      [2, 'UNRECOGNISED_FORMAT'],
    ],
  );
  assert.ok(JSON.stringify(r.body).length < 32 * 1024, 'the answer stays small');
  await deadLetter.close();
  const sizes = [path, `${path}.1`, `${path}.2`].map((p) => statSync(p).size);
  for (const s of sizes) assert.ok(s <= 1024 * 1024, `a dead-letter file holds ${s} bytes`);
  assert.throws(() => statSync(`${path}.3`), 'no more files than maxFiles');
  assert.equal(
    sizes.reduce((a, b) => a + b, 0) / (sizes[0] as number) > 2,
    true,
    'older letters are kept in the rotated files',
  );
});

test('strips a leading BOM and rejects a later BOM and invalid UTF-8 by line and byte offset', async (t) => {
  const ids: string[] = [];
  const source = await started(t, {}, async (e) => void ids.push(e.id));
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  const first = Buffer.from(`${CONTRACT_LINES[0]}\n`);
  const second = Buffer.from(`${CONTRACT_LINES[1]}\n`);
  const head = Buffer.from(
    '{"rule":"x","priority":"Notice","time":"2026-11-20T12:00:00Z","output":"',
  );
  const body = Buffer.concat([
    bom,
    first,
    bom,
    second,
    head,
    Buffer.from([0xff]),
    Buffer.from(`"}\n${CONTRACT_LINES[3]}\n`),
  ]);
  const r = await post(source.url as string, body);
  assert.equal(r.status, 202);
  assert.equal(r.body['accepted'], 2);
  const listed = r.body['rejections'] as { line: number; code: string; offset: number }[];
  assert.deepEqual(
    listed.map((x) => [x.line, x.code, x.offset]),
    [
      [2, 'INVALID_ENCODING', 3 + first.length],
      [3, 'INVALID_ENCODING', 3 + first.length + 3 + second.length + head.length],
    ],
  );
  assert.deepEqual(ids, ['contract-1', 'contract-flow']);
});

test('answers 503 with Retry-After and takes nothing while the sink cannot durably keep more', async (t) => {
  let full = true;
  const ids: string[] = [];
  const source = await started(
    t,
    {
      admit: () =>
        full ? { reason: 'the findings outbox is full', retryAfterSeconds: 7 } : undefined,
    },
    async (e) => void ids.push(e.id),
  );
  const refused = await post(source.url as string, CONTRACT_LINES.join('\n'));
  assert.equal(refused.status, 503);
  assert.equal(refused.headers['retry-after'], '7');
  assert.equal((refused.body['error'] as { code: string }).code, 'SINK_FULL');
  assert.equal(ids.length, 0);
  full = false;
  const taken = await post(source.url as string, CONTRACT_LINES.join('\n'));
  assert.equal(taken.status, 202);
  assert.equal(ids.length, 4);
});

test('a sink that fills midway answers 503 with what was taken, never 202; a resend takes the rest and reports the rest as duplicates', async (t) => {
  const kept: string[] = [];
  let room = 70;
  const source = await started(t, { retryAfterSeconds: 2 }, async (e) => {
    if (room === 0)
      throw new IngestError('VIGIL_DETECTOR_INGEST_FULL', 'outbox full', {
        details: { retryAfterSeconds: 4 },
      });
    room -= 1;
    kept.push(e.id);
  });
  const lines = Array.from({ length: 200 }, (_, i) =>
    (CONTRACT_LINES[0] as string).replace('contract-1', `full-${i}`),
  );
  const first = await post(source.url as string, lines.join('\n'));
  assert.equal(first.status, 503);
  assert.equal(first.headers['retry-after'], '4');
  assert.equal(first.body['accepted'], 70);
  assert.equal(kept.length, 70);
  room = 1000;
  const again = await post(source.url as string, lines.join('\n'));
  assert.equal(again.status, 202);
  assert.equal(again.body['accepted'], 130);
  assert.equal(again.body['duplicates'], 70);
  assert.equal(again.body['records'], 200);
  assert.equal(new Set(kept).size, 200, 'every event processed exactly once');
  const s = source.counters.snapshot();
  assert.equal(s.failed, 0, 'nothing was taken and then dropped');
});

test('every rejection names its line and, for a record at fault, the field', async (t) => {
  const source = await started(t);
  const falcoNoPriority = JSON.stringify({ rule: 'x', time: '2026-11-20T12:00:00Z', output: 'y' });
  const auditNoVerb = JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    user: { username: 'u' },
  });
  const r = await post(source.url as string, [falcoNoPriority, auditNoVerb, '{"x":'].join('\n'));
  assert.equal(r.status, 400);
  assert.equal(r.body['records'], 3);
  assert.deepEqual(
    (r.body['rejections'] as { line: number; code: string; field?: string }[]).map((x) => [
      x.line,
      x.code,
      x.field,
    ]),
    [
      [1, 'INVALID_EVENT', 'priority'],
      [2, 'NO_VERB', 'verb'],
      [3, 'MALFORMED_JSON', undefined],
    ],
  );
});
