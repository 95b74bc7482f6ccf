/** What the built console costs a browser: each JavaScript and CSS file in dist/, raw and gzipped. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DIST_ASSETS = fileURLToPath(new URL('../dist/assets', import.meta.url));

export interface AssetSize {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Sizes of the built assets (gzip level 9, as a static server would precompress them). */
export function assetSizes(dir = DIST_ASSETS): AssetSize[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
    .sort()
    .map((file) => {
      const body = readFileSync(join(dir, file));
      return { file, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length };
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = assetSizes();
  for (const s of sizes) console.log(`${s.file}\t${s.bytes} B\t${s.gzipBytes} B gzipped`);
  const js = sizes.filter((s) => s.file.endsWith('.js')).reduce((n, s) => n + s.gzipBytes, 0);
  console.log(`JavaScript total: ${(js / 1024).toFixed(1)} KiB gzipped`);
}
