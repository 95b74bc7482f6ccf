import { resolve } from 'node:path';
import type { PolicySource } from './bundle.js';
import type { PolicyTestReport } from './policy-tests.js';

/**
 * One rule of a policy bundle, as the verdicts name it (`rules: ["deny.vigil-namespace"]`),
 * with what its tests show of it.
 */
export interface PolicyRule {
  /** The key it adds to its set (`deny["deny.vigil-namespace"] := … if { … }`). */
  readonly id: string;
  /** The set it belongs to (`deny`, `escalate`, `mutation` …). */
  readonly set: string;
  /** Bundle-relative file and 1-based line of its first definition. */
  readonly file: string;
  readonly line: number;
  /** Definitions (one rule id may have several bodies, each adding the same key). */
  readonly definitions: number;
  /** The comment lines right above the first definition, without `#`; empty when none. */
  readonly description: string;
  /** Test rules (`test_*`) whose body names the id: the tests that assert it fires or not. */
  readonly testedBy: readonly string[];
  /**
   * From `opa test --coverage`: definitions whose head line evaluation reached (the rule
   * produced its key in some test), and the lines of its bodies never evaluated.
   * Null when the tests did not run or failed (opa reports coverage only for a passing run).
   */
  readonly coverage: {
    readonly firedDefinitions: number;
    readonly notCoveredLines: readonly number[];
  } | null;
}

/** `<set>["<id>"]` at the start of a line: a partial set/object rule adding a fixed key. */
const RULE_HEAD = /^([A-Za-z_][A-Za-z0-9_]*)\["([^"\\]+)"\]/;
const TEST_HEAD = /^(test_[A-Za-z0-9_]+)\b/;

/** The 1-based lines a top-level definition starting at `start` spans (to its closing `}`). */
function extentOf(lines: readonly string[], start: number): { from: number; to: number } {
  const head = lines[start - 1] ?? '';
  if (!/\{\s*$/.test(head)) return { from: start, to: start };
  for (let i = start; i < lines.length; i++)
    if (/^\}/.test(lines[i] ?? '')) return { from: start, to: i + 1 };
  return { from: start, to: lines.length };
}

function commentAbove(lines: readonly string[], start: number): string {
  const out: string[] = [];
  for (let i = start - 2; i >= 0 && /^\s*#/.test(lines[i] ?? ''); i--)
    out.unshift((lines[i] ?? '').replace(/^\s*#\s?/, ''));
  return out.join(' ').trim();
}

/** Each test rule's name and the text of its body, from the test modules. */
function testBodies(tests: Readonly<Record<string, string>>): { name: string; body: string }[] {
  const out: { name: string; body: string }[] = [];
  for (const text of Object.values(tests)) {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const m = TEST_HEAD.exec(line);
      if (m === null) return;
      const { from, to } = extentOf(lines, i + 1);
      out.push({ name: m[1]!, body: lines.slice(from - 1, to).join('\n') });
    });
  }
  return out;
}

/**
 * The rules of a bundle with their tests and coverage: every top-level definition of the
 * form `<set>["<id>"]` in `source`'s modules, grouped by id, joined with the test rules
 * that name the id and with the line coverage of `report` (`runPolicyTests` over the same
 * directory). Sorted by id.
 */
export function describePolicyRules(
  source: PolicySource,
  tests: Readonly<Record<string, string>>,
  report: PolicyTestReport | null,
): PolicyRule[] {
  const bodies = testBodies(tests);
  const passing = report !== null && report.failed === 0;
  const coverageOf = new Map(
    (report?.files ?? []).map((f) => [
      resolve(f.path),
      { covered: new Set(f.coveredLines), notCovered: new Set(f.notCoveredLines) },
    ]),
  );
  const rules = new Map<
    string,
    {
      set: string;
      file: string;
      line: number;
      definitions: number;
      description: string;
      fired: number;
      notCovered: number[];
    }
  >();
  for (const [file, text] of Object.entries(source.modules)) {
    const lines = text.split('\n');
    const coverage = coverageOf.get(resolve(source.dir, file));
    lines.forEach((line, i) => {
      const m = RULE_HEAD.exec(line);
      if (m === null) return;
      const [, set, id] = m as unknown as [string, string, string];
      const { from, to } = extentOf(lines, i + 1);
      const rule = rules.get(id) ?? {
        set,
        file,
        line: i + 1,
        definitions: 0,
        description: commentAbove(lines, i + 1),
        fired: 0,
        notCovered: [],
      };
      rule.definitions += 1;
      if (coverage?.covered.has(i + 1)) rule.fired += 1;
      for (let row = from; row <= to; row++)
        if (coverage?.notCovered.has(row)) rule.notCovered.push(row);
      rules.set(id, rule);
    });
  }
  return [...rules.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, r]) => ({
      id,
      set: r.set,
      file: r.file,
      line: r.line,
      definitions: r.definitions,
      description: r.description,
      testedBy: bodies.filter((t) => t.body.includes(`"${id}"`)).map((t) => t.name),
      coverage: passing ? { firedDefinitions: r.fired, notCoveredLines: r.notCovered } : null,
    }));
}
