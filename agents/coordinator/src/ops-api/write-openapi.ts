// `npm run openapi -w @vigil/coordinator`: rewrites agents/coordinator/openapi.json from the route schemas.
import { writeFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiFileText } from './openapi-file.js';

writeFileSync(OPENAPI_FILE, await openApiFileText());
console.log(`wrote ${OPENAPI_FILE}`);
