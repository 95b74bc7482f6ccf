import { useEffect, useState } from 'react';
import { endpoints, INCIDENT_STREAM } from '../api/endpoints.js';
import type { Incident } from '../api/types.js';
import { applyUpdates } from '../incidents/list.js';

/** The incident list kept live: loaded once, then updated by the server's event stream. */
export interface LiveIncidents {
  readonly incidents: ReadonlyMap<string, Incident>;
  /** `live` while the stream is open; `reconnecting` while the browser retries it. */
  readonly connection: 'connecting' | 'live' | 'reconnecting';
  readonly error?: Error;
}

/** How often the list is reloaded while the event stream is down. */
export const POLL_MS = 5000;

/**
 * Loads the incidents and follows `/v1/incidents/stream` (server-sent events, one
 * `incident` event per change). Updates are folded in once per animation frame, so a
 * storm of changes costs one render, not one per event. While the stream is down (a
 * proxy that buffers it, a restarting coordinator) the list is loaded every
 * {@link POLL_MS} instead, and once more when it reconnects, so nothing missed stays missing.
 */
export function useLiveIncidents(): LiveIncidents {
  const [incidents, setIncidents] = useState<ReadonlyMap<string, Incident>>(new Map());
  const [connection, setConnection] = useState<LiveIncidents['connection']>('connecting');
  const [error, setError] = useState<Error>();

  useEffect(() => {
    let closed = false;
    let pending: Incident[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setIncidents((current) => applyUpdates(current, batch));
    };
    const queue = (rows: readonly Incident[]) => {
      pending.push(...rows);
      if (!frame) frame = requestAnimationFrame(flush);
    };
    const loadAll = () =>
      endpoints.incidents().then(
        ({ incidents: rows }) => {
          if (!closed) queue(rows);
          setError(undefined);
        },
        (e: unknown) => {
          if (!closed) setError(e instanceof Error ? e : new Error(String(e)));
        },
      );
    void loadAll();
    const stream = new EventSource(INCIDENT_STREAM, { withCredentials: true });
    let wasOpen = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    stream.addEventListener('open', () => {
      setConnection('live');
      clearInterval(poll);
      poll = undefined;
      if (wasOpen) void loadAll();
      wasOpen = true;
    });
    stream.addEventListener('error', () => {
      setConnection('reconnecting');
      poll ??= setInterval(() => void loadAll(), POLL_MS);
    });
    stream.addEventListener('incident', (event) => {
      try {
        queue([JSON.parse((event as MessageEvent<string>).data) as Incident]);
      } catch {
        // A malformed event is dropped; the next full load brings the truth.
      }
    });
    return () => {
      closed = true;
      stream.close();
      clearInterval(poll);
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  return { incidents, connection, ...(error ? { error } : {}) };
}
