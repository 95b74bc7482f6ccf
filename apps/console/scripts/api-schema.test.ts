import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderApiSchema, SCHEMA_FILE } from './api-schema.js';

test('the console API types are in sync with the OpenAPI document', async () => {
  assert.equal(
    readFileSync(SCHEMA_FILE, 'utf8'),
    await renderApiSchema(),
    'src/api/schema.ts is stale: run `npm run generate:api -w @vigil/console` and commit it',
  );
});
