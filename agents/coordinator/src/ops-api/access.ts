import type { FastifyRequest } from 'fastify';
import { ROLES, type Role, type User } from '../users.js';
import { ApiError } from './errors.js';

/**
 * Who may call a route: `public` (no user: sign-in, the OpenAPI document, the console's
 * assets) or the least role that may. Every route declares one; a route without it is
 * refused (fail closed), so a new route cannot be left open by omission.
 */
export type Access = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** What a too-low role gets (default `forbidden`, `VIGIL_API_FORBIDDEN`). */
    forbidden?: 'forbidden' | 'approvalForbidden';
  }
}

/** True when `role` is at least `least` (viewer < analyst < admin). */
export function hasRole(role: Role, least: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(least);
}

/** The authenticated user of a non-public route (the access hook has set it). */
export function userOf(request: FastifyRequest): User {
  if (!request.caller) throw new ApiError('unauthenticated', 'sign in or pass a bearer token');
  return request.caller.user;
}

/** Refuses a user below `least`, naming who they are and who may. */
export function requireRole(
  user: User,
  least: Role,
  kind: 'forbidden' | 'approvalForbidden' = 'forbidden',
): void {
  if (hasRole(user.role, least)) return;
  const who = ROLES.slice(ROLES.indexOf(least)).join(' and ');
  throw new ApiError(kind, `user ${user.id} is a ${user.role}; ${who}s may do this`);
}
