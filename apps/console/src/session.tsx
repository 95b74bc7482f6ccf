import { createContext, useContext } from 'react';
import type { SessionInfo } from './api/endpoints.js';
import type { UserIdentity } from './crypto/identity.js';

/** Who is signed in, and the browser-held identity they sign decisions with. */
export interface SessionState {
  readonly session: SessionInfo;
  /** Present once the user certificate for this browser's key was issued. */
  readonly identity?: UserIdentity;
  readonly identityError?: string;
  /** Replaces the identity after a renewal. */
  setIdentity(identity: UserIdentity): void;
}

export const SessionContext = createContext<SessionState | undefined>(undefined);

/** The signed-in session; pages under the layout always have one. */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside a signed-in page');
  return state;
}

/** Analysts and admins decide; viewers only read (the server enforces it too). */
export function mayDecide(session: SessionInfo): boolean {
  return session.user.role === 'analyst' || session.user.role === 'admin';
}
