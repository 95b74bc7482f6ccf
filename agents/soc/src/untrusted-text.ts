/**
 * Text a language model wrote (or an attacker put in an event) is untrusted wherever it
 * goes next: the analysis, the audit trail's intent, every notification channel. Two
 * steps, used together:
 *
 * - {@link filterUntrustedText} removes content: secret material, runs of the system
 *   prompt, markdown images, links and bare URLs to hosts outside the allow-list, HTML.
 * - {@link neutraliseMarkdown} makes what is left render literally in a markdown channel.
 */
import { redactSecretText } from './redaction.js';

/** Hosts a link may point at by default: the ATT&CK knowledge base the analyses cite. */
export const DEFAULT_LINK_HOSTS: readonly string[] = ['attack.mitre.org'];

export interface UntrustedTextOptions {
  /** Text the output must not repeat (the model's system prompt): runs of {@link ECHO_WORDS}+ words are cut. */
  readonly forbidden?: readonly string[];
  /** Hosts (and their subdomains) links may point at; default {@link DEFAULT_LINK_HOSTS}. */
  readonly allowedHosts?: readonly string[];
}

/** Words in a row shared with a forbidden text that count as an echo of it (≈ 50 characters). */
export const ECHO_WORDS = 8;
export const ECHO_REMOVED = '[system prompt removed]';
export const LINK_REMOVED = '[link removed]';
export const IMAGE_REMOVED = '[image removed]';

const URL = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.)[^\s<>"'`)\]]+/gi;

function hostOf(url: string): string | undefined {
  try {
    return new globalThis.URL(url.startsWith('www.') ? `https://${url}` : url).hostname;
  } catch {
    return undefined;
  }
}

function allowed(url: string, hosts: readonly string[]): boolean {
  const host = hostOf(url)?.toLowerCase();
  if (!host || !/^https?:|^www\./i.test(url)) return false;
  return hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

const normalise = (word: string) => word.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Cuts every run of ≥ ECHO_WORDS words that also occurs, in that order, in a forbidden text. */
function cutEchoes(text: string, forbidden: readonly string[]): string {
  const shingles = new Set<string>();
  for (const f of forbidden) {
    const words = f.split(/\s+/).map(normalise).filter(Boolean);
    for (let i = 0; i + ECHO_WORDS <= words.length; i++)
      shingles.add(words.slice(i, i + ECHO_WORDS).join(' '));
  }
  if (shingles.size === 0) return text;
  const tokens = [...text.matchAll(/\S+/g)]
    .map((m) => ({ start: m.index, end: m.index + m[0].length, word: normalise(m[0]) }))
    .filter((t) => t.word.length > 0);
  const covered = new Array<boolean>(tokens.length).fill(false);
  for (let i = 0; i + ECHO_WORDS <= tokens.length; i++) {
    const key = tokens
      .slice(i, i + ECHO_WORDS)
      .map((t) => t.word)
      .join(' ');
    if (shingles.has(key)) covered.fill(true, i, i + ECHO_WORDS);
  }
  let out = '';
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    if (!covered[i]) continue;
    let j = i;
    while (j + 1 < tokens.length && covered[j + 1]) j++;
    out += `${text.slice(at, tokens[i]!.start)}${ECHO_REMOVED}`;
    at = tokens[j]!.end;
    i = j;
  }
  return out + text.slice(at);
}

/**
 * Removes from untrusted text: secrets ({@link redactSecretText}), echoes of the
 * forbidden texts, markdown images (always), markdown links and bare URLs whose host is
 * not allowed (an allowed link keeps its URL as plain text), and HTML tags. The result is
 * plain text; it may still contain markdown punctuation — see {@link neutraliseMarkdown}.
 */
export function filterUntrustedText(text: string, options: UntrustedTextOptions = {}): string {
  const hosts = options.allowedHosts ?? DEFAULT_LINK_HOSTS;
  let out = cutEchoes(redactSecretText(text), options.forbidden ?? []);
  // Images fetch on render (a tracking pixel, an exfiltration URL): never kept.
  out = out.replace(/!\[[^\]]*\]\([^)]*\)/g, IMAGE_REMOVED);
  out = out.replace(/<img\b[^>]*>/gi, IMAGE_REMOVED);
  out = out.replace(/\[([^\]]*)\]\(([^)\s]*)[^)]*\)/g, (_m, label: string, url: string) =>
    allowed(url, hosts) ? `${label} (${url})` : `${label} ${LINK_REMOVED}`,
  );
  out = out.replace(/<\/?[a-z][^>]*>/gi, '');
  return out.replace(URL, (url) => (allowed(url, hosts) ? url : LINK_REMOVED));
}

/**
 * Escapes CommonMark syntax with backslashes so a markdown renderer shows the text as
 * written (emphasis, code, strike, links, images, headings, quotes, tables, autolinks);
 * a plain-text reader sees the same words. Slack's mrkdwn has no escapes: see
 * {@link escapeSlackText}.
 */
export function neutraliseMarkdown(text: string): string {
  return text.replace(/([\\`*_~[\]()|!#<>])/g, '\\$1');
}

/**
 * Slack's documented escaping for text in `mrkdwn` (`&`, `<`, `>` as entities), which stops
 * `<url|label>` links and `<!channel>` mentions; emphasis cannot be escaped there, so
 * untrusted text belongs in `plain_text` objects, and this is for the `text` fallback.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
