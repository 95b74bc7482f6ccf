import { relative } from 'node:path';
import { POLICY_ERROR_CODES, PolicyError } from './errors.js';
import { runOpa } from './opa.js';

interface Range {
  start: { row: number };
  end: { row: number };
}

interface OpaTestResult {
  location?: { file?: string; row?: number };
  package?: string;
  name?: string;
  fail?: boolean;
  error?: { message?: string } | unknown;
  skip?: boolean;
}

/** Coverage of one policy file (test files are not counted). */
export interface FileCoverage {
  readonly path: string;
  readonly percent: number;
  /** Lines evaluation reached (a rule's head line: the rule produced a value). */
  readonly coveredLines: readonly number[];
  readonly notCoveredLines: readonly number[];
}

/** The outcome of `opa test` with coverage over a policy directory. */
export interface PolicyTestReport {
  readonly passed: number;
  readonly failed: number;
  readonly failures: readonly {
    readonly name: string;
    readonly location: string;
    readonly message: string;
  }[];
  /**
   * Line coverage over the policy's own files (`*_test.rego` excluded), 0–100; 0 with
   * no `files` when a test failed (opa reports coverage only for a passing run).
   */
  readonly coveragePercent: number;
  readonly files: readonly FileCoverage[];
}

function rows(ranges: Range[] | undefined): Set<number> {
  const out = new Set<number>();
  for (const r of ranges ?? [])
    for (let row = r.start.row; row <= r.end.row; row += 1) out.add(row);
  return out;
}

/**
 * Runs the Rego unit tests of `dir` (`opa test`) and its line coverage
 * (`opa test --coverage`). Coverage counts the policy's lines only: a line is covered
 * when evaluation reached it and not-covered when it holds an expression never
 * evaluated, as OPA reports them; test files are excluded. Throws
 * `VIGIL_POLICY_OPA_UNAVAILABLE` when opa cannot run and `VIGIL_POLICY_BUILD_FAILED`
 * when the policy does not compile.
 */
export async function runPolicyTests(
  dir: string,
  options: { opaBin?: string } = {},
): Promise<PolicyTestReport> {
  const results = await runOpa(['test', '--format', 'json', dir], { opaBin: options.opaBin });
  let parsed: OpaTestResult[];
  try {
    parsed = JSON.parse(results.stdout) as OpaTestResult[];
  } catch {
    throw new PolicyError(
      POLICY_ERROR_CODES.BUILD_FAILED,
      `opa test failed: ${(results.stderr.trim() || results.stdout.trim()).slice(0, 4000)}`,
    );
  }
  const failures = parsed
    .filter((r) => r.fail === true || r.error !== undefined)
    .map((r) => ({
      name: `${r.package ?? ''}.${r.name ?? ''}`,
      location: `${relative(process.cwd(), r.location?.file ?? '')}:${r.location?.row ?? 0}`,
      message:
        typeof r.error === 'object' && r.error !== null && 'message' in r.error
          ? String((r.error as { message?: unknown }).message)
          : 'failed',
    }));
  const coverage = await runOpa(['test', '--coverage', '--format', 'json', dir], {
    opaBin: options.opaBin,
  });
  let report: { files?: Record<string, { covered?: Range[]; not_covered?: Range[] }> };
  try {
    report = JSON.parse(coverage.stdout) as typeof report;
  } catch {
    // opa prints no coverage report when a test fails; the failures say why.
    if (failures.length === 0) {
      throw new PolicyError(
        POLICY_ERROR_CODES.BUILD_FAILED,
        `opa test --coverage failed: ${coverage.stderr.trim().slice(0, 4000)}`,
      );
    }
    report = {};
  }
  let covered = 0;
  let total = 0;
  const files: FileCoverage[] = [];
  for (const [path, file] of Object.entries(report.files ?? {}).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    if (path.endsWith('_test.rego')) continue;
    const notCovered = rows(file.not_covered);
    const hit = [...rows(file.covered)].filter((row) => !notCovered.has(row));
    covered += hit.length;
    total += hit.length + notCovered.size;
    files.push({
      path: relative(process.cwd(), path),
      percent:
        hit.length + notCovered.size === 0
          ? 100
          : (100 * hit.length) / (hit.length + notCovered.size),
      coveredLines: hit.sort((a, b) => a - b),
      notCoveredLines: [...notCovered].sort((a, b) => a - b),
    });
  }
  return {
    passed: parsed.length - failures.length,
    failed: failures.length,
    failures,
    coveragePercent: total === 0 ? 0 : (100 * covered) / total,
    files,
  };
}
