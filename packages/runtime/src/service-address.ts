import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where a system's own services say they listen: `<stateDir>/run/services/<name>.json`,
 * `{ url, pid }`. A service that binds an ephemeral port (the default, so that several
 * systems run side by side on one machine) publishes its address here, and the CLI of the
 * same state directory reads it, so it never talks to another system's service.
 */
export interface ServiceAddress {
  readonly url: string;
  /** The process serving it (a stale file names a dead one). */
  readonly pid: number;
}

/** `<stateDir>/run/services/<service>.json`. */
export function serviceAddressFile(stateDir: string, service: string): string {
  return join(stateDir, 'run', 'services', `${service}.json`);
}

/** Publishes `url` as the address of `service` (atomic replace; readers never see half). */
export function publishServiceAddress(stateDir: string, service: string, url: string): void {
  const file = serviceAddressFile(stateDir, service);
  mkdirSync(join(stateDir, 'run', 'services'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ url, pid: process.pid })}\n`, { mode: 0o644 });
  renameSync(temporary, file);
}

/** Removes the address of `service` if this process published it. */
export function withdrawServiceAddress(stateDir: string, service: string): void {
  if (readServiceAddress(stateDir, service)?.pid === process.pid) {
    rmSync(serviceAddressFile(stateDir, service), { force: true });
  }
}

/** The published address of `service`, or `undefined` when none (or an unreadable one) is. */
export function readServiceAddress(stateDir: string, service: string): ServiceAddress | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(serviceAddressFile(stateDir, service), 'utf8'));
  } catch {
    return undefined;
  }
  const { url, pid } = (parsed ?? {}) as { url?: unknown; pid?: unknown };
  return typeof url === 'string' && Number.isInteger(pid) ? { url, pid: pid as number } : undefined;
}
