import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
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

/**
 * Serves the console at `/` from `root` (when it has been built), each file with the
 * strict CSP above. Its routes are public (the files hold no data; every API call they
 * make is authenticated). Returns whether the console is served.
 */
export async function registerConsoleAssets(app: FastifyInstance, root: string): Promise<boolean> {
  if (!existsSync(`${root}/index.html`)) return false;
  await app.register(async (assets) => {
    assets.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await assets.register(fastifyStatic, {
      root,
      prefix: '/',
      index: ['index.html'],
      setHeaders: (res) => {
        res.setHeader('content-security-policy', CONSOLE_CSP);
        res.setHeader('x-content-type-options', 'nosniff');
        res.setHeader('referrer-policy', 'no-referrer');
      },
    });
  });
  return true;
}
