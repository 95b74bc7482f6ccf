/**
 * The report as one self-contained HTML document: inline CSS and SVG charts, no script
 * that runs, no external resource (it prints the same offline, and Chromium turns it into
 * the PDF). The evidence pack it was rendered from is embedded as JSON for machines.
 */
import { renderComplianceTable, SIGNALS } from '@vigil/audit';
import type { ClauseMapping, Framework } from './clauses.js';
import type { EvidencePack, PolicyRevision } from './evidence.js';

/** What the document shows besides the evidence. */
export interface RenderInput {
  readonly pack: EvidencePack;
  readonly clauses: readonly ClauseMapping[];
  readonly charts: {
    readonly trend: string;
    readonly verdicts: string;
    readonly leastAgency: string;
    readonly waits: string | null;
  };
  /** The identity that signs the report and its certificate's SHA-256 fingerprint. */
  readonly signer: { readonly spiffeId: string; readonly fingerprint: string };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const e = escapeHtml;
const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? 'n/a' : `${(x * 100).toFixed(1)} %`;

function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string) {
  if (rows.length === 0) return `<p class="empty">${e(empty)}</p>`;
  return `<table><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const list = (items: readonly string[]): string =>
  items.length === 0 ? '—' : items.map((i) => e(i)).join('<br>');
const mono = (s: string): string => `<code>${e(s)}</code>`;

function summary(input: RenderInput): string {
  const { pack, clauses } = input;
  const v = pack.audit.verification;
  const covered = clauses.filter((c) => c.status === 'covered').length;
  const cell = (label: string, value: string, cls = '') =>
    `<div class="kpi ${cls}"><div class="v">${value}</div><div class="l">${e(label)}</div></div>`;
  return `<div class="kpis">
${cell('audit trail', v.ok ? 'verified' : 'FAILED', v.ok ? 'ok' : 'bad')}
${cell('entries in period', String(pack.metrics.entries))}
${cell('incidents', String(pack.incidents.length))}
${cell('escalations', String(pack.escalations.length))}
${cell('denials / mutations', `${pack.interventions.filter((i) => i.decision === 'deny').length} / ${pack.interventions.filter((i) => i.decision === 'mutate').length}`)}
${cell('clauses covered', `${covered} / ${clauses.length}`)}
</div>`;
}

function metricsSection(input: RenderInput): string {
  const m = input.pack.metrics;
  const agents = m.fiveSignal.agents.map((a) => [
    e(a.agent),
    ...SIGNALS.map((s) => (a.signals[s] ? 'yes' : '<span class="no">no</span>')),
    a.all ? '<b>yes</b>' : '<span class="no">no</span>',
  ]);
  return `<h2>1. Compliance metrics</h2>
<p>Formulas in docs/audit.md; the numbers are those <code>vigil metrics</code> computes on the same trail and window.</p>
<div class="metric-row">
<div><b>Least agency ratio</b> (autonomous ÷ granted, lower is better): ${m.leastAgency.map((l) => `${e(l.agentClass)} ${pct(l.ratio)}`).join(' · ')}</div>
<div><b>Five-signal coverage</b>: ${m.fiveSignal.covered}/${m.fiveSignal.total} = ${pct(m.fiveSignal.coverage)}</div>
<div><b>Step mutation intervention rate</b>: ${m.mutation.mutate} mutated of ${m.mutation.flagged} flagged = ${pct(m.mutation.rate)} (${m.mutation.deny} denied, ${m.mutation.escalate} escalated)</div>
</div>
<figure>${input.charts.trend}</figure>
<figure>${input.charts.verdicts}</figure>
<figure>${input.charts.leastAgency}</figure>
${table(
  ['class', 'agents', 'granted', 'autonomous', 'ratio', 'used', 'used %'],
  m.leastAgency.map((l) => [
    e(l.agentClass),
    e(l.agents.join(', ')),
    String(l.granted),
    String(l.autonomous),
    pct(l.ratio),
    String(l.used),
    pct(l.usedShare),
  ]),
  'no agent declared',
)}
${table(['agent', ...SIGNALS, 'all five'], agents, 'no agent declared')}
<details open><summary>As <code>vigil metrics</code> prints it</summary><pre>${e(renderComplianceTable(m))}</pre></details>`;
}

function oversightSection(input: RenderInput): string {
  const { pack } = input;
  return `<h2>2. Escalations and approvals</h2>
<p>Every action the policy sent to a human: who decided, when, why, and how long the action waited.</p>
${input.charts.waits === null ? '' : `<figure>${input.charts.waits}</figure>`}
${table(
  ['approval', 'action', 'why escalated', 'decision', 'waited'],
  pack.escalations.map((x) => [
    `${mono(x.approvalId)}<br><small>requested ${e(x.requestedAt ?? 'before the trail')}</small>`,
    e(x.action),
    `${list(x.reasons)}<br><small>${e(x.rules.join(', '))}</small>`,
    `<span class="st ${x.status}">${e(x.status)}${x.edited ? ' (edited)' : ''}</span>${
      x.decidedBy === null
        ? ''
        : `<br>by ${e(x.decidedBy)}<br><small>${e(x.decidedAt ?? '')}</small><br>“${e(x.comment ?? '')}”`
    }`,
    duration(x.waitedMs),
  ]),
  'No action was escalated to a human in this period.',
)}
<h2>3. Denials and mutations</h2>
${table(
  ['when', 'decision', 'proposed', 'executed instead', 'why', 'revision'],
  pack.interventions.map((i) => [
    `${e(i.time)}<br>${mono(i.incidentId ?? '—')}`,
    `<span class="st ${i.decision}">${e(i.decision)}</span>`,
    e(i.proposed),
    e(i.replacement ?? '—'),
    `${list(i.reasons)}<br><small>${e(i.rules.join(', '))}</small>`,
    mono((i.revision ?? '—').slice(0, 19)),
  ]),
  'No action was denied or rewritten in this period.',
)}
<h2>4. Incidents</h2>
${table(
  [
    'incident',
    'first',
    'last',
    'severity',
    'techniques',
    'verdicts',
    'executed',
    'escalated',
    'entries',
  ],
  pack.incidents.map((i) => [
    mono(i.id),
    e(i.firstAt),
    e(i.lastAt),
    e(i.severity ?? '—'),
    e(i.techniques.join(', ') || '—'),
    e(
      Object.entries(i.verdicts)
        .map(([d, c]) => `${c} ${d}`)
        .join(', ') || '—',
    ),
    String(i.executed),
    String(i.escalations),
    String(i.entries),
  ]),
  'No incident in this period.',
)}`;
}

function revisionTests(r: PolicyRevision): string {
  if (r.current) return 'the bundle on disk — tested below';
  const h = r.history;
  if (h === null)
    return '<span class="bad">not on disk and not in the git history of the bundle: tests not re-run</span>';
  const at = `git ${mono(h.commit.slice(0, 12))} (${e(h.committedAt)})`;
  if (h.tests === null)
    return `${at}: <span class="bad">tests could not run: ${e(h.testError ?? '')}</span>`;
  const outcome = `${h.tests.passed} passed, ${h.tests.failed} failed`;
  return `${at}: <b>opa test</b> ${h.tests.failed === 0 ? outcome : `<span class="bad">${outcome}</span>`}`;
}

function policySection(input: RenderInput): string {
  const { policy } = input.pack;
  const t = policy.bundle.tests;
  return `<h2>5. Policy bundle revisions in force</h2>
${table(
  ['revision', 'loaded by the reviewer', 'verdicts in period', 'source and tests'],
  policy.revisions.map((r) => [
    mono(r.revision),
    list(r.loadedAt),
    String(r.verdicts),
    revisionTests(r),
  ]),
  'No policy revision was loaded or decided in this period.',
)}
<p>Bundle on disk: ${mono(policy.bundle.dir)}, revision ${mono(policy.bundle.revision)}.</p>
${
  t === null
    ? `<p class="bad">The bundle's tests could not run: ${e(policy.bundle.testError ?? '')}</p>`
    : `<p><b>opa test</b>: ${t.passed} passed, ${t.failed} failed; line coverage ${t.coveragePercent.toFixed(1)} % of the policy files.</p>
${table(
  ['failing test', 'where', 'message'],
  t.failures.map((f) => [e(f.name), mono(f.location), e(f.message)]),
  'Every test passed.',
)}
${table(
  ['policy file', 'line coverage'],
  t.files.map((f) => [mono(f.path), `${f.percent.toFixed(1)} %`]),
  'No coverage reported.',
)}`
}`;
}

function registrySection(input: RenderInput): string {
  const { registry, certificates } = input.pack;
  const certOf = new Map(certificates.map((c) => [c.agent, c]));
  const esc = registry.policy.escalation;
  return `<h2>6. Registry snapshot</h2>
<p>System ${e(registry.name)} (namespace ${e(registry.namespace)}, trust domain ${e(registry.trustDomain)}), declared in ${mono(registry.source ?? '—')}.
Escalation: confidence below ${e(esc.confidenceThreshold)}, blast radius above ${e(JSON.stringify(esc.maxBlastRadius))}, always escalate ${e(JSON.stringify(esc.alwaysEscalate))}; a failing evaluation: ${e(registry.policy.failClosed)}. Model: ${e(registry.model.provider)}${registry.model.model === undefined ? '' : ` ${e(registry.model.model)}`}.</p>
${table(
  ['agent', 'identity', 'certificate', 'skills', 'may call', 'permissions', 'runs without review'],
  registry.agents.map((a) => {
    const c = certOf.get(a.name);
    return [
      `<b>${e(a.name)}</b><br><small>${e(a.role)} · ${a.replicas} replica(s)</small>`,
      mono(a.spiffeId),
      c?.fingerprintSha256 == null
        ? '<span class="no">none in the state directory</span>'
        : `${mono(c.fingerprintSha256.slice(0, 23))}…<br><small>valid until ${e(c.notAfter ?? '')}</small>`,
      e(a.skills.map((s) => s.id).join(', ') || '—'),
      e(a.calls.join(', ') || '—'),
      `${a.permissions.rules.map((r) => e(`${r.verbs.join(',')} ${r.resources.join(',')} (${r.apiGroups.map((g) => g || 'core').join(',')})`)).join('<br>') || '—'}${a.permissions.tools.length === 0 ? '' : `<br><small>tools: ${e(a.permissions.tools.join(', '))}</small>`}`,
      e(a.autonomy.autoExecute.join(', ') || 'nothing'),
    ];
  }),
  'No agent declared.',
)}`;
}

function auditSection(input: RenderInput): string {
  const v = input.pack.audit.verification;
  return `<h2>7. Audit verification</h2>
<p class="${v.ok ? 'ok' : 'bad'}"><b>${v.ok ? 'OK' : 'FAILED'}</b>: ${v.entries} entries in ${v.chains.length} chains, ${v.checkpoints} checkpoints and ${v.anchors} anchors verified against the local CA (the whole log, as <code>vigil audit verify</code> does).
${v.firstProblem === undefined ? '' : `First problem: ${e(v.firstProblem.code)} — ${e(v.firstProblem.message)}`}</p>
${table(
  ['chain', 'entries', 'positions', 'signed through', 'unsigned tail', 'closed'],
  v.chains.map((c) => [
    mono(c.chain),
    String(c.entries),
    c.from === null ? '—' : `${c.from}..${c.to}`,
    String(c.signedThrough),
    String(c.unsignedTail),
    c.closed ? 'yes' : 'no',
  ]),
  'The store holds no chain.',
)}
<h3>Signed checkpoint heads</h3>
${table(
  ['chain and signer', 'position', 'head hash', 'time', 'signature (ES256, by the signer)'],
  input.pack.audit.heads.map((h) => [
    `${mono(h.chain)}<br><small>signed by ${e(h.signer)}</small>`,
    `${h.chainSeq}${h.final ? ' (final)' : ''}`,
    mono(h.headHash),
    e(h.time),
    `<code class="sig">${e(h.signature)}</code>`,
  ]),
  'No checkpoint was signed.',
)}`;
}

function evaluationSection(input: RenderInput): string {
  const ev = input.pack.evaluation;
  if (ev === null)
    return `<h2>8. Evaluation</h2>
<p class="empty">No <code>vigil eval</code> run was given to this report (<code>--eval</code>): its accuracy figures are not evidenced here.</p>`;
  return `<h2>8. Evaluation</h2>
<p><code>vigil eval</code> at ${e(ev.evaluatedAt)} on the labelled scenario ${mono(ev.scenario)} (SHA-256 ${mono(ev.scenarioSha256)}); result file ${mono(ev.file)} (SHA-256 ${mono(ev.sha256)}).</p>
${table(
  [
    'analyst',
    'attack events',
    'recall',
    'precision',
    'verdicts correct',
    'unsafe actions',
    'time to decision p50 / p95',
    'thresholds',
  ],
  ev.analysts.map((a) => [
    e(a.analyst + (a.model === null ? '' : ` (${a.model})`)),
    String(a.attackEvents),
    pct(a.recall),
    pct(a.precision),
    pct(a.verdictCorrectness),
    a.unsafeActions === 0 ? '0' : `<span class="bad">${a.unsafeActions}</span>`,
    `${duration(a.timeToDecisionP50Ms)} / ${duration(a.timeToDecisionP95Ms)}`,
    a.thresholds.failed.length === 0
      ? `${a.thresholds.passed} met`
      : `<span class="bad">failed: ${e(a.thresholds.failed.join(', '))}</span>`,
  ]),
  'The evaluation has no run.',
)}
${ev.analysts
  .map(
    (a) => `<h3>Per technique — ${e(a.analyst)} analyst</h3>
${table(
  ['technique', 'labelled events', 'recall', 'precision'],
  a.techniques.map((t) => [mono(t.technique), String(t.events), pct(t.recall), pct(t.precision)]),
  'No technique was labelled.',
)}`,
  )
  .join('\n')}`;
}

const FRAMEWORKS: readonly Framework[] = ['EU AI Act', 'NIST AI RMF 1.0', 'OWASP ASI 2026'];

function clauseSection(input: RenderInput): string {
  return `<h2>9. Clause mapping</h2>
<p>For each clause: the Vigil control that addresses it and the evidence from this period, or <b>not covered</b> and why. Clause titles paraphrase Regulation (EU) 2024/1689, NIST AI 100-1 and the OWASP Top 10 for Agentic Applications (2026).</p>
${FRAMEWORKS.map(
  (f) => `<h3>${e(f)}</h3>
${table(
  ['clause', 'Vigil control', 'status', 'evidence from this period'],
  input.clauses
    .filter((c) => c.framework === f)
    .map((c) => [
      `<b>${e(c.id)}</b><br><small>${e(c.title)}</small>`,
      e(c.control ?? '—'),
      `<span class="st ${c.status === 'covered' ? 'covered' : 'notcovered'}">${e(c.status)}</span>`,
      c.status === 'covered' ? list(c.evidence) : e(c.reason ?? ''),
    ]),
  'No clause.',
)}`,
).join('\n')}`;
}

function appendix(input: RenderInput): string {
  const entries = Object.entries(input.pack.traces);
  return `<h2>Appendix: decision chains</h2>
<p>Each incident as <code>vigil trace &lt;incident&gt;</code> rebuilds it from the audit store.</p>
${entries.length === 0 ? '<p class="empty">No incident in this period.</p>' : entries.map(([id, tree]) => `<h3>${e(id)}</h3><pre class="trace">${e(tree)}</pre>`).join('\n')}`;
}

const CSS = `
@page { size: A4; margin: 14mm 12mm; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 9.5pt; color: #1b2631; margin: 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; border-bottom: 1px solid #aab7b8; padding-bottom: 1mm; margin-top: 7mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 2mm; break-after: avoid; }
.meta { color: #566573; margin-bottom: 4mm; }
.kpis { display: flex; flex-wrap: wrap; gap: 3mm; margin: 4mm 0; }
.kpi { border: 1px solid #d5d8dc; border-radius: 2mm; padding: 2mm 4mm; min-width: 28mm; }
.kpi .v { font-size: 15pt; font-weight: bold; }
.kpi .l { color: #566573; font-size: 8.5pt; }
.kpi.ok .v, p.ok b { color: #1e8449; } .kpi.bad .v, .bad { color: #b03a2e; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; font-size: 8.5pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #d5d8dc; padding: 1mm 1.5mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eaf2f8; white-space: nowrap; }
code { font-family: 'DejaVu Sans Mono', monospace; font-size: 8pt; overflow-wrap: anywhere; }
code.sig { font-size: 6.5pt; }
pre { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; white-space: pre-wrap; overflow-wrap: anywhere; background: #f8f9f9; padding: 2mm; border: 1px solid #e5e8e8; }
figure { margin: 2mm 0; break-inside: avoid; } figure svg { max-width: 100%; height: auto; }
.st { font-weight: bold; white-space: nowrap; } .st.approved, .st.covered { color: #1e8449; } .st.rejected, .st.deny, .st.notcovered { color: #b03a2e; }
.st.pending, .st.escalate { color: #b9770e; } .st.mutate { color: #1f618d; } .st.expired { color: #616a6b; }
.no { color: #b03a2e; } .empty { color: #566573; font-style: italic; }
.metric-row div { margin: 1mm 0; }
details summary { cursor: default; color: #566573; }
`;

/** The whole report as an HTML document (UTF-8). */
export function renderReportHtml(input: RenderInput): string {
  const { pack } = input;
  const title = `Compliance evidence pack — ${pack.system.name}`;
  // `<` is escaped inside the JSON so the embedded data can never close its script element.
  const evidenceJson = JSON.stringify({ pack, clauses: input.clauses }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>${e(title)}</title>
<meta name="generator" content="vigil compliance report">
<style>${CSS}</style></head>
<body>
<h1>${e(title)}</h1>
<div class="meta">Period ${e(pack.period.from)} to ${e(pack.period.to)} · generated ${e(pack.generatedAt)} · trust domain ${e(pack.system.trustDomain)}<br>
Signed by ${mono(input.signer.spiffeId)} (certificate SHA-256 ${mono(input.signer.fingerprint)}); check with <code>vigil compliance verify &lt;this file&gt;</code>.</div>
${summary(input)}
${metricsSection(input)}
${oversightSection(input)}
${policySection(input)}
${registrySection(input)}
${auditSection(input)}
${evaluationSection(input)}
${clauseSection(input)}
${appendix(input)}
<script type="application/json" id="vigil-evidence">${evidenceJson}</script>
</body></html>
`;
}
