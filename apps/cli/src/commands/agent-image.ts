import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VigilError } from '@vigil/core';
import { REPO_ROOT } from '@vigil/policy';

/** What scripts/image/build.sh records about the image it built (`.tools/image/image.json`). */
export interface AgentImageRecord {
  /** `localhost/vigil-agent:<version>` (or `VIGIL_IMAGE` at build time). */
  readonly image: string;
  /** The manifest digest, `sha256:…`. */
  readonly digest: string;
  readonly id: string;
  readonly sizeBytes: number;
  readonly buildSeconds: number;
}

/** The image build (cached on its inputs: a no-op when nothing changed). */
export const AGENT_IMAGE_BUILD = join(REPO_ROOT, 'scripts', 'image', 'build.sh');

/**
 * Brings the locally built agent image up to date with the sources, as `vigil up`
 * transpiles them for processes: scripts/image/build.sh rebuilds only when an input
 * changed (about 25 s), else returns at once. Resolves with what the build printed.
 *
 * @throws VigilError `VIGIL_IMAGE_BUILD_FAILED` with the build's output.
 */
export async function ensureAgentImage(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(AGENT_IMAGE_BUILD, [], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (cause) {
    const e = cause as { stdout?: string; stderr?: string; message: string };
    throw new VigilError(
      'VIGIL_IMAGE_BUILD_FAILED',
      `${AGENT_IMAGE_BUILD} failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message}`,
      { cause },
    );
  }
}

/** `<repo>/.tools/image/image.json`. */
export const AGENT_IMAGE_RECORD = join(REPO_ROOT, '.tools', 'image', 'image.json');

/** The record of the locally built image, or undefined when none was built here. */
export function readAgentImageRecord(path = AGENT_IMAGE_RECORD): AgentImageRecord | undefined {
  let parsed: Partial<AgentImageRecord>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<AgentImageRecord>;
  } catch {
    return undefined;
  }
  if (typeof parsed.image !== 'string' || typeof parsed.digest !== 'string') return undefined;
  if (!/^sha256:[0-9a-f]{64}$/.test(parsed.digest)) return undefined;
  return parsed as AgentImageRecord;
}

/**
 * The agent image reference to run or render: `flag` when given (a reference with or
 * without a digest), else the locally built image pinned by its digest
 * (`localhost/vigil-agent:0.1.0@sha256:…`).
 *
 * @throws VigilError `VIGIL_IMAGE_NOT_BUILT` when no flag is given and no image was built.
 */
export function agentImageReference(flag: string | undefined, path = AGENT_IMAGE_RECORD): string {
  if (flag !== undefined) return flag;
  const record = readAgentImageRecord(path);
  if (record === undefined) {
    throw new VigilError(
      'VIGIL_IMAGE_NOT_BUILT',
      `no agent image is built here (${path} is missing): run scripts/image/build.sh, or pass --image`,
    );
  }
  return pinned(record.image, record.digest);
}

/** `name:tag` + digest → `name:tag@digest`; a reference already pinned keeps its digest. */
export function pinned(reference: string, digest: string): string {
  return reference.includes('@') ? reference : `${reference}@${digest}`;
}
