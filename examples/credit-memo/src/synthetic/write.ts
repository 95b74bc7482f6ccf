/**
 * Rewrites `data/<source>.json` from {@link generateSyntheticData}'s fixed seed
 * (`npm run -w @vigil/credit-memo data`). The output is deterministic: rerunning it on an
 * unchanged generator leaves the shipped files byte for byte as they are.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SOURCES } from '../contracts.js';
import { generateSyntheticData } from './generate.js';

const dir = fileURLToPath(new URL('../../data/', import.meta.url));
const data = generateSyntheticData();
for (const source of SOURCES) {
  writeFileSync(`${dir}${source}.json`, `${JSON.stringify(data[source], null, 2)}\n`);
}
process.stdout.write(`wrote ${SOURCES.length} source files to ${dir}\n`);
