import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The console's built files (`apps/console/dist`, built by setup), found from this
 * module in both `src/` and `dist/` (the same depth below the repository).
 */
export const CONSOLE_DIST = fileURLToPath(
  new URL('../../../../apps/console/dist/', import.meta.url),
);

/**
 * Content-Security-Policy of the console: scripts, styles and connections from this
 * origin only, no inline script, no framing, no plugins, no base or form hijack.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** Answers a request that matched no route, when it is one of the console's own pages. */
export type ConsolePageFallback = (
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<boolean>;

/**
 * Whether `request` is a browser opening one of the console's client routes
 * (`/approvals/inc-1%2Fp1`, a bookmark or a reload): a page navigation outside the API
 * and not for a file, which gets index.html so the client router can show it.
 */
function isPageNavigation(request: FastifyRequest): boolean {
  const [path = ''] = request.url.split('?');
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    !path.startsWith('/v1/') &&
    extname(path) === '' &&
    (request.headers.accept ?? '').includes('text/html')
  );
}

/**
 * Serves the console at `/` from `root` (when it has been built), each file with the
 * strict CSP above. Its routes are public (the files hold no data; every API call they
 * make is authenticated). Returns the fallback that answers the console's client routes
 * with its page, or undefined when the console is not served.
 */
export async function registerConsoleAssets(
  app: FastifyInstance,
  root: string,
): Promise<ConsolePageFallback | undefined> {
  const index = `${root}/index.html`;
  if (!existsSync(index)) return undefined;
  await app.register(async (assets) => {
    assets.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await assets.register(fastifyStatic, {
      root,
      prefix: '/',
      index: ['index.html'],
      setHeaders: (res) => {
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      },
    });
  });
  return async (request, reply) => {
    if (!isPageNavigation(request)) return false;
    await reply
      .code(200)
      .headers(SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(await readFile(index));
    return true;
  };
}
