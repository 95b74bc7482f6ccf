import type { Command } from 'commander';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  KUBERNETES_ERROR_CODES,
  KubernetesError,
  RENDER_FORMATS,
  applyObjects,
  createKubeApiClient,
  diffObjects,
  loadRenderInputs,
  renderFiles,
  renderMermaid,
  renderSystem,
  writeRenderFiles,
  type RenderFormat,
} from '@vigil/kubernetes';
import { loadAgentSystem, type AgentSystem } from '@vigil/registry';
import { UsageError, globalOptions, print, type GlobalOptions } from '../context.js';
import { agentImageReference } from './agent-image.js';
import { downRender, playRender } from './k8s-play.js';

const LOCAL_IMAGE_HELP =
  'the agent image scripts/image/build.sh built here, pinned by its digest (instead of --image)';

/** `--image REF`, or with `--local-image` the local build as `name:tag@sha256:…`. */
function imageOf(opts: { image?: string; localImage?: boolean }): string | undefined {
  if (opts.localImage !== true) return opts.image;
  if (opts.image !== undefined)
    throw new UsageError('--image and --local-image exclude each other');
  return agentImageReference(undefined);
}

interface RenderedSystem {
  readonly system: AgentSystem;
  readonly objects: KubernetesObject[];
  readonly image: string;
}

async function renderFromDeclaration(
  options: GlobalOptions,
  image: string | undefined,
): Promise<RenderedSystem> {
  const system = await loadAgentSystem(options.config);
  const inputs = await loadRenderInputs(
    system,
    options.config,
    image === undefined ? {} : { image },
  );
  return {
    system,
    objects: renderSystem(system, inputs),
    image: image ?? system.kubernetes.image,
  };
}

