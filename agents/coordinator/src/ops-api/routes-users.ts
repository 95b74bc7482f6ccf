import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../password-hash.js';
import { addConsoleUser, listUsers, ROLES } from '../users.js';
import { ERROR_RESPONSES } from './routes-core.js';
import { userSchema } from './routes-session.js';

/** `/v1/users`: the local users, administered by admins only. */
export function registerUserRoutes(
  app: FastifyInstance,
  deps: () => { readonly stateDir: string },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/users',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'List local users and their roles (admin)',
        tags: ['users'],
        response: { 200: z.object({ users: z.array(userSchema) }), ...ERROR_RESPONSES },
      },
    },
    async () => ({ users: listUsers(deps().stateDir) }),
  );

  r.post(
    '/v1/users',
    {
      config: { access: 'admin' },
      schema: {
        summary: 'Add or replace a console user with a password (admin)',
        tags: ['users'],
        body: z
          .strictObject({
            id: z
              .string()
              .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-"'),
            role: z.enum(ROLES),
            password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH),
          })
          .meta({ id: 'NewUser' }),
        response: { 200: z.object({ user: userSchema }), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { id, role, password } = request.body;
      addConsoleUser(deps().stateDir, id, role, await hashPassword(password));
      return { user: { id, role } };
    },
  );
}
