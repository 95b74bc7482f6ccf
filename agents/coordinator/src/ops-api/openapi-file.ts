import { fileURLToPath } from 'node:url';
import { openApiDocument } from './server.js';

/**
 * The checked-in OpenAPI document (`agents/coordinator/openapi.json`): the console
 * generates its typed client from it (openapi-typescript); `ops-api.test.ts` fails when it
 * differs from what the routes generate (`npm run openapi -w @vigil/coordinator` rewrites it).
 */
export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi.json', import.meta.url));

/** The document as it is written to {@link OPENAPI_FILE}: stable, two-space JSON with a final newline. */
export async function openApiFileText(): Promise<string> {
  return `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
}
