import { Worker } from 'node:worker_threads';

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
