/**
 * The built console (apps/console/dist) answered from inside the browser context for
 * tests that need the pages but not a SOC: every request to {@link FIXTURE_ORIGIN} is
 * fulfilled from dist/, and `/v1/*` by the test's own handler. No server is started.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Route } from 'playwright-core';

export const DIST_DIR = fileURLToPath(new URL('../../dist', import.meta.url));
export const FIXTURE_ORIGIN = 'http://127.0.0.1:7999';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** An answer to an API request: JSON, or a body of its own type. */
export interface ApiAnswer {
  status?: number;
  json?: unknown;
  body?: string;
  contentType?: string;
}

/** The answer for an API path (now or later: a fixture may sign or verify), or undefined for 404. */
export type ApiFixture = (
  method: string,
  path: string,
  body: unknown,
) => ApiAnswer | undefined | Promise<ApiAnswer | undefined>;

function assertBuilt(): void {
  if (!existsSync(join(DIST_DIR, 'index.html')))
    throw new Error(`${DIST_DIR}/index.html is missing: run \`npm run build -w @vigil/console\``);
}

/** A file of dist/ for `url`'s path; any path that is not a file is the page (client routes). */
function fulfillFromDist(route: Route, url: URL): Promise<void> {
  const file = normalize(join(DIST_DIR, url.pathname));
  const asset =
    file.startsWith(DIST_DIR) && existsSync(file) && extname(file)
      ? file
      : join(DIST_DIR, 'index.html');
  return route.fulfill({
    status: 200,
    body: readFileSync(asset),
    contentType: TYPES[extname(asset)] ?? 'application/octet-stream',
  });
}

/** Routes the context's requests to dist/ and `api`. */
export async function serveConsole(context: BrowserContext, api: ApiFixture): Promise<void> {
  assertBuilt();
  await context.route(`${FIXTURE_ORIGIN}/**`, async (route: Route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v1/')) {
      const answer = await api(request.method(), url.pathname + url.search, request.postDataJSON());
      if (!answer)
        return route.fulfill({
          status: 404,
          json: { code: 'VIGIL_API_NOT_FOUND', message: url.pathname },
        });
      return route.fulfill({
        status: answer.status ?? 200,
        ...(answer.json !== undefined ? { json: answer.json } : {}),
        ...(answer.body !== undefined
          ? { body: answer.body, contentType: answer.contentType ?? 'text/plain' }
          : {}),
      });
    }
    return fulfillFromDist(route, url);
  });
}

/**
 * The built console answered at `origin` from dist/ while `/v1/*` goes through to the
 * real API there, for a server that does not serve the console's files itself.
 */
export async function serveConsoleBeside(context: BrowserContext, origin: string): Promise<void> {
  assertBuilt();
  await context.route(`${origin}/**`, (route: Route) => {
    const url = new URL(route.request().url());
    return url.pathname.startsWith('/v1/') ? route.continue() : fulfillFromDist(route, url);
  });
}
