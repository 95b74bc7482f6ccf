import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import type { SessionInfo } from '../api/endpoints.js';

const NAV: readonly [path: string, label: string][] = [
  ['/incidents', 'Incidents'],
  ['/approvals', 'Approvals'],
  ['/agents', 'Agents'],
  ['/compliance', 'Compliance'],
  ['/audit', 'Audit'],
  ['/policies', 'Policies'],
];

/** The frame of every signed-in page: skip link, navigation, who is signed in, the page. */
export function Layout({
  session,
  onSignOut,
  children,
}: {
  session: SessionInfo;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const [location] = useLocation();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Vigil</span>
        <nav aria-label="Console">
          <ul>
            {NAV.map(([path, label]) => {
              const current = location === path || location.startsWith(`${path}/`);
              return (
                <li key={path}>
                  <Link href={path} aria-current={current ? 'page' : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="who">
          <span>
            {session.user.id} <span className="role">({session.user.role})</span>
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
