/**
 * The detector agent in a process of its own (`detector-child.ts`), for callers that measure
 * what intake costs the detector's resident set without their own heap in the figure
 * (tests, `bench/ingest`), and the one-request client they post bodies with.
 *
 * ```ts
 * const detector = await startDetectorProcess({ stateDir, token, coordinator: 'acknowledges' });
 * const answer = await postNdjson(detector.url, token, body);
 * const { vmHwmKiB } = await detector.stats();
 * detector.kill();
 * ```
 *
 * The model must already be at `<stateDir>/detector/model.json`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { IngestStats } from '../sources/event-source.js';

/**
 * The compiled child, run as `vigil up` runs an agent: plain Node on the transpiled files
 * (`--conditions=vigil-dist`), never under tsx, whose own compiler holds 60–100 MiB and
 * would be counted as the detector's. Reached the same way from `src/agent` and `dist/agent`.
 */
const CHILD = new URL('../../dist/agent/detector-child.js', import.meta.url);
/** The repository's transpile step, run first so the child is today's sources. */
const BUILD_DIST = new URL('../../../../scripts/build-dist.mjs', import.meta.url).href;
/** The V8 flags vigil up gives every agent (DEFAULT_AGENT_V8_FLAGS of @vigil/supervisor). */
const AGENT_V8_FLAGS = ['--conditions=vigil-dist', '--max-semi-space-size=1'];

export interface DetectorProcessOptions {
  readonly stateDir: string;
  /** The ingest bearer token the process accepts. */
  readonly token: string;
  /** `stalled`: the coordinator never acknowledges a finding, so the findings outbox fills. */
  readonly coordinator: 'acknowledges' | 'stalled';
  /** Detector settings merged over `{ http: { port: 0, tokenEnv } }`. */
  readonly settings?: Record<string, unknown>;
  /**
   * V8 old-space limit, MiB. Default 144: what `vigil up` gives the detector for its
   * `memory: 192Mi` (the supervisor's heap fraction 0.75), so the collector works under
   * the same ceiling as in production.
   */
  readonly heapMiB?: number;
}

/** Read from the process's `/proc/self/status` and its agent. */
export interface DetectorProcessStats {
  /** Peak resident set since the process started. */
  readonly vmHwmKiB: number;
  readonly vmRssKiB: number;
  readonly counters: Record<string, IngestStats>;
}

export interface DetectorProcess {
  readonly url: string;
  stats(): Promise<DetectorProcessStats>;
  kill(): void;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null): void =>
      reject(new Error(`detector process exited ${code ?? signal}`));
    child.once('exit', onExit);
    child.once('message', (m) => {
      child.off('exit', onExit);
      resolve(m as T);
    });
  });
}

/** Starts the process; resolves once its HTTP intake listens. */
export async function startDetectorProcess(
  options: DetectorProcessOptions,
): Promise<DetectorProcess> {
  const { buildDist } = (await import(BUILD_DIST)) as {
    buildDist: (o: { quiet: boolean }) => Promise<void>;
  };
  await buildDist({ quiet: true });
  const child = fork(
    CHILD,
    [
      options.stateDir,
      options.coordinator,
      ...(options.settings === undefined ? [] : [JSON.stringify(options.settings)]),
    ],
    {
      env: { ...process.env, VIGIL_CHILD_INGEST_TOKEN: options.token },
      execArgv: [...AGENT_V8_FLAGS, `--max-old-space-size=${options.heapMiB ?? 144}`],
    },
  );
  try {
    const { url } = await nextMessage<{ url: string }>(child);
    return {
      url,
      stats() {
        const answer = nextMessage<DetectorProcessStats>(child);
        child.send('stats');
        return answer;
      },
      kill: () => void child.kill('SIGKILL'),
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** One `POST` of an NDJSON body with a bearer token; the answer's status, headers and JSON. */
export function postNdjson(
  url: string,
  token: string,
  body: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
