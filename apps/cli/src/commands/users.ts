import type { Command } from 'commander';
import { addUser, listUsers, ROLES, type Role } from '@vigil/coordinator';
import { globalOptions, print, UsageError } from '../context.js';

/** `vigil users add | list`: local users of the approvals API. */
export function registerUsersCommand(program: Command): void {
  const users = program
    .command('users')
    .description('local users and their roles (viewer, analyst, admin)');
  users
    .command('add <id>')
    .description('add or replace a user; prints its API token once')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .action((id: string, opts: { role: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      if (!(ROLES as readonly string[]).includes(opts.role))
        throw new UsageError(`--role ${opts.role}: expected one of ${ROLES.join(', ')}`);
      const token = addUser(options.stateDir, id, opts.role as Role);
      print(options, () => `user ${id} (${opts.role}) — API token, shown once:\n${token}`, {
        id,
        role: opts.role,
        token,
      });
    });
  users
    .command('list')
    .description('users and roles')
    .action((_opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const rows = listUsers(options.stateDir);
      print(
        options,
        () =>
          rows.length ? rows.map((u) => `${u.id.padEnd(16)} ${u.role}`).join('\n') : 'no users',
        rows,
      );
    });
}
