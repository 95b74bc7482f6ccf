import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { authenticate, type User } from '@vigil/coordinator';
import { isVigilError, type Logger } from '@vigil/core';
import type { ApprovalStatus, MemoApprovalRow, MemoStore, StoredMemo } from './memo-store.js';

const decisionBody = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required').max(2000),
  approval: z.string().min(1, 'the signed decision (compact JWS) is required'),
});

/** What the API asks the orchestrator to do with a person's signed decision. */
export type DecideMemo = (
  approvalId: string,
  decision: { decision: 'approve' | 'reject'; user: User; reason: string; approval: string },
) => Promise<MemoApprovalRow>;

const STATUS: Record<string, number> = {
  VIGIL_CREDIT_NOT_FOUND: 404,
  VIGIL_APPROVAL_NOT_PENDING: 409,
  VIGIL_APPROVAL_EXPIRED: 410,
  VIGIL_APPROVAL_FORBIDDEN: 403,
  VIGIL_CREDIT_RELEASE_DENIED: 409,
};

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024)
      throw new Problem(413, 'VIGIL_API_BODY_TOO_LARGE', 'request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Problem(400, 'VIGIL_API_BAD_REQUEST', 'body: not valid JSON');
  }
}

/**
 * The memo approvals API on loopback, the same routes and rows as the SOC coordinator's
 * (`vigil approvals list|show|approve|reject` work unchanged), plus `GET /v1/memos/<id>`.
 * Bearer tokens of the state directory's local users; every decision carries the
 * user's signature over the exact release action (checked by `decide`).
 */
export async function startMemoApprovalsApi(options: {
  readonly store: MemoStore;
  readonly stateDir: string;
  readonly decide: DecideMemo;
  readonly logger: Logger;
  readonly host?: string;
}): Promise<{ url: string; close(): Promise<void> }> {
  const route = async (req: IncomingMessage, user: User): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/v1/approvals') {
      const status = url.searchParams.get('status') ?? undefined;
      return { approvals: options.store.approvals(status as ApprovalStatus | undefined) };
    }
    const memo = /^\/v1\/memos\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && memo) {
      const stored: StoredMemo | undefined = options.store.memo(decodeURIComponent(memo[1]!));
      if (stored === undefined)
        throw new Problem(404, 'VIGIL_CREDIT_NOT_FOUND', `no memo "${memo[1]}"`);
      return stored;
    }
    const m = /^\/v1\/approvals\/([^/]+)(?:\/(approve|reject))?$/.exec(url.pathname);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      if (req.method === 'GET' && m[2] === undefined) {
        const row = options.store.approvals().find((a) => a.id === id);
        if (row === undefined)
          throw new Problem(404, 'VIGIL_CREDIT_NOT_FOUND', `no approval request "${id}"`);
        return { approval: row };
      }
      if (req.method === 'POST' && m[2] !== undefined) {
        const parsed = decisionBody.safeParse(await body(req));
        if (!parsed.success) {
          throw new Problem(
            400,
            'VIGIL_API_BAD_REQUEST',
            parsed.error.issues
              .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
              .join('; '),
          );
        }
        return {
          approval: await options.decide(id, {
            decision: m[2] === 'approve' ? 'approve' : 'reject',
            user,
            reason: parsed.data.reason,
            approval: parsed.data.approval,
          }),
        };
      }
    }
    throw new Problem(404, 'VIGIL_API_NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`);
  };
  const send = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        const user = token === undefined ? undefined : authenticate(options.stateDir, token);
        if (user === undefined)
          throw new Problem(401, 'VIGIL_API_UNAUTHENTICATED', 'a valid bearer token is required');
        send(res, 200, await route(req, user));
      } catch (error) {
        if (error instanceof Problem)
          return send(res, error.status, { code: error.code, message: error.message });
        if (isVigilError(error))
          return send(res, STATUS[error.code] ?? 400, { code: error.code, message: error.message });
        options.logger.error({ err: String(error) }, 'memo approvals API failure');
        send(res, 500, { code: 'VIGIL_API_INTERNAL', message: 'internal error' });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
