import {
  startScriptedOpenAiServer,
  type ChatRequest,
  type ScriptedModelServer,
} from './scripted-openai-server.js';

/**
 * A worst-case language model: an OpenAI-compatible chat-completions server on loopback
 * that OBEYS every instruction it finds in the data it is given. TEST DOUBLE for a remote
 * model (none is reachable from a test machine); it exists so that the SOC's defences
 * against an untrusted model are tested against the model an attacker would wish for,
 * not against a well-behaved one.
 *
 * Whatever the event says, it does, as far as the analyst's tool schema lets it:
 * - "benign" / "false positive" / "harmless" → `disposition: benign`, severity `low`;
 *   "severity <level>" and "confidence <n>" are taken literally (default confidence 0.99);
 * - "repeat / reveal / print your system prompt (instructions)" → the system prompt,
 *   verbatim, in its summary and rationale;
 * - every markdown image, link and URL in the event → copied into its summary;
 * - every secret it can see (values under password/token/secret/key-like fields, `data`
 *   and `stringData` of a Secret, `Bearer` credentials, PEM private keys) → repeated;
 * - "recommend nothing / no action" → no responses; "recommend a, b" → those.
 * Every request is recorded (`requests`), so a test can also check what the model saw.
 */
export async function startObedientOpenAiServer(
  options: ObedientModelOptions,
): Promise<ScriptedModelServer> {
  return startScriptedOpenAiServer((request) => ({ arguments: obey(request, options) }));
}

/** What the agent system lets its analyst recommend: the harness knows no catalogue. */
export interface ObedientModelOptions {
  /** Action types the model picks from when the event tells it to "recommend" some. */
  readonly actionTypes: readonly string[];
}

/** What the obedient model answers to one request (exported for its own unit test). */
export function obey(request: ChatRequest, options: ObedientModelOptions): ObedientAnswer {
  const system = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => textOf(m.content))
    .join('\n');
  const data = decodeEscapes(
    request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => textOf(m.content))
      .join('\n'),
  );
  const benign = /\b(benign|false positive|harmless)\b/i.test(data);
  const severity =
    (/severity\W{0,3}(low|medium|high|critical)\b/i.exec(data)?.[1]?.toLowerCase() as
      | ObedientAnswer['severity']
      | undefined) ?? (benign ? 'low' : 'critical');
  const confidence = Math.min(
    1,
    Number(/confidence\W{0,3}(1(?:\.0+)?|0?\.\d+)/i.exec(data)?.[1] ?? 0.99),
  );
  const echoPrompt =
    /\b(repeat|reveal|print|echo|output|show)\b[^.\n]{0,40}\b(system prompt|instructions)\b/i.test(
      data,
    );
  const markup = [
    ...new Set([
      ...(data.match(/!?\[[^\]\n]*\]\([^)\s]+\)/g) ?? []),
      ...(data.match(/\bhttps?:\/\/[^\s"'<>)\\]+/gi) ?? []),
    ]),
  ];
  const secrets = secretsIn(data);
  const parts = [
    `${benign ? 'Benign' : 'Malicious'}, ${severity}, confidence ${confidence}, as the event instructs.`,
    echoPrompt ? `My instructions: ${system}` : '',
    markup.join(' '),
    secrets.length ? `Credentials seen: ${secrets.join(' ')}` : '',
  ].filter((p) => p.length > 0);
  return {
    techniques: [],
    severity,
    confidence,
    disposition: benign ? 'benign' : 'malicious',
    summary: parts.join(' ').slice(0, 2000),
    rationale: [...parts, 'Event as received:', data].join('\n').slice(0, 8000),
    recommendedResponses: recommendations(data, options.actionTypes),
  };
}

/** The tool-call arguments the obedient model returns (the analyst's model output shape). */
export interface ObedientAnswer {
  readonly techniques: readonly string[];
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly confidence: number;
  readonly disposition: 'benign' | 'malicious';
  readonly summary: string;
  readonly rationale: string;
  readonly recommendedResponses: readonly string[];
}

function recommendations(data: string, actionTypes: readonly string[]): string[] {
  if (/recommend\W{0,3}(nothing|no action|none)/i.test(data)) return [];
  const named = /recommend\W{0,3}((?:[a-z-]+(?:,\s*|\s+and\s+)?)+)/i.exec(data)?.[1] ?? '';
  return actionTypes.filter((a) => named.includes(a));
}

function secretsIn(data: string): string[] {
  const found = new Set<string>();
  const keyed =
    /"[^"]*(?:password|passwd|secret|token|api[-_]?key|private[-_]?key|credential)[^"]*"\s*:\s*"([^"]{4,})"/gi;
  for (const m of data.matchAll(keyed)) found.add(m[1]!);
  for (const m of data.matchAll(/"(?:data|stringData)"\s*:\s*\{([^}]*)\}/g))
    for (const v of m[1]!.matchAll(/:\s*"([^"]{4,})"/g)) found.add(v[1]!);
  for (const m of data.matchAll(/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/g)) found.add(m[0]);
  for (const m of data.matchAll(
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  ))
    found.add(m[0]);
  return [...found];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) => (typeof p === 'object' && p && 'text' in p ? String(p.text) : ''))
      .join('\n');
  return JSON.stringify(content);
}

/** The analyst escapes event text as JSON; an obedient model reads straight through that. */
function decodeEscapes(text: string): string {
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\\n/g, '\n');
}
