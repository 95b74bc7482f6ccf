#!/usr/bin/env node
// Lays out the application tree of the agent image under `<out>/vigil` (docs/containers.md):
//
//   vigil/lib/js/         the agent entry (`entry.js`), one module per agent implementation
//                         (`agent-<name>.js`), the worker-thread modules and the chunks they
//                         share: esbuild bundles of the TypeScript sources, code-split so every
//                         module exists once (one zod, one OpenTelemetry API, one error class
//                         per package, as in a process), minified, tree-shaken
//   vigil/node_modules/   `@vigil/<agent>` stubs that re-export `agent-<name>.js` (the runtime
//                         imports the declaration's `implementation` by package name), and the
//                         one native addon, better-sqlite3, with the packages it loads
//   vigil/rules/          the detector's rule files (its code reads `../../rules/` from itself)
//
// Why bundles and not the workspace with its node_modules: the production dependency tree
// is ~126 MB on disk (two builds of most packages, the Kubernetes client's generated models,
// tokenizer tables), the Node binary alone ~99 MB, and the image aims at < 150 MB.
//
// Prints one JSON line per npm package that went into the bundles (from esbuild's metafile:
// name, version, path), which scripts/image/build.sh turns into the CycloneDX SBOM.
//
// Usage: node scripts/image/bundle.mjs <out-dir>
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Modules started as worker threads or child processes by URL relative to their own
 * module (`new URL('./<name>.js', import.meta.url)`): each becomes an entry of that name at
 * the top of lib/js/, beside every chunk that could be the one asking for it.
 */
const URL_LOADED_MODULES = {
  'sqlite-writer-thread': 'packages/audit/src/sqlite-writer-thread.ts',
  'verify-worker': 'packages/audit/src/verify-worker.ts',
  'detector-child': 'agents/detector/src/agent/detector-child.ts',
};

/** Native addons stay packages of their own; these are copied with what they `require`. */
const NATIVE = {
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: null,
  'file-uri-to-path': null,
};

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** The agent implementation workspaces: every package under agents/ that exports `agent`. */
function agentWorkspaces() {
  return readdirSync(join(root, 'agents'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, 'agents', e.name, 'package.json')))
    .map((e) => {
      const dir = join(root, 'agents', e.name);
      return { dir, name: readJson(join(dir, 'package.json')).name, short: e.name };
    })
    .filter((w) =>
      /export const agent\b|export \{[^}]*\bagent\b/.test(
        readFileSync(join(w.dir, 'src', 'index.ts'), 'utf8'),
      ),
    );
}

/** `<dir>/node_modules/<name>`, then each parent's, as Node looks packages up. */
function packageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) throw new Error(`${name} is not installed (npm ci)`);
  }
}

/** The npm package (name, version, directory) that owns `file`, or undefined for our sources. */
function owningPackage(file) {
  const at = file.lastIndexOf(`node_modules${sep}`);
  if (at < 0) return undefined;
  const rest = file.slice(at + 'node_modules'.length + 1).split(sep);
  const name = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  const dir = join(file.slice(0, at), 'node_modules', ...name.split('/'));
  const manifest = readJson(join(dir, 'package.json'));
  return { name: manifest.name, version: manifest.version, path: relative(root, dir) };
}

export async function bundle(out) {
  const app = join(out, 'vigil');
  rmSync(app, { recursive: true, force: true });
  const js = join(app, 'lib', 'js');
  const agents = agentWorkspaces();
  const entryPoints = {
    entry: join(root, 'packages/runtime/src/entry.ts'),
    ...Object.fromEntries(agents.map((a) => [`agent-${a.short}`, join(a.dir, 'src/index.ts')])),
    ...Object.fromEntries(Object.entries(URL_LOADED_MODULES).map(([n, p]) => [n, join(root, p)])),
  };
  const result = await build({
    entryPoints,
    outdir: js,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // Error classes and agents are told apart by name in logs and in `instanceof`-free checks.
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    external: Object.keys(NATIVE),
    chunkNames: 'chunk-[hash]',
    // CommonJS dependencies inside an ES module bundle still call require() and read
    // __dirname; give every output file the real ones.
    banner: {
      js: [
        "import { createRequire as __vigilCreateRequire } from 'node:module';",
        "import { fileURLToPath as __vigilFileURLToPath } from 'node:url';",
        "import { dirname as __vigilDirname } from 'node:path';",
        'const require = __vigilCreateRequire(import.meta.url);',
        'const __filename = __vigilFileURLToPath(import.meta.url);',
        'const __dirname = __vigilDirname(__filename);',
      ].join('\n'),
    },
  });
  for (const a of agents) {
    const stub = join(app, 'node_modules', ...a.name.split('/'));
    mkdirSync(stub, { recursive: true });
    writeFileSync(
      join(stub, 'package.json'),
      `${JSON.stringify({ name: a.name, type: 'module', exports: './index.js' }, null, 2)}\n`,
    );
    const target = relative(stub, join(js, `agent-${a.short}.js`))
      .split(sep)
      .join('/');
    writeFileSync(join(stub, 'index.js'), `export * from '${target}';\n`);
  }
  const packages = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const owner = owningPackage(join(root, input));
    if (owner !== undefined) packages.set(owner.path, owner);
  }
  const sqlite = packageDir('better-sqlite3', join(root, 'packages/audit'));
  for (const [name, parts] of Object.entries(NATIVE)) {
    const from = name === 'better-sqlite3' ? sqlite : packageDir(name, sqlite);
    const to = join(app, 'node_modules', name);
    for (const part of parts ?? readdirSync(from)) {
      if (existsSync(join(from, part)))
        cpSync(join(from, part), join(to, part), { recursive: true });
    }
    const manifest = readJson(join(from, 'package.json'));
    packages.set(name, {
      name: manifest.name,
      version: manifest.version,
      path: relative(root, from),
    });
  }
  cpSync(join(root, 'agents/detector/rules'), join(app, 'rules'), { recursive: true });
  // The console the coordinator serves (apps/console/dist, when built): its code finds it
  // four directories above its own module, which from /vigil/lib/js/ is /apps/console/dist.
  const consoleDist = join(root, 'apps/console/dist');
  if (existsSync(join(consoleDist, 'index.html'))) {
    cpSync(consoleDist, join(out, 'apps/console/dist'), { recursive: true });
  }
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify({ name: 'vigil-agent-image', private: true, type: 'module' }, null, 2)}\n`,
  );
  return [...packages.values()].sort((a, b) => a.path.localeCompare(b.path));
}

if (
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const out = process.argv[2];
  if (out === undefined) {
    process.stderr.write('usage: node scripts/image/bundle.mjs <out-dir>\n');
    process.exit(2);
  }
  for (const p of await bundle(out)) process.stdout.write(`${JSON.stringify(p)}\n`);
}
