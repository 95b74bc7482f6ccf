import { useEffect, useState, type FormEvent } from 'react';
import { endpoints, type SessionInfo, type SignInMethods } from '../api/endpoints.js';

/**
 * Why an OIDC sign-in came back refused (`/?signin-error=<code>`). The page says it in
 * its own words: only the code travels in the URL, so a crafted link cannot put text here.
 */
const SIGN_IN_ERRORS: Readonly<Record<string, string>> = {
  VIGIL_API_OIDC_STATE:
    'That sign-in could not be matched to this browser (it expired, or the answer was not for it). Start again.',
  VIGIL_API_OIDC_REFUSED:
    'The identity provider refused the sign-in (for example an expired code). Start again.',
  VIGIL_API_OIDC_NOT_ALLOWED:
    'Your identity provider account has no role in this console. Ask an administrator to map your group to a role.',
  VIGIL_API_OIDC_UNAVAILABLE: 'The identity provider cannot be reached now. Try again later.',
};

function signInErrorOf(search: string): string | undefined {
  const code = new URLSearchParams(search).get('signin-error');
  return code ? (SIGN_IN_ERRORS[code] ?? 'The sign-in failed. Start again.') : undefined;
}

/**
 * Password sign-in, and "Sign in with <provider>" when OIDC is configured (a plain link:
 * the browser leaves for the provider and comes back signed in). The signing key and its
 * certificate are made right after either (see `App`).
 */
export function LoginPage({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [methods, setMethods] = useState<SignInMethods>();
  useEffect(() => {
    endpoints.signInMethods().then(setMethods, () => setMethods(undefined));
  }, []);
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | undefined>(() =>
    signInErrorOf(window.location.search),
  );
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      onSignedIn(await endpoints.signIn(user, password));
    } catch (e) {
      setProblem((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title" className="card">
        <h1 id="login-title">Sign in to Vigil</h1>
        <label htmlFor="user">User</label>
        <input
          id="user"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={user}
          onChange={(e) => setUser(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {methods?.oidc && (
          <p className="sso">
            <span className="muted">or</span>{' '}
            <a className="button" href={methods.oidc.url}>
              Sign in with {methods.oidc.name}
            </a>
          </p>
        )}
        <p className="muted">
          Your decisions are signed with a key made in this browser at sign-in; it never leaves it.
        </p>
      </form>
    </main>
  );
}
