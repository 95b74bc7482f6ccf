import type { Command } from 'commander';
import { addUser, hashPassword, listUsers, ROLES, type Role } from '@vigil/coordinator';
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
    .option(
      '--password-stdin',
      'read a console sign-in password from standard input (first line; stored as an scrypt hash)',
    )
    .action(async (id: string, opts: { role: string; passwordStdin?: boolean }, cmd: Command) => {
      const options = globalOptions(cmd);
      if (!(ROLES as readonly string[]).includes(opts.role))
        throw new UsageError(`--role ${opts.role}: expected one of ${ROLES.join(', ')}`);
      const passwordHash = opts.passwordStdin
        ? await hashPassword(await readPassword())
        : undefined;
      const token = addUser(options.stateDir, id, opts.role as Role, {
        ...(passwordHash ? { passwordHash } : {}),
      });
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

/** The first line of standard input (a trailing newline is not part of the password). */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!password) throw new UsageError('--password-stdin: standard input holds no password');
  return password;
}
