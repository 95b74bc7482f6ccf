import { z } from 'zod';
import { defineSkill } from '@vigil/core';

/**
 * The credit-memo network's data and skill contracts, defined once and used by every
 * agent: each skill is `defineSkill({ id, input, output })` (`CREDIT_SKILLS`), the runtime
 * validates the input at the callee and `callPeer` the answer at the caller.
 */

/** The data sources a collector may be granted (`permissions.tools: [source:<name>]`). */
export const SOURCES = ['financials', 'market', 'news', 'exposure', 'collateral', 'kyc'] as const;
export type SourceName = (typeof SOURCES)[number];

const id = z.string().min(1).max(200);
const borrowerId = z.string().regex(/^b-[0-9]{3}$/, 'a borrower id looks like b-001');
const memoId = z
  .string()
  .regex(/^memo-[a-z0-9-]{1,80}$/, 'a memo id looks like memo-<borrower>-<n>');

/** One fact read from a source: `<source>:<borrower>:<path>`, with its value and digest. */
export const sourceEntrySchema = z.strictObject({
  id,
  source: z.enum(SOURCES),
  borrowerId,
  path: z.string().min(1),
  value: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  asOf: z.string().min(1),
  /** `sha256:` digest of `{id, value, asOf}`: a figure cites the exact fact it used. */
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** Who read it (agent SPIFFE ID). */
  readBy: z.string().min(1),
});
export type SourceEntry = z.infer<typeof sourceEntrySchema>;

export const UNITS = ['x', '%', 'bps', 'SGD', 'pctile', 'grade', 'score', 'count'] as const;

/** A computed figure: what it is, its value, the formula, and what it was computed from. */
export const figureSchema = z.strictObject({
  /** Stable id, e.g. `leverage.debt-to-ebitda.FY2025`. */
  id,
  label: z.string().min(1),
  value: z.number(),
  unit: z.enum(UNITS),
  formula: z.string().min(1),
  /** Ids of source entries or of other figures this one was computed from. */
  inputs: z.array(id).min(1),
  /** The agent that computed it (SPIFFE ID). */
  producedBy: z.string().min(1),
  /** Optional qualitative result (a covenant's pass/breach, a grade's letter). */
  note: z.string().optional(),
});
export type Figure = z.infer<typeof figureSchema>;

export const collectInputSchema = z.strictObject({ memoId, borrowerId, source: z.enum(SOURCES) });
export const collectOutputSchema = z.strictObject({ entries: z.array(sourceEntrySchema) });

/** Input of every analyst: the memo, the entries and figures it may use. */
export const analyseInputSchema = z.strictObject({
  memoId,
  borrowerId,
  entries: z.array(sourceEntrySchema),
  figures: z.array(figureSchema).default([]),
});
export type AnalyseInput = z.infer<typeof analyseInputSchema>;
export const analyseOutputSchema = z.strictObject({ figures: z.array(figureSchema) });

export const paragraphSchema = z.strictObject({
  /** Rendered text; every number in it is the value of one of `figureRefs`. */
  text: z.string().min(1),
  figureRefs: z.array(id),
});
export const sectionSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z-]*$/),
  title: z.string().min(1),
  paragraphs: z.array(paragraphSchema).min(1),
});
export type Section = z.infer<typeof sectionSchema>;

export const memoDraftSchema = z.strictObject({
  memoId,
  borrowerId,
  borrowerName: z.string().min(1),
  sections: z.array(sectionSchema).min(1),
  draftedBy: z.string().min(1),
  /** `offline-template` (deterministic) or the model that wrote the prose. */
  writer: z.string().min(1),
});
export type MemoDraft = z.infer<typeof memoDraftSchema>;

export const draftInputSchema = z.strictObject({
  memoId,
  borrowerId,
  borrowerName: z.string().min(1),
  entries: z.array(sourceEntrySchema),
  figures: z.array(figureSchema),
});

