#!/usr/bin/env node
// Transpiles every workspace's TypeScript sources (not tests) to JavaScript under
// `<workspace>/dist/`, file by file with the same layout, so agent processes run on plain
// Node (`--conditions=vigil-dist` picks `dist/` in each package's exports) instead of
// compiling TypeScript at start-up: about 35 MiB less resident memory per agent process.
// Type checking stays with `tsc -b`. Fast (esbuild): safe to run before every `vigil up`.
//
// Several `vigil up` may build while agents of another one are importing from `dist/`
// (two SOCs side by side, or tests run in parallel). So the directory is never emptied:
// a changed file is replaced atomically (write aside, rename), an unchanged one is left
// alone, and only files whose source is gone are removed.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing' && entry.name !== 'fixtures') yield* sources(path);
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.test.ts') &&
      !entry.name.endsWith('.d.ts')
    ) {
      yield path;
    }
  }
}

function* filesUnder(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

function sameContent(path, contents) {
  try {
    return readFileSync(path).equals(contents);
  } catch {
    return false;
  }
}

function replaceAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, contents);
  renameSync(aside, path);
}

/** A file another build wrote aside a moment ago and is about to rename; older ones are debris. */
function isAnotherBuildInFlight(path) {
  if (!path.endsWith('.tmp')) return false;
  try {
    return Date.now() - statSync(path).mtimeMs < 60_000;
  } catch {
    return true;
  }
}

export async function buildDist({ quiet = false } = {}) {
  const started = Date.now();
  let files = 0;
  let written = 0;
  try {
    for (const group of ['packages', 'agents', 'examples']) {
      for (const ws of readdirSync(join(root, group), { withFileTypes: true })) {
        if (!ws.isDirectory()) continue;
        const src = join(root, group, ws.name, 'src');
        const out = join(root, group, ws.name, 'dist');
        let entryPoints;
        try {
          entryPoints = [...sources(src)];
        } catch {
          continue;
        }
        const { outputFiles } = await build({
          entryPoints,
          outdir: out,
          outbase: src,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          bundle: false,
          write: false,
          logLevel: 'error',
        });
        const current = new Set();
        for (const file of outputFiles) {
          current.add(file.path);
          if (sameContent(file.path, file.contents)) continue;
          replaceAtomically(file.path, file.contents);
          written += 1;
        }
        for (const path of filesUnder(out)) {
          if (!current.has(path) && !isAnotherBuildInFlight(path)) rmSync(path, { force: true });
        }
        files += entryPoints.length;
      }
    }
  } finally {
    // The JS API keeps an esbuild service process for later builds; `vigil up` builds once
    // and then supervises for hours, so the service must not stay behind.
    await stop();
  }
  if (!quiet)
    console.log(`build-dist: ${files} files (${written} changed) in ${Date.now() - started} ms`);
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  await buildDist();
}
