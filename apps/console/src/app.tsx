import { useCallback, useEffect, useState } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { setCsrfToken, UNAUTHENTICATED_EVENT } from './api/client.js';
import { endpoints, type SessionInfo } from './api/endpoints.js';
import { Layout } from './components/layout.js';
import { clearIdentity, establishIdentity, type UserIdentity } from './crypto/identity.js';
import { AgentsPage } from './pages/agents.js';
import { ApprovalsPage } from './pages/approvals.js';
import { AuditPage } from './pages/audit.js';
import { CompliancePage } from './pages/compliance.js';
import { IncidentDetailPage } from './pages/incident-detail.js';
import { IncidentsPage } from './pages/incidents.js';
import { LoginPage } from './pages/login.js';
import { PoliciesPage } from './pages/policies.js';
import { SessionContext } from './session.js';

type Auth =
  | { readonly state: 'checking' }
  | { readonly state: 'signed-out' }
  | { readonly state: 'signed-in'; readonly session: SessionInfo };

/** Session first (sign-in or the cookie's session), then the pages. */
export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [identity, setIdentity] = useState<UserIdentity>();
  const [identityError, setIdentityError] = useState<string>();
  const [location, navigate] = useLocation();

  const signedIn = useCallback((session: SessionInfo) => {
    setCsrfToken(session.csrfToken ?? undefined);
    setAuth({ state: 'signed-in', session });
    setIdentityError(undefined);
    // The signing key and its certificate; reading pages work while it is issued.
    establishIdentity(session.user.id).then(setIdentity, (e: unknown) =>
      setIdentityError((e as Error).message),
    );
  }, []);

  useEffect(() => {
    endpoints.session().then(signedIn, () => setAuth({ state: 'signed-out' }));
    const onExpired = () => {
      setCsrfToken(undefined);
      setIdentity(undefined);
      setAuth({ state: 'signed-out' });
    };
    window.addEventListener(UNAUTHENTICATED_EVENT, onExpired);
    return () => window.removeEventListener(UNAUTHENTICATED_EVENT, onExpired);
  }, [signedIn]);

  const signOut = async () => {
    await endpoints.signOut().catch(() => undefined);
    await clearIdentity().catch(() => undefined);
    setCsrfToken(undefined);
    setIdentity(undefined);
    setAuth({ state: 'signed-out' });
    navigate('/login');
  };

  if (auth.state === 'checking')
    return (
      <p role="status" className="boot">
        Loading…
      </p>
    );
  if (auth.state === 'signed-out')
    return (
      <LoginPage
        onSignedIn={(s) => {
          signedIn(s);
          if (location === '/login' || location === '/') navigate('/incidents');
        }}
      />
    );
  return (
    <SessionContext.Provider
      value={{
        session: auth.session,
        ...(identity ? { identity } : {}),
        ...(identityError ? { identityError } : {}),
        setIdentity,
      }}
    >
      <Layout session={auth.session} onSignOut={() => void signOut()}>
        <Switch>
          <Route path="/incidents">{() => <IncidentsPage />}</Route>
          <Route path="/incidents/:id">
            {(p: { id: string }) => <IncidentDetailPage id={decodeURIComponent(p.id)} />}
          </Route>
          <Route path="/approvals">{() => <ApprovalsPage />}</Route>
          <Route path="/approvals/:id">
            {(p: { id: string }) => <ApprovalsPage id={decodeURIComponent(p.id)} />}
          </Route>
          <Route path="/agents">{() => <AgentsPage />}</Route>
          <Route path="/compliance">{() => <CompliancePage />}</Route>
          <Route path="/audit">{() => <AuditPage />}</Route>
          <Route path="/policies">{() => <PoliciesPage />}</Route>
          <Route>{() => <Redirect to="/incidents" />}</Route>
        </Switch>
      </Layout>
    </SessionContext.Provider>
  );
}