function formatOf(value: string): RenderFormat {
  if (!(RENDER_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--format: "${value}" is not one of ${RENDER_FORMATS.join(', ')}`);
  }
  return value as RenderFormat;
}

function countByKind(objects: readonly KubernetesObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.kind ?? '?'] = (counts[o.kind ?? '?'] ?? 0) + 1;
  return counts;
}

interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  image?: string;
  localImage?: boolean;
}

function clusterOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--image <ref>', 'agent image (default: kubernetes.image of the declaration)')
    .option('--local-image', LOCAL_IMAGE_HELP);
}

/** `vigil k8s render | diff | apply`: the declaration as Kubernetes manifests (docs/kubernetes.md). */
export function registerK8sCommand(program: Command): void {
  const k8s = program
    .command('k8s')
    .description('Kubernetes: render the system as manifests, diff and apply them');

  k8s
    .command('render')
    .description(
      'write the manifests (Namespace, RBAC, Deployments, certificates, NetworkPolicies, …)',
    )
    .option('-o, --output <dir>', 'output directory (required unless --graph)')
    .option('--format <format>', `${RENDER_FORMATS.join(' | ')}`, 'yaml')
    .option('--image <ref>', 'agent image (default: kubernetes.image of the declaration)')
    .option('--local-image', LOCAL_IMAGE_HELP)
    .option('--graph', 'print the who-may-call-whom graph as Mermaid (the NetworkPolicies’ graph)')
    .action(
      async (
        opts: {
          output?: string;
          format: string;
          image?: string;
          localImage?: boolean;
          graph?: boolean;
        },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const format = formatOf(opts.format);
        if (opts.output === undefined && opts.graph !== true) {
          throw new UsageError('k8s render: -o/--output <dir> is required (or --graph)');
        }
        const { system, objects, image } = await renderFromDeclaration(options, imageOf(opts));
        const graph = opts.graph === true ? renderMermaid(system) : undefined;
        const written =
          opts.output === undefined
            ? []
            : await writeRenderFiles(opts.output, renderFiles(system, objects, format, { image }));
        print(
          options,
          () =>
            [
              ...(opts.output === undefined
                ? []
                : [
                    `${objects.length} objects (${Object.entries(countByKind(objects))
                      .map(([k, n]) => `${n} ${k}`)
                      .join(', ')}) → ${opts.output} (${format}, ${written.length} files)`,
                  ]),
              ...(graph === undefined ? [] : [graph.trimEnd()]),
            ].join('\n'),
          {
            format,
            output: opts.output ?? null,
            files: written,
            objects: countByKind(objects),
            ...(graph === undefined ? {} : { graph }),
          },
        );
      },
    );

  clusterOptions(
    k8s
      .command('diff')
      .description('what apply would change: server-side dry-run apply against the cluster'),
  ).action(async (opts: ClusterOptions, cmd: Command) => {
    const options = globalOptions(cmd);
    const { objects } = await renderFromDeclaration(options, imageOf(opts));
    const client = createKubeApiClient(opts);
    const diffs = await diffObjects(client, objects);
    const changed = diffs.filter((d) => d.change !== 'unchanged');
    print(
      options,
      () =>
        changed.length === 0
          ? `no changes (${diffs.length} objects on ${client.server})`
          : changed
              .map((d) =>
                [
                  `${d.change === 'create' ? '+' : '~'} ${d.object}`,
                  ...d.fields.map(
                    (f) =>
                      `    ${f.path}: ${JSON.stringify(f.before) ?? '(none)'} → ${JSON.stringify(f.after) ?? '(none)'}`,
                  ),
                ].join('\n'),
              )
              .join('\n'),
      { server: client.server, diffs },
    );
    // kubectl habit: exit 1 when there are differences.
    if (changed.length > 0) {
      throw new KubernetesError(
        KUBERNETES_ERROR_CODES.differences,
        `${changed.length} of ${diffs.length} objects differ from ${client.server}`,
      );
    }
  });

  clusterOptions(
    k8s
      .command('apply')
      .description('server-side apply of the render (field manager vigil)')
      .option('--dry-run', 'server-side dry run: validate and admit, persist nothing'),
  ).action(async (opts: ClusterOptions & { dryRun?: boolean }, cmd: Command) => {
    const options = globalOptions(cmd);
    const { objects } = await renderFromDeclaration(options, imageOf(opts));
    const client = createKubeApiClient(opts);
    const applied = await applyObjects(client, objects, { dryRun: opts.dryRun === true });
    print(
      options,
      () =>
        `${applied.length} objects applied to ${client.server}${opts.dryRun === true ? ' (dry run)' : ''} (${Object.entries(
          countByKind(objects),
        )
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')})`,
      { server: client.server, dryRun: opts.dryRun === true, objects: countByKind(objects) },
    );
  });

  k8s
    .command('play')
    .description(
      'run the render on this machine with podman kube play (certificates from the local CA); --down removes it',
    )
    .option('--image <ref>', 'agent image (default: the one scripts/image/build.sh built here)')
    .option(
      '--network <name>',
      'an existing podman network (default: one made for the state directory)',
    )
    .option(
      '--file <path>',
      "a file of the declaration's directory to mount beside it (repeatable; e.g. an inventory)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--env <name>',
      'an environment variable of this shell every container gets (repeatable; the secrets the declaration names by variable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--timeout <seconds>', 'how long to wait for every pod to be ready', '240')
    .option('--down', 'remove the pods, secrets, volumes and network the play made')
    .action(
      async (
        opts: {
          image?: string;
          network?: string;
          file: string[];
          env: string[];
          timeout: string;
          down?: boolean;
        },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        if (opts.down === true) {
          const removed = await downRender(options);
          print(
            options,
            () =>
              removed === undefined
                ? `nothing played from ${options.stateDir}`
                : `removed ${removed.pods.length} pods, ${removed.secrets.length} secrets, ${removed.volumes.length} volumes${removed.ownedNetwork ? ` and network ${removed.network}` : ''}`,
            removed ?? null,
          );
          return;
        }
        const seconds = Number(opts.timeout);
        if (!Number.isFinite(seconds) || seconds <= 0)
          throw new UsageError(`--timeout: "${opts.timeout}" is not a number of seconds`);
        const { network, pods, plan } = await playRender(options, {
          ...(opts.image === undefined ? {} : { image: opts.image }),
          ...(opts.network === undefined ? {} : { network: opts.network }),
          files: opts.file,
          env: opts.env,
          readyTimeoutMs: seconds * 1000,
        });
        print(
          options,
          () =>
            [
              `${pods.length} pods ready on podman network ${network}:`,
              ...pods.map(
                (p) =>
                  `  ${p.pod.padEnd(24)} ${p.address.padEnd(15)} ${p.aliases.filter((a) => a.endsWith('.svc')).join(' ')}`,
              ),
              `not played: ${plan.skipped.map((s) => `${s.kind}/${s.name}`).join(', ')}`,
              '`vigil k8s play --down` removes it',
            ].join('\n'),
          { network, pods, skipped: plan.skipped },
        );
      },
    );
}