export const reviewInputSchema = z.strictObject({
  memoId,
  borrowerId,
  section: sectionSchema,
  entries: z.array(sourceEntrySchema),
  figures: z.array(figureSchema),
});
export const sectionReviewSchema = z.strictObject({
  section: z.string(),
  passed: z.boolean(),
  problems: z.array(z.string()),
  reviewedBy: z.string().min(1),
});
export type SectionReview = z.infer<typeof sectionReviewSchema>;

export const complianceInputSchema = z.strictObject({
  memoId,
  draft: memoDraftSchema,
  entries: z.array(sourceEntrySchema),
  figures: z.array(figureSchema),
});
export const complianceResultSchema = z.strictObject({
  passed: z.boolean(),
  checks: z.array(z.strictObject({ id: z.string(), passed: z.boolean(), detail: z.string() })),
  /** Figures that do not trace back to a source entry (the trace policy's answer). */
  untracedFigures: z.array(id),
  checkedBy: z.string().min(1),
});
export type ComplianceResult = z.infer<typeof complianceResultSchema>;

/** The memo as a relationship manager approves it; its digest is what the approval binds. */
export const memoSchema = z.strictObject({
  memoId,
  borrowerId,
  borrowerName: z.string(),
  sections: z.array(sectionSchema),
  figures: z.array(figureSchema),
  /** The source entries the figures cite, by id and digest. */
  sources: z.array(z.strictObject({ id, digest: z.string(), readBy: z.string() })),
  reviews: z.array(sectionReviewSchema),
  compliance: complianceResultSchema,
  draftedBy: z.string(),
  writer: z.string(),
});
export type Memo = z.infer<typeof memoSchema>;

export const draftMemoInputSchema = z.strictObject({ borrowerId });
export const releaseInputSchema = z.strictObject({
  memo: memoSchema,
  memoDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  /** The relationship manager's signed approval (compact JWS) bound to the release action. */
  approval: z.string().min(1),
});
export const releaseOutputSchema = z.strictObject({
  released: z.boolean(),
  memoId,
  memoDigest: z.string(),
  approver: z.string(),
  path: z.string(),
  reasons: z.array(z.string()),
});

/** What `draft-memo` answers: the memo awaiting approval, in brief. */
export const draftMemoOutputSchema = z.strictObject({
  memoId,
  memoDigest: z.string(),
  approvalId: z.string(),
  status: z.literal('awaiting-approval'),
  borrowerName: z.string(),
  figures: z.number().int().min(0),
  sources: z.number().int().min(0),
  grade: z.number().nullable(),
  reviewsPassed: z.number().int().min(0),
  reviews: z.number().int().min(0),
  compliancePassed: z.boolean(),
  blockers: z.array(z.string()),
  durationMs: z.number().min(0),
});

/** The network's skills, one per job. */
export const CREDIT_SKILLS = Object.freeze({
  collect: defineSkill({ id: 'collect', input: collectInputSchema, output: collectOutputSchema }),
  analyse: defineSkill({ id: 'analyse', input: analyseInputSchema, output: analyseOutputSchema }),
  draft: defineSkill({ id: 'draft-memo-text', input: draftInputSchema, output: memoDraftSchema }),
  reviewSection: defineSkill({
    id: 'review-section',
    input: reviewInputSchema,
    output: sectionReviewSchema,
  }),
  checkCompliance: defineSkill({
    id: 'check-compliance',
    input: complianceInputSchema,
    output: complianceResultSchema,
  }),
  draftMemo: defineSkill({
    id: 'draft-memo',
    input: draftMemoInputSchema,
    output: draftMemoOutputSchema,
  }),
  release: defineSkill({
    id: 'release-memo',
    input: releaseInputSchema,
    output: releaseOutputSchema,
  }),
});

/** The action a relationship manager approves: release exactly the memo with this digest. */
export function releaseAction(memo: Pick<Memo, 'memoId' | 'borrowerId'>, memoDigest: string) {
  return {
    type: 'release-credit-memo',
    target: { kind: 'CreditMemo', name: memo.memoId, borrower: memo.borrowerId },
    parameters: { memoDigest },
  };
}
