/**
 * Writes a render to disk in one of three layouts, all from the same object list:
 *
 * - `yaml`: one file per kind, numbered in install order (`00-namespace.yaml`, …), so
 *   `kubectl apply -f DIR` creates what must exist first first;
 * - `kustomize`: the same files plus a `kustomization.yaml` listing them;
 * - `helm`: a chart whose templates are the same documents, with the agent image and pull
 *   policy as values defaulting to what was rendered — `helm template` with default
 *   values gives back exactly the plain render.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AgentSystem } from '@vigil/registry';
import { stringify } from 'yaml';
import { KIND_ORDER } from './render.js';

/** The layouts `vigil k8s render --format` writes. */
export const RENDER_FORMATS = ['yaml', 'helm', 'kustomize'] as const;
/** One of {@link RENDER_FORMATS}. */
export type RenderFormat = (typeof RENDER_FORMATS)[number];

/** One YAML document, deterministic (no line folding, keys in insertion order). */
export function toYamlDocument(object: unknown): string {
  return stringify(object, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A multi-document YAML stream of `objects`, in the given order. */
export function toYamlStream(objects: readonly KubernetesObject[]): string {
  return objects.map((o) => `---\n${toYamlDocument(o)}`).join('');
}

/** File name → its objects, one file per kind, numbered in install order. */
export function filesByKind(objects: readonly KubernetesObject[]): Map<string, KubernetesObject[]> {
  const files = new Map<string, KubernetesObject[]>();
  for (const o of objects) {
    const kind = o.kind ?? 'Object';
    const rank = KIND_ORDER.indexOf(kind);
    const prefix = String(rank === -1 ? KIND_ORDER.length : rank).padStart(2, '0');
    const name = `${prefix}-${kind.toLowerCase()}.yaml`;
    const list = files.get(name) ?? [];
    list.push(o);
    files.set(name, list);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Placeholder the Helm layout swaps for `.Values` references; cannot occur in a declaration's image. */
const IMAGE_TOKEN = '__VIGIL_HELM_IMAGE__';
const PULL_TOKEN = '__VIGIL_HELM_PULL_POLICY__';

/** Go templates start an action at every `{{`: literal ones (in Rego, in the declaration) are escaped. */
function escapeTemplate(text: string): string {
  return text.split('{{').join('{{ "{{" }}');
}

function helmTemplate(objects: readonly KubernetesObject[], image: string, pull: string): string {
  const marked = objects.map((o) => {
    if (o.kind !== 'Deployment' || o.metadata?.labels?.['vigil.dev/agent'] === undefined) return o;
    const copy = JSON.parse(JSON.stringify(o)) as {
      spec: { template: { spec: { containers: { image?: string; imagePullPolicy?: string }[] } } };
    };
    for (const c of copy.spec.template.spec.containers) {
      if (c.image === image) c.image = IMAGE_TOKEN;
      if (c.imagePullPolicy === pull) c.imagePullPolicy = PULL_TOKEN;
    }
    return copy as unknown as KubernetesObject;
  });
  return escapeTemplate(toYamlStream(marked))
    .split(IMAGE_TOKEN)
    .join('{{ .Values.image | quote }}')
    .split(PULL_TOKEN)
    .join('{{ .Values.imagePullPolicy | quote }}');
}

/** The files of a render in `format`, path (relative to the output directory) → text. */
export function renderFiles(
  system: AgentSystem,
  objects: readonly KubernetesObject[],
  format: RenderFormat,
  options: { image: string; version?: string },
): Map<string, string> {
  const byKind = filesByKind(objects);
  const out = new Map<string, string>();
  if (format === 'helm') {
    const pull = system.kubernetes.imagePullPolicy;
    const version = options.version ?? '0.1.0';
    out.set(
      'Chart.yaml',
      toYamlDocument({
        apiVersion: 'v2',
        name: system.metadata.name,
        description: `The ${system.metadata.name} agent system, rendered by vigil k8s render from its declaration.`,
        type: 'application',
        version,
        appVersion: version,
      }),
    );
    out.set(
      'values.yaml',
      `# Defaults are what the declaration rendered; \`helm template\` with them equals the plain render.\n${toYamlDocument({ image: options.image, imagePullPolicy: pull })}`,
    );
    for (const [name, list] of byKind)
      out.set(`templates/${name}`, helmTemplate(list, options.image, pull));
    return out;
  }
  for (const [name, list] of byKind) out.set(name, toYamlStream(list));
  if (format === 'kustomize') {
    out.set(
      'kustomization.yaml',
      toYamlDocument({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [...byKind.keys()],
      }),
    );
  }
  return out;
}

/** Writes {@link renderFiles} under `dir` (created); returns the paths written, relative to `dir`. */
export async function writeRenderFiles(
  dir: string,
  files: ReadonlyMap<string, string>,
): Promise<string[]> {
  for (const [path, text] of files) {
    const target = join(dir, path);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, text);
  }
  return [...files.keys()];
}
