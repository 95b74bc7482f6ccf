import type { Command } from 'commander';
import { VigilError } from '@vigil/core';
import { readSupervisorStatus, type SupervisorStatus } from '@vigil/supervisor';
import { globalOptions, print } from '../context.js';

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** The human rendering of `status.json`. */
export function renderStatus(status: SupervisorStatus, alive: boolean, now = Date.now()): string {
  const head = alive
    ? `system ${status.system}: supervisor pid ${status.supervisor.pid} ${status.supervisor.state}, up ${duration(now - Date.parse(status.supervisor.startedAt))}`
    : `system ${status.system}: supervisor pid ${status.supervisor.pid} is NOT running (last state ${status.supervisor.state}, report of ${status.updatedAt})`;
  // In containers the memory is the cgroup's usage, what the kernel's limit counts.
  const containers = status.runtime === 'podman';
  const rows = [
    [
      'AGENT',
      'PID',
      ...(containers ? ['CONTAINER'] : []),
      'STATE',
      'RESTARTS',
      'UPTIME',
      containers ? 'MEM (CGROUP)' : 'RSS',
      'CERT EXPIRES',
      'LAST ERROR',
    ],
  ];
  for (const agent of status.agents) {
    for (const r of agent.replicas) {
      const running = alive && r.pid !== null && r.startedAt !== null;
      const cert = r.certificate ?? agent.certificate;
      const memory = containers ? (r.cgroupMemoryBytes ?? null) : r.rssBytes;
      rows.push([
        agent.replicas.length > 1 ? `${agent.name}[${r.replica}]` : agent.name,
        r.pid === null ? '-' : String(r.pid),
        ...(containers ? [r.containerId == null ? '-' : r.containerId.slice(0, 12)] : []),
        alive ? r.state : `${r.state} (stale)`,
        String(r.restarts),
        running ? duration(now - Date.parse(r.startedAt as string)) : '-',
        memory === null
          ? '-'
          : `${Math.round(memory / 1048576)}Mi/${Math.round(agent.memoryBytes / 1048576)}Mi`,
        cert === null
          ? '-'
          : `${cert.notAfter.replace(/\.\d+Z$/, 'Z')} (${duration(Date.parse(cert.notAfter) - now)})`,
        r.lastError === null ? '' : `${r.lastError.code}: ${r.lastError.message}`,
      ]);
    }
  }
  return `${head}\n${table(rows)}`;
}

/** `vigil status`: the live state of every agent replica, from the supervisor's status file. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      'show every agent replica: pid, state, restarts, uptime, memory, certificate expiry, last error',
    )
    .action((_flags: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const { status, supervisorAlive } = readSupervisorStatus(options.stateDir);
      print(options, () => renderStatus(status, supervisorAlive), { supervisorAlive, ...status });
      if (!supervisorAlive) {
        throw new VigilError(
          'VIGIL_SUPERVISOR_NOT_RUNNING',
          `no supervisor is running for ${options.stateDir} (pid ${status.supervisor.pid} is gone); the status above is its last report`,
        );
      }
    });
}
