import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { VigilError } from '@vigil/core';
import { DECISIONS } from '@vigil/policy';

/** A technique id such as `T1496` or `T1059.004`. */
const technique = z
  .string()
  .regex(/^T\d{4}(\.\d{3})?$/, 'an ATT&CK technique id such as T1059.004');

const scenarioLine = z.strictObject({
  kind: z.literal('scenario'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** The estate's inventory for the dry-run executor, relative to the labelled file. */
  inventory: z.string().min(1).optional(),
});

const eventLine = z.strictObject({
  kind: z.literal('event'),
  /** The raw event exactly as a shipper sends it (any format the detector ingests). */
  event: z.record(z.string(), z.unknown()),
  /** The injected attack this event belongs to; null (or absent) for normal traffic. */
  attack: z.string().min(1).nullable().default(null),
  /** The ATT&CK technique of this step of the attack. */
  technique: technique.nullable().default(null),
});

const expectedVerdict = z.strictObject({
  /** The proposed action's type, e.g. `isolate-pod`. */
  action: z.string().min(1),
  decision: z.enum(DECISIONS),
});

const expectLine = z.strictObject({
  kind: z.literal('expect'),
  attack: z.string().min(1),
  /** Verdicts the attack's incidents must carry; `[]`: no action may be proposed at all. */
  verdicts: z.array(expectedVerdict),
  /** Why this is the right outcome (kept in the report). */
  because: z.string().optional(),
});

const labelledLine = z.discriminatedUnion('kind', [scenarioLine, eventLine, expectLine]);

export type ExpectedVerdict = z.infer<typeof expectedVerdict>;
export type LabelledEvent = z.infer<typeof eventLine>;
export type Expectation = z.infer<typeof expectLine>;

/** A labelled scenario: events with ground truth, and the verdicts each attack should get. */
export interface LabelledScenario {
  readonly name: string;
  readonly description?: string | undefined;
  /** Absolute path of the inventory, when the scenario brings one. */
  readonly inventory?: string | undefined;
  readonly events: readonly LabelledEvent[];
  readonly expectations: ReadonlyMap<string, Expectation>;
}

/**
 * Parses a labelled scenario (docs/eval.md, "The labelled format"). Every problem is
 * reported together, each with its line and field path; an attack labelled on events
 * without an `expect` line, an `expect` for an attack no event carries, a technique
 * without an attack and a second `scenario` line are errors too.
 */
export function parseLabelledScenario(text: string, path: string): LabelledScenario {
  const problems: string[] = [];
  let header: z.infer<typeof scenarioLine> | undefined;
  const events: LabelledEvent[] = [];
  const expectations = new Map<string, Expectation>();
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (cause) {
      problems.push(`line ${line}: not JSON (${(cause as Error).message})`);
      return;
    }
    const parsed = labelledLine.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`line ${line}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
      return;
    }
    const entry = parsed.data;
    if (entry.kind === 'scenario') {
      if (header !== undefined) problems.push(`line ${line}: a second scenario line`);
      header = entry;
    } else if (entry.kind === 'event') {
      if (entry.technique !== null && entry.attack === null)
        problems.push(`line ${line}: technique ${entry.technique} on an event with no attack`);
      events.push(entry);
    } else {
      if (expectations.has(entry.attack))
        problems.push(`line ${line}: a second expect line for attack ${entry.attack}`);
      expectations.set(entry.attack, entry);
    }
  });
  const attacks = new Set(events.flatMap((e) => (e.attack === null ? [] : [e.attack])));
  for (const attack of attacks)
    if (!expectations.has(attack)) problems.push(`attack ${attack} has no expect line`);
  for (const attack of expectations.keys())
    if (!attacks.has(attack))
      problems.push(`expect line for attack ${attack}, which no event carries`);
  if (events.length === 0) problems.push('no event lines');
  if (problems.length > 0)
    throw new VigilError(
      'VIGIL_USAGE',
      `${path} is not a labelled scenario:\n  ${problems.slice(0, 50).join('\n  ')}${problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''}`,
    );
  return {
    name: header?.name ?? path,
    description: header?.description,
    inventory:
      header?.inventory === undefined ? undefined : resolve(dirname(path), header.inventory),
    events,
    expectations,
  };
}

/** Reads and parses a labelled scenario file. */
export async function readLabelledScenario(path: string): Promise<LabelledScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new VigilError('VIGIL_USAGE', `cannot read ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseLabelledScenario(text, path);
}

/** One line of the format, for writers of labelled files (the scenario generator). */
export type LabelledLine = z.input<typeof labelledLine>;
