import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { bearerTokenFromEnv, replayToHttp, type ReplayReport } from '@vigil/detector';
import { generateScenario, inventoryYaml, type Scenario } from '@vigil/soc-scenario';
import { parseLabelledScenario, type LabelledLine } from '../eval/labelled.js';
import { UsageError, globalOptions, print } from '../context.js';

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${name} must be a positive integer, got "${value}"`);
  return n;
}

/** `500`, `500/s` → 500 events per second. */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!(n > 0))
    throw new UsageError(`--rate must be events per second such as 500 or 500/s, got "${value}"`);
  return n;
}

/** `<dir>/<name>.eval.ndjson` beside `<dir>/<name>.ndjson`. */
export function evalPathFor(eventsPath: string): string {
  const ext = extname(eventsPath);
  return join(dirname(eventsPath), `${basename(eventsPath, ext)}.eval.ndjson`);
}

/**
 * Writes the labelled scenario of `vigil eval` beside the events: a scenario line, every
 * event with its label, then the expect lines of `expectFile` — checked by the same parser
 * `vigil eval` uses, so an attack without an expectation is refused here.
 */
function writeLabelledScenario(
  eventsPath: string,
  s: Scenario,
  expectFile: string,
  inventoryPath: string | undefined,
): string {
  let expectText: string;
  try {
    expectText = readFileSync(expectFile, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read --expect ${expectFile}: ${(cause as Error).message}`);
  }
  const path = evalPathFor(eventsPath);
  const header: LabelledLine = {
    kind: 'scenario',
    name: basename(path),
    description: `seed ${s.summary.seed}, ${s.summary.events} events, ${s.summary.start} … ${s.summary.end}, ${s.summary.attacks.length} attacks`,
    ...(inventoryPath === undefined ? {} : { inventory: relative(dirname(path), inventoryPath) }),
  };
  const events = s.lines.map((line, i): LabelledLine => {
    const label = s.labels[i];
    return {
      kind: 'event',
      event: JSON.parse(line) as Record<string, unknown>,
      attack: label?.attack ?? null,
      technique: label?.technique ?? null,
    };
  });
  const text = `${[header, ...events].map((l) => JSON.stringify(l)).join('\n')}\n${expectText.trimEnd()}\n`;
  parseLabelledScenario(text, path);
  writeFileSync(path, text);
  return path;
}

/** `<dir>/<name>.labels.ndjson` beside `<dir>/<name>.ndjson`. */
export function labelsPathFor(eventsPath: string): string {
  const ext = extname(eventsPath);
  return join(dirname(eventsPath), `${basename(eventsPath, ext)}.labels.ndjson`);
}

interface GenerateFlags {
  output: string;
  seed: string;
  events: string;
  minutes: string;
  start?: string;
  inventory?: string | false;
  expect?: string;
}

interface ReplayFlags {
  to: string;
  rate?: string;
  loop?: boolean;
  tokenEnv?: string;
  batch: string;
}

