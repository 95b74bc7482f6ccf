/** `npm run generate:api -w @vigil/console`: rewrites src/api/schema.ts from the OpenAPI document. */
import { writeFileSync } from 'node:fs';
import { renderApiSchema, SCHEMA_FILE } from './api-schema.js';

writeFileSync(SCHEMA_FILE, await renderApiSchema());
console.log(`wrote ${SCHEMA_FILE}`);
