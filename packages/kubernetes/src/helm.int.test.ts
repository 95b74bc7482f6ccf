import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadAgentSystem, parseAgentSystem, type AgentSystem } from '@vigil/registry';
import { toolBinary } from '@vigil/testkit';
import { parse, parseAllDocuments } from 'yaml';
import { loadRenderInputs } from './inputs.js';
import { renderFiles, writeRenderFiles } from './output.js';
import { renderSystem } from './render.js';

const run = promisify(execFile);
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The declaration at `path`, with identity through csi-driver-spiffe when `csi`. */
async function declaration(path: string, csi: boolean): Promise<AgentSystem> {
  if (!csi) return loadAgentSystem(path);
  const raw = parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>>;
  raw['identity'] = { spiffeIds: 'service-account' };
  raw['kubernetes'] = { ...raw['kubernetes'], certificates: { provider: 'csi-driver-spiffe' } };
  return parseAgentSystem(JSON.stringify(raw), path);
}

for (const [file, csi] of [
  ['vigil.yaml', false],
  ['examples/two-agent/vigil.yaml', false],
  ['examples/two-agent/vigil.yaml', true],
] as const) {
  test(`helm template of the chart of ${file}${csi ? ' with csi-driver-spiffe' : ''} equals the plain render, and helm lint is clean`, async (t) => {
    const path = join(REPOSITORY_ROOT, file);
    const system = await declaration(path, csi);
    const objects = renderSystem(system, await loadRenderInputs(system, path));
    const dir = mkdtempSync(join(tmpdir(), 'vigil-helm-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await writeRenderFiles(
      dir,
      renderFiles(system, objects, 'helm', { image: system.kubernetes.image }),
    );
    const helm = toolBinary('helm');

    const lint = await run(helm, ['lint', '--strict', dir]);
    assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);

    const { stdout } = await run(helm, ['template', system.metadata.name, dir], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const templated = parseAllDocuments(stdout)
      .map((d) => d.toJS() as unknown)
      .filter((d) => d !== null && d !== undefined);
    // Helm orders documents by its own kind order; the golden property is the same objects.
    const key = (o: unknown) => {
      const k = o as { kind?: string; metadata?: { namespace?: string; name?: string } };
      return `${k.kind}/${k.metadata?.namespace ?? ''}/${k.metadata?.name}`;
    };
    const byKey = (list: unknown[]) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    assert.deepEqual(byKey(templated), byKey(JSON.parse(JSON.stringify(objects)) as unknown[]));

    // The image is a value: overriding it changes the agents' containers and nothing else.
    const other = await run(
      helm,
      ['template', system.metadata.name, dir, '--set', 'image=registry.invalid/vigil@sha256:abc'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const images = parseAllDocuments(other.stdout)
      .map(
        (d) =>
          d.toJS() as {
            kind?: string;
            spec?: { template?: { spec?: { containers?: { image: string }[] } } };
          },
      )
      .filter((d) => d?.kind === 'Deployment')
      .flatMap((d) => d.spec?.template?.spec?.containers?.map((c) => c.image) ?? []);
    assert.equal(
      images.length,
      system.agents.length + (objects.some((o) => o.metadata?.name === 'opa') ? 1 : 0),
    );
    assert.ok(
      images.filter((i) => i === 'registry.invalid/vigil@sha256:abc').length ===
        system.agents.length,
    );
  });
}
