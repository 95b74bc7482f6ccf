import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { VigilError, isVigilError, type Logger } from '@vigil/core';
import type { Coordinator } from './coordinator.js';
import type { ApprovalStatus, IncidentStatus, IncidentStore } from './incident-store.js';
import { authenticate, type User } from './users.js';

/** The approvals and incidents API (documented by {@link OPENAPI}), served by the coordinator. */
export interface OpsApi {
  readonly url: string;
  close(): Promise<void>;
}

const decisionBody = z.strictObject({
  reason: z.string().trim().min(1, 'a reason is required').max(2000),
  approval: z.string().min(1, 'the signed decision (compact JWS) is required'),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

const STATUS_FOR_CODE: Record<string, number> = {
  VIGIL_APPROVAL_NOT_FOUND: 404,
  VIGIL_APPROVAL_NOT_PENDING: 409,
  VIGIL_APPROVAL_EXPIRED: 410,
  VIGIL_APPROVAL_FORBIDDEN: 403,
  VIGIL_APPROVAL_REASON_REQUIRED: 400,
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves `/v1/incidents` and `/v1/approvals` on loopback (or the address given),
 * authenticated by bearer tokens of local users. Viewers may read; analysts and admins
 * may decide, and every decision must carry their signature over the exact action.
 * Errors are JSON `{ code, message }` with stable codes.
 */
export async function startOpsApi(options: {
  readonly coordinator: Coordinator;
  readonly store: IncidentStore;
  readonly stateDir: string;
  readonly host?: string;
  readonly port: number;
  readonly logger?: Logger;
}): Promise<OpsApi> {
  const { coordinator, store } = options;
  const route = async (req: IncomingMessage, user: User): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && url.pathname === '/v1/incidents') {
      return {
        incidents: store.incidents({
          ...(url.searchParams.get('status')
            ? { status: url.searchParams.get('status') as IncidentStatus }
            : {}),
        }),
      };
    }
    if (
      req.method === 'GET' &&
      parts[0] === 'v1' &&
      parts[1] === 'incidents' &&
      parts.length === 3
    ) {
      const incident = store.incident(parts[2]!);
      if (!incident)
        throw new HttpProblem(404, 'VIGIL_INCIDENT_NOT_FOUND', `no incident "${parts[2]}"`);
      return {
        incident,
        summary: (await coordinator.summary(incident.id)) ?? null,
        approvals: store.approvals({ incidentId: incident.id }),
      };
    }
    if (req.method === 'GET' && url.pathname === '/v1/approvals') {
      return {
        approvals: store.approvals({
          ...(url.searchParams.get('status')
            ? { status: url.searchParams.get('status') as ApprovalStatus }
            : {}),
        }),
      };
    }
    // Approval ids contain a slash (`<incident>/<proposal>`): everything after /v1/approvals/.
    const approvalMatch = /^\/v1\/approvals\/(.+?)(?:\/(approve|reject))?$/.exec(url.pathname);
    if (approvalMatch) {
      const id = decodeURIComponent(approvalMatch[1]!);
      if (req.method === 'GET' && !approvalMatch[2]) {
        const approval = store.approval(id);
        if (!approval)
          throw new HttpProblem(404, 'VIGIL_APPROVAL_NOT_FOUND', `no approval request "${id}"`);
        return { approval };
      }
      if (req.method === 'POST' && approvalMatch[2]) {
        if (user.role === 'viewer')
          throw new HttpProblem(
            403,
            'VIGIL_APPROVAL_FORBIDDEN',
            `user ${user.id} is a viewer; analysts and admins decide`,
          );
        const body = decisionBody.safeParse(await readJson(req));
        if (!body.success)
          throw new HttpProblem(
            400,
            'VIGIL_API_BAD_REQUEST',
            body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
          );
        const approval = await coordinator.decide(id, {
          decision: approvalMatch[2] === 'approve' ? 'approve' : 'reject',
          by: `user:${user.id}`,
          reason: body.data.reason,
          approval: body.data.approval,
          ...(body.data.parameters ? { parameters: body.data.parameters } : {}),
        });
        return { approval };
      }
    }
    throw new HttpProblem(404, 'VIGIL_API_NOT_FOUND', `no route ${req.method} ${url.pathname}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      if (req.method === 'GET' && req.url === '/openapi.json') return send(res, 200, OPENAPI);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = token ? authenticate(options.stateDir, token) : undefined;
      if (!user)
        throw new HttpProblem(401, 'VIGIL_API_UNAUTHENTICATED', 'a valid bearer token is required');
      send(res, 200, await route(req, user));
    } catch (error) {
      if (error instanceof HttpProblem)
        return send(res, error.status, { code: error.code, message: error.message });
      if (isVigilError(error))
        return send(
          res,
          STATUS_FOR_CODE[error.code] ?? (error.code.startsWith('VIGIL_APPROVAL') ? 400 : 500),
          { code: error.code, message: error.message },
        );
      options.logger?.error({ error: String(error) }, 'ops API failure');
      send(res, 500, { code: 'VIGIL_API_INTERNAL', message: 'internal error' });
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? // A configuration problem, not a crash: restarting would meet the same port.
            new VigilError(
              'VIGIL_CONFIG_PORT_IN_USE',
              `the incidents and approvals API cannot listen on ${host}:${options.port}: port ${options.port} is in use (another Vigil system?). Set agents[coordinator].settings.api.port to a free port, or leave it out to take any free port.`,
              { cause: error, details: { host, port: options.port } },
            )
          : error,
      ),
    );
    server.listen(options.port, host, resolve);
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

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024)
      throw new HttpProblem(413, 'VIGIL_API_BODY_TOO_LARGE', 'request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'VIGIL_API_BAD_REQUEST', 'body: not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const error = { $ref: '#/components/schemas/Error' };
const errors = Object.fromEntries(
  ['400', '401', '403', '404', '409', '410'].map((s) => [
    s,
    { description: 'error', content: { 'application/json': { schema: error } } },
  ]),
);
const decision = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['reason', 'approval'],
        properties: {
          reason: { type: 'string', description: 'Why (mandatory; audited).' },
          approval: {
            type: 'string',
            description:
              'Compact JWS signed by the deciding user over the RFC 8785 digest of the exact action (`vigil approvals` signs it).',
          },
          parameters: {
            type: 'object',
            description: 'Edited parameters (approve only); the edited action is reviewed again.',
          },
        },
      },
    },
  },
};

/** OpenAPI 3.1 description of the ops API. */
export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Vigil SOC incidents and approvals API', version: '1.0.0' },
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'A local user token (`vigil users add`).',
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['code', 'message'],
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/v1/incidents': {
      get: {
        summary: 'List incidents',
        parameters: [
          {
            name: 'status',
            in: 'query',
            schema: { enum: ['open', 'awaiting-approval', 'closed', 'failed'] },
          },
        ],
        responses: { '200': { description: 'incidents' }, ...errors },
      },
    },
    '/v1/incidents/{id}': {
      get: {
        summary: 'One incident with its graph summary and approvals',
        parameters: [{ name: 'id', in: 'path', required: true }],
        responses: { '200': { description: 'incident' }, ...errors },
      },
    },
    '/v1/approvals': {
      get: {
        summary: 'List approval requests',
        parameters: [
          {
            name: 'status',
            in: 'query',
            schema: { enum: ['pending', 'approved', 'rejected', 'expired'] },
          },
        ],
        responses: { '200': { description: 'approvals' }, ...errors },
      },
    },
    '/v1/approvals/{id}': {
      get: {
        summary: 'One approval request',
        parameters: [{ name: 'id', in: 'path', required: true }],
        responses: { '200': { description: 'approval' }, ...errors },
      },
    },
    '/v1/approvals/{id}/approve': {
      post: {
        summary: 'Approve (analyst or admin)',
        requestBody: decision,
        responses: { '200': { description: 'decided' }, ...errors },
      },
    },
    '/v1/approvals/{id}/reject': {
      post: {
        summary: 'Reject (analyst or admin)',
        requestBody: decision,
        responses: { '200': { description: 'decided' }, ...errors },
      },
    },
  },
} as const;
