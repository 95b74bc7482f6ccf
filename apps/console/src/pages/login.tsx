import { useState, type FormEvent } from 'react';
import { endpoints, type SessionInfo } from '../api/endpoints.js';

/** Password sign-in; the signing key and its certificate are made right after (see `App`). */
export function LoginPage({ onSignedIn }: { onSignedIn: (session: SessionInfo) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string>();
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
        <p className="muted">
          Your decisions are signed with a key made in this browser at sign-in; it never leaves it.
        </p>
      </form>
    </main>
  );
}
