/**
 * HTML → PDF through headless Chromium (`--print-to-pdf`), with networking cut off: the
 * page is a local file, every host name resolves to nothing, and background services are
 * off, so the PDF shows exactly the self-contained HTML.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COMPLIANCE_ERROR_CODES, ComplianceError } from './errors.js';

/** Debian's Chromium; `VIGIL_CHROMIUM` names another binary. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Longest a PDF rendering may take. */
const RENDER_TIMEOUT_MS = 120_000;

/** The Chromium binary to use. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['VIGIL_CHROMIUM'] ?? DEFAULT_CHROMIUM;
}

/**
 * Prints `html` to a PDF (A4, as its `@page` rule says) and returns the PDF's bytes.
 * @throws ComplianceError `VIGIL_COMPLIANCE_RENDER_FAILED` when Chromium is missing,
 *   fails or times out.
 */
export async function htmlToPdf(html: string, chromium = chromiumPath()): Promise<Buffer> {
  try {
    await access(chromium);
  } catch {
    throw new ComplianceError(
      COMPLIANCE_ERROR_CODES.RENDER_FAILED,
      `no Chromium at ${chromium} (install Debian's chromium, or set VIGIL_CHROMIUM); -o report.html needs none`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'vigil-report-'));
  try {
    const page = join(dir, 'report.html');
    const out = join(dir, 'report.pdf');
    await writeFile(page, html, 'utf8');
    const args = [
      '--headless',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-sync',
      '--disable-background-networking',
      '--disable-component-update',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--no-pdf-header-footer',
      `--print-to-pdf=${out}`,
      // Chromium refuses its sandbox to root (containers, CI); elsewhere it keeps it.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      pathToFileURL(page).href,
    ];
    const { code, stderr } = await run(chromium, args);
    let pdf: Buffer;
    try {
      pdf = await readFile(out);
    } catch {
      throw new ComplianceError(
        COMPLIANCE_ERROR_CODES.RENDER_FAILED,
        `Chromium wrote no PDF (exit ${code}): ${stderr.slice(-2000)}`,
      );
    }
    if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-')
      throw new ComplianceError(COMPLIANCE_ERROR_CODES.RENDER_FAILED, 'Chromium wrote no PDF');
    return pdf;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(
  bin: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-8000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RENDER_TIMEOUT_MS);
    child.on('error', (cause) => {
      clearTimeout(timer);
      reject(
        new ComplianceError(COMPLIANCE_ERROR_CODES.RENDER_FAILED, `cannot start ${bin}`, { cause }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
