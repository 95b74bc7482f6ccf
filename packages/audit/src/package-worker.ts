import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
// Types only: esbuild is loaded at run time from tsx's own copy, and only when running the
// TypeScript sources (a development setup); the compiled dist/ never loads it.
// eslint-disable-next-line import-x/no-extraneous-dependencies
import type * as Esbuild from 'esbuild';

/**
 * Starts a worker thread running module `name` of this package (`verify-worker`,
 * `sqlite-writer-thread`), from the TypeScript sources under tsx or from the compiled
 * `dist/` alike.
 */
export function startPackageWorker(name: string, workerData: unknown): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Running from the TypeScript sources under tsx: on Node 20 a worker thread does not
    // inherit tsx's module hooks, so the worker registers them before loading its module.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL(`./${name}.ts`, self).href;
    return new Worker(
      `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, workerData },
    );
  }
  return new Worker(new URL(`./${name}.js`, self), { workerData });
}

/**
 * {@link startPackageWorker} for a thread whose start counts (verification). Under tsx the
 * module and the workspace code it imports are first bundled into one JavaScript module
 * (once per process, by the esbuild that tsx runs on; packages from `node_modules` stay
 * imports, by absolute URL) and the thread runs it without tsx: registering tsx's hooks in
 * a thread, and loading every module through them, cost 0.5–0.7 s of CPU per thread
 * against 0.12–0.16 s for the bundle (measured at load ~8 on the 2-core machine).
 */
export async function startBundledPackageWorker(
  name: string,
  workerData: unknown,
): Promise<Worker> {
  if (!import.meta.url.endsWith('.ts')) return startPackageWorker(name, workerData);
  let code = bundles.get(name);
  if (code === undefined) {
    code = bundle(name);
    bundles.set(name, code);
  }
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(await code)}`), {
    workerData,
    // The bundle needs no loader: a preload such as `--import tsx` would only slow the start.
    execArgv: withoutPreloads(process.execArgv),
  });
}

const bundles = new Map<string, Promise<string>>();

async function bundle(name: string): Promise<string> {
  const tsx = fileURLToPath(import.meta.resolve('tsx/esm/api'));
  const esbuild = createRequire(tsx)('esbuild') as typeof Esbuild;
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'packages-by-url',
        setup(build) {
          build.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.pluginData === 'resolving' || args.path.startsWith('node:')) return undefined;
            const found = await build.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              pluginData: 'resolving',
            });
            // Workspace packages resolve to their sources (bundled); installed ones stay imports.
            return found.path.includes('/node_modules/')
              ? { path: pathToFileURL(found.path).href, external: true }
              : found;
          });
        },
      },
    ],
  });
  return out.outputFiles[0]!.text;
}

/** `argv` without the modules it preloads (`--import`, `--require`, `--loader`). */
function withoutPreloads(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(arg)) i++;
    else if (!/^--(import|require|loader|experimental-loader)=/.test(arg)) out.push(arg);
  }
  return out;
}