async function runReplay(file: string, flags: ReplayFlags, cmd: Command): Promise<void> {
  const options = globalOptions(cmd);
  let url: URL;
  try {
    url = new URL(flags.to);
  } catch {
    throw new UsageError(
      `--to must be a URL such as http://127.0.0.1:7400/v1/events, got "${flags.to}"`,
    );
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/events';
  const token = flags.tokenEnv === undefined ? undefined : bearerTokenFromEnv(flags.tokenEnv);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: ReplayReport;
  try {
    report = await replayToHttp({
      file: resolve(file),
      url: url.toString(),
      ...(token === undefined ? {} : { token }),
      ...(flags.rate === undefined ? {} : { rate: parseRate(flags.rate) }),
      ...(flags.loop === true ? { loop: true } : {}),
      batch: positiveInt('--batch', flags.batch),
      signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const localRejected = report.local.rejected;
  print(
    options,
    () =>
      [
        `sent ${report.sent} events to ${url.toString()} in ${report.requests} requests (${report.retries} retried after back-pressure); detector accepted ${report.accepted}`,
        ...(localRejected > 0
          ? [
              `${localRejected} lines not sent (invalid here): ${JSON.stringify(report.local.rejectedByCode)}`,
            ]
          : []),
        ...report.rejectedByServer.slice(0, 20).map((r) => `  line ${r.line}: ${r.reason}`),
      ].join('\n'),
    report,
  );
}

/** `vigil scenario generate | replay` and the `vigil replay` alias. */
export function registerScenarioCommand(program: Command): void {
  const scenario = program
    .command('scenario')
    .description(
      'demo data: generate a labelled event stream; push a file of events to a detector',
    );
  scenario
    .command('generate')
    .description(
      'write a realistic, labelled NDJSON event stream for a small Kubernetes estate, its labels file and inventory',
    )
    .option(
      '-o, --output <file>',
      'events file (labels go to <name>.labels.ndjson beside it)',
      'scenario.ndjson',
    )
    .option('--seed <n>', 'random seed; the same seed writes the same bytes', '1')
    .option('--events <n>', 'total events, attacks included', '3000')
    .option('--minutes <n>', 'length of the window', '1440')
    .option('--start <time>', 'window start (ISO 8601)', '2026-11-20T00:00:00Z')
    .option(
      '--inventory <file>',
      'inventory YAML of the estate (default: inventory.yaml beside the events)',
    )
    .option('--no-inventory', 'do not write the inventory')
    .option(
      '--expect <file>',
      'expect lines (docs/eval.md); also write <name>.eval.ndjson, the labelled scenario for vigil eval',
    )
    .action((flags: GenerateFlags, cmd: Command) => {
      const options = globalOptions(cmd);
      let s;
      try {
        s = generateScenario({
          seed: Number.isInteger(Number(flags.seed))
            ? Number(flags.seed)
            : (() => {
                throw new UsageError(`--seed must be an integer, got "${flags.seed}"`);
              })(),
          events: positiveInt('--events', flags.events),
          minutes: positiveInt('--minutes', flags.minutes),
          ...(flags.start === undefined ? {} : { start: flags.start }),
        });
      } catch (error) {
        if (error instanceof RangeError) throw new UsageError(error.message);
        throw error;
      }
      const eventsPath = resolve(flags.output);
      const labelsPath = labelsPathFor(eventsPath);
      mkdirSync(dirname(eventsPath), { recursive: true });
      writeFileSync(eventsPath, `${s.lines.join('\n')}\n`);
      writeFileSync(labelsPath, `${s.labels.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const inventoryPath =
        flags.inventory === false
          ? undefined
          : resolve(flags.inventory ?? join(dirname(eventsPath), 'inventory.yaml'));
      if (inventoryPath !== undefined)
        writeFileSync(inventoryPath, inventoryYaml(s.inventory, s.summary));
      const evalPath =
        flags.expect === undefined
          ? undefined
          : writeLabelledScenario(eventsPath, s, resolve(flags.expect), inventoryPath);
      print(
        options,
        () =>
          [
            `wrote ${s.summary.events} events (${s.summary.start} … ${s.summary.end}) to ${eventsPath}`,
            `labels: ${labelsPath}${inventoryPath === undefined ? '' : `\ninventory: ${inventoryPath}`}`,
            ...(evalPath === undefined ? [] : [`labelled scenario for vigil eval: ${evalPath}`]),
            `formats: ${Object.entries(s.summary.byFormat)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
            `attacks (${s.summary.attackEvents} events):`,
            ...s.summary.attacks.map(
              (a) =>
                `  ${a.id.padEnd(22)} ${String(a.events).padStart(2)} events from line ${a.firstLine}  ${a.techniques.join(' ')}`,
            ),
          ].join('\n'),
        {
          ...s.summary,
          files: {
            events: eventsPath,
            labels: labelsPath,
            inventory: inventoryPath ?? null,
            eval: evalPath ?? null,
          },
        },
      );
    });
  const replay = (cmd: Command): Command =>
    cmd
      .argument('<file>', 'NDJSON events file')
      .requiredOption(
        '--to <url>',
        "the detector's events URL, e.g. http://127.0.0.1:7400/v1/events",
      )
      .option('--rate <n/s>', 'events per second (default: as fast as the detector takes them)')
      .option('--loop', 'start again at the top until interrupted')
      .option('--token-env <name>', 'environment variable holding the bearer token')
      .option('--batch <n>', 'events per request', '500')
      .action((file: string, flags: ReplayFlags, c: Command) => runReplay(file, flags, c));
  replay(
    scenario
      .command('replay')
      .description('push an NDJSON file of events to a detector (POST /v1/events)'),
  );
  replay(program.command('replay').description('alias of `vigil scenario replay`'));
}
