import { Agent, request } from 'node:http';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';
import { assertEntrypoint, bundleRevision, loadPolicySource, type PolicySource } from './bundle.js';
import { EvaluationTimeout, GuardedPolicyEngine, type EngineOptions } from './guarded-engine.js';
import { DEFAULT_DATA_PATH, type OpaEngineOptions } from './wasm-engine.js';
import type { ValidatedPolicyInput } from './types.js';

interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/**
 * The OPA server backend: decisions from a running `opa run --server` through OPA's REST
 * Data API (`POST /v1/data/<entrypoint>`), over plain HTTP with keep-alive connections.
 * On Kubernetes this is the OPA sidecar; in tests, `startOpaServer()` from
 * `@vigil/testkit`.
 *
 * `create` loads the same Rego modules and data the wasm backend uses into the server
 * (`PUT /v1/policies/<id>`, `PUT /v1/data/<dataPath>`), so both backends report the same
 * bundle revision for the same sources and data. The server must serve no other
 * policies under the same package.
 */
export class OpaServerPolicyEngine extends GuardedPolicyEngine {
  readonly backend = 'opa-server';
  private readonly url: URL;
  private readonly agent: Agent;
  private readonly decisionPath: string;
  private closed = false;

  private constructor(
    url: URL,
    entrypoint: string,
    revision: string,
    agent: Agent,
    options: EngineOptions,
  ) {
    super(revision, options);
    this.url = url;
    this.agent = agent;
    this.decisionPath = `/v1/data/${entrypoint}`;
  }

  /**
   * Pushes the policy modules of `bundleDir` and `data` to the server at `url`. Throws
   * `VIGIL_POLICY_CONFIG` for a bad URL or bundle, `VIGIL_POLICY_LOAD_FAILED` when the
   * server refuses the policy or cannot be reached.
   */
  static async create(options: OpaEngineOptions & { url: string }): Promise<OpaServerPolicyEngine> {
    assertEntrypoint(options.entrypoint);
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (cause) {
      throw new PolicyError(
        POLICY_ERROR_CODES.CONFIG,
        `OPA server URL ${JSON.stringify(options.url)} is not a URL`,
        { cause },
      );
    }
    if (url.protocol !== 'http:') {
      throw new PolicyError(
        POLICY_ERROR_CODES.CONFIG,
        `OPA server URL must be http:// (loopback or sidecar), not ${url.protocol}`,
      );
    }
    const source = await loadPolicySource(options.bundleDir);
    const dataPath = options.dataPath ?? DEFAULT_DATA_PATH;
    assertEntrypoint(dataPath);
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const engine = new OpaServerPolicyEngine(
      url,
      options.entrypoint,
      bundleRevision(source, options.entrypoint, options.data),
      agent,
      options,
    );
    try {
      await engine.push(source, dataPath, options.data);
    } catch (error) {
      agent.destroy();
      throw error;
    }
    return engine;
  }

  /**
   * Loads the modules and data. OPA compiles every uploaded module against those already
   * loaded, so a module that uses a rule of a module not yet uploaded is refused; modules
   * are therefore uploaded in rounds until all are accepted (or a round makes no
   * progress, e.g. a genuine compile error, which is reported). Modules under `vigil/`
   * that are no longer in the source are then deleted.
   */
  private async push(
    source: PolicySource,
    dataPath: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    const call = async (
      method: string,
      path: string,
      body: string,
      contentType: string,
    ): Promise<HttpResult> => {
      try {
        return await this.send(method, path, body, contentType, 10_000);
      } catch (cause) {
        throw new PolicyError(
          POLICY_ERROR_CODES.LOAD_FAILED,
          `cannot reach the OPA server at ${this.url.origin}`,
          { cause },
        );
      }
    };
    const refused = (method: string, path: string, result: HttpResult): PolicyError =>
      new PolicyError(
        POLICY_ERROR_CODES.LOAD_FAILED,
        `the OPA server refused ${method} ${path} (HTTP ${result.status}): ${result.body.slice(0, 2000)}`,
      );
    // Data first: modules may refer to it, and it never fails to compile.
    const dataResult = await call(
      'PUT',
      `/v1/data/${dataPath}`,
      JSON.stringify(data),
      'application/json',
    );
    if (dataResult.status < 200 || dataResult.status >= 300)
      throw refused('PUT', `/v1/data/${dataPath}`, dataResult);
    let pending = Object.entries(source.modules);
    while (pending.length > 0) {
      const failed: [string, string][] = [];
      let lastFailure: PolicyError | undefined;
      for (const [rel, text] of pending) {
        const path = `/v1/policies/vigil/${rel}`;
        const result = await call('PUT', path, text, 'text/plain');
        if (result.status < 200 || result.status >= 300) {
          failed.push([rel, text]);
          lastFailure = refused('PUT', path, result);
        }
      }
      if (failed.length === pending.length) throw lastFailure as PolicyError;
      pending = failed;
    }
    const listing = await call('GET', '/v1/policies', '', 'application/json');
    if (listing.status === 200) {
      const ids = ((JSON.parse(listing.body) as { result?: { id?: string }[] }).result ?? []).map(
        (p) => p.id ?? '',
      );
      const wanted = new Set(Object.keys(source.modules).map((rel) => `vigil/${rel}`));
      for (const id of ids.filter((id) => id.startsWith('vigil/') && !wanted.has(id))) {
        const result = await call('DELETE', `/v1/policies/${id}`, '', 'application/json');
        if (result.status !== 200) throw refused('DELETE', `/v1/policies/${id}`, result);
      }
    }
  }

  protected async evaluateRaw(input: ValidatedPolicyInput): Promise<unknown> {
    if (this.closed) throw new PolicyError(POLICY_ERROR_CODES.ENGINE_ERROR, 'engine is closed');
    const body = JSON.stringify({ input });
    let result: HttpResult;
    try {
      result = await this.send('POST', this.decisionPath, body, 'application/json', this.timeoutMs);
    } catch (error) {
      // A keep-alive connection the server closed while idle fails on reuse; a decision
      // is a pure read, so it is safe to send once more on a fresh connection.
      const code = (error as { code?: unknown }).code;
      if (code !== 'ECONNRESET' && code !== 'EPIPE') throw error;
      result = await this.send('POST', this.decisionPath, body, 'application/json', this.timeoutMs);
    }
    if (result.status !== 200) {
      let code = '';
      try {
        code = String((JSON.parse(result.body) as { code?: unknown }).code ?? '');
      } catch {
        // Not JSON: report the status only.
      }
      throw new Error(
        `OPA server answered HTTP ${result.status}${code === '' ? '' : ` (${code})`}`,
      );
    }
    return (JSON.parse(result.body) as { result?: unknown }).result;
  }

  private send(
    method: string,
    path: string,
    body: string,
    contentType: string,
    timeoutMs: number,
  ): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      const req = request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        },
      );
      const timer = setTimeout(() => req.destroy(new EvaluationTimeout(timeoutMs)), timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }

  /** Closes the keep-alive connections; later evaluations fail closed. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}
