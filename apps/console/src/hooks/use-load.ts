import { useEffect, useRef, useState } from 'react';

/** What a page shows while it loads data: the value, the error, or neither yet. */
export interface Loaded<T> {
  readonly data?: T;
  readonly error?: Error;
  readonly loading: boolean;
  reload(): void;
}

/**
 * Runs `load` on mount and whenever `key` changes (callers recreate `load` on every
 * render; `key` says when it asks for something new); a stale answer never replaces a
 * newer one.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    latest.current().then(
      (data) => {
        if (current) setState({ data, loading: false });
      },
      (error: unknown) => {
        if (current)
          setState({
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          });
      },
    );
    return () => {
      current = false;
    };
  }, [key, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}
