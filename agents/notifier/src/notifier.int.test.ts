import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { createEmailChannel } from './channels/email.js';
import { createPagerDutyChannel } from './channels/pagerduty.js';
import { createSlackChannel } from './channels/slack.js';
import { createWebhookChannel, SIGNATURE_HEADER } from './channels/webhook.js';
import type { Notification } from './notification.js';
import { Notifier, type Clock, type DeliveryPolicy } from './notifier.js';

const notification: Notification = {
  incidentId: 'inc-42',
  kind: 'incident',
  title: 'Crypto-miner in shop/web-7f9',
  severity: 'critical',
  summary: 'Process "xmrig" is a known crypto-miner (T1496).',
  verdicts: [
    {
      action: 'isolate-pod',
      target: 'shop/web-7f9',
      decision: 'allow',
      reasons: ['confidence 0.91 ≥ 0.6'],
      outcome: 'executed',
    },
  ],
  degraded: [],
  traceLink: 'vigil trace inc-42',
  dedupKey: 'inc-42/incident',
};

const FAST: DeliveryPolicy = {
  maxAttempts: 3,
  initialBackoffMs: 1,
  maxBackoffMs: 2,
  attemptTimeoutMs: 30_000,
  ratePerMinute: 60,
  burst: 5,
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver on loopback; `statuses` scripts the answers in order (then 200). */
async function receiver(t: TestContext, statuses: number[] = [], hang = false) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (hang) return;
      res.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

test('signs webhook deliveries with an HMAC the receiver can verify', async (t) => {
  const hook = await receiver(t);
  const notifier = new Notifier(
    [createWebhookChannel({ name: 'siem', url: hook.url, secret: 's3cret' })],
    FAST,
  );
  const [result] = await notifier.notify(notification);
  assert.equal(result?.status, 'delivered');
  const { headers, body } = hook.received[0]!;
  const [t0, v1] = String(headers[SIGNATURE_HEADER]).split(',');
  const ts = t0!.slice(2);
  assert.equal(v1, `v1=${createHmac('sha256', 's3cret').update(`${ts}.${body}`).digest('hex')}`);
  assert.equal(JSON.parse(body).notification.incidentId, 'inc-42');
});

test('sends Slack incoming-webhook JSON and PagerDuty Events v2 payloads', async (t) => {
  const slack = await receiver(t);
  const pd = await receiver(t);
  const notifier = new Notifier(
    [
      createSlackChannel({ name: 'slack', url: slack.url }),
      createPagerDutyChannel({ name: 'pd', url: pd.url, routingKey: 'R0UTING' }),
    ],
    FAST,
  );
  const results = await notifier.notify(notification);
  assert.deepEqual(
    results.map((r) => r.status),
    ['delivered', 'delivered'],
  );
  const slackBody = JSON.parse(slack.received[0]!.body);
  assert.match(slackBody.text, /Crypto-miner/);
  assert.equal(slackBody.blocks[0].type, 'header');
  const event = JSON.parse(pd.received[0]!.body);
  assert.equal(event.event_action, 'trigger');
  assert.equal(event.dedup_key, 'inc-42');
  assert.equal(event.payload.severity, 'critical');
  assert.equal(event.links[0].href, 'vigil trace inc-42');
});

test('delivers email through a real SMTP server on loopback', async (t) => {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => smtp.close(() => r())));
  const port = (smtp.server.address() as AddressInfo).port;
  const email = createEmailChannel({
    name: 'mail',
    smtp: { host: '127.0.0.1', port, secure: false },
    from: 'vigil@soc.local',
    to: ['oncall@soc.local'],
  });
  const notifier = new Notifier([email], FAST);
  t.after(() => notifier.close());
  const [result] = await notifier.notify(notification);
  assert.equal(result?.status, 'delivered');
  assert.equal(mails.length, 1);
  assert.deepEqual(mails[0]!.to, ['oncall@soc.local']);
  assert.match(mails[0]!.data, /Subject: \[Vigil critical\] Crypto-miner/);
  assert.match(mails[0]!.data, /isolate-pod shop\/web-7f9: allow/);
});

test('retries a failing channel with back-off and then succeeds', async (t) => {
  const hook = await receiver(t, [503, 500]);
  const sleeps: number[] = [];
  const clock: Clock = { now: () => 0, sleep: async (ms) => void sleeps.push(ms) };
  const notifier = new Notifier(
    [createWebhookChannel({ name: 'siem', url: hook.url, secret: 'k' })],
    { ...FAST, initialBackoffMs: 100, maxBackoffMs: 1_000 },
    { clock, random: () => 0.999 },
  );
  const [result] = await notifier.notify(notification);
  assert.deepEqual(result, { status: 'delivered', channel: 'siem', attempts: 3 });
  assert.deepEqual(sleeps, [99, 199], 'full jitter under a doubling ceiling');
});

test('a hung channel fails at its deadline while the other channels deliver', async (t) => {
  const hung = await receiver(t, [], true);
  const good = await receiver(t);
  const notifier = new Notifier(
    [
      { ...createSlackChannel({ name: 'hung', url: hung.url }), attemptTimeoutMs: 150 },
      createSlackChannel({ name: 'good', url: good.url }),
    ],
    { ...FAST, maxAttempts: 1, attemptTimeoutMs: 60_000 },
  );
  const results = await notifier.notify(notification);
  assert.equal(results[0]?.status, 'failed');
  assert.match((results[0] as { error: string }).error, /timed out/);
  assert.equal(results[1]?.status, 'delivered');
});

test('delivers the same news once per channel', async (t) => {
  const hook = await receiver(t);
  const notifier = new Notifier([createSlackChannel({ name: 'slack', url: hook.url })], FAST);
  await notifier.notify(notification);
  const [again] = await notifier.notify(notification);
  assert.equal(again?.status, 'duplicate');
  assert.equal(hook.received.length, 1);
});

test('rate-limits each channel with a token bucket that refills over time', async (t) => {
  const hook = await receiver(t);
  let now = 0;
  const clock: Clock = { now: () => now, sleep: async () => undefined };
  const notifier = new Notifier(
    [createSlackChannel({ name: 'slack', url: hook.url })],
    { ...FAST, burst: 2, ratePerMinute: 1 },
    { clock },
  );
  const statuses = [];
  for (let i = 0; i < 3; i++)
    statuses.push((await notifier.notify({ ...notification, dedupKey: `k${i}` }))[0]?.status);
  assert.deepEqual(statuses, ['delivered', 'delivered', 'rate-limited']);
  now += 60_000;
  assert.equal(
    (await notifier.notify({ ...notification, dedupKey: 'k9' }))[0]?.status,
    'delivered',
  );
});
