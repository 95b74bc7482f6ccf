import type { ReactNode } from 'react';
import type { Loaded } from '../hooks/use-load.js';

/** Loading and error states every page shows the same way; children render once data is there. */
export function LoadState<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (loaded.error)
    return (
      <p role="alert" className="error">
        Could not load {what}: {loaded.error.message}{' '}
        <button type="button" onClick={loaded.reload}>
          Retry
        </button>
      </p>
    );
  if (loaded.data === undefined)
    return (
      <p role="status" aria-live="polite">
        Loading {what}…
      </p>
    );
  return <>{children(loaded.data)}</>;
}

/** A severity as a labelled badge (colour is never the only cue: the word is shown). */
export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity.replace(/[^a-z]/g, '')}`}>{severity}</span>;
}

/** An incident or approval state as a badge. */
export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state.replace(/[^a-z-]/g, '')}`}>{state}</span>;
}

/** A verdict decision as a badge. */
export function DecisionBadge({ decision }: { decision: string }) {
  return <span className={`badge decision-${decision.replace(/[^a-z-]/g, '')}`}>{decision}</span>;
}
