import { readFileSync, statSync } from 'node:fs';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';

/** Where an agent's replicas listen. */
export interface PeerDirectory {
  /** Base URLs (`https://host:port`) of the replicas of `agentName`; empty when unknown. */
  resolve(agentName: string): string[];
}

/** A directory over a fixed (or mutable) map; handy in tests and for static deployments. */
export function createStaticPeerDirectory(
  entries: Record<string, readonly string[]>,
): PeerDirectory & {
  set(agentName: string, urls: readonly string[]): void;
} {
  const map = new Map(Object.entries(entries).map(([name, urls]) => [name, [...urls]]));
  return {
    resolve: (agentName) => [...(map.get(agentName) ?? [])],
    set: (agentName, urls) => void map.set(agentName, [...urls]),
  };
}

/**
 * Peers as Kubernetes Services: every agent is `https://<agent>.<domain>:<port>` (the
 * rendered Service of its A2A port; `domain` is `<namespace>.svc`), which the Service
 * load-balances over its ready replicas. The name is also a DNS SAN of each agent's
 * certificate, so the TLS host check holds beside the SPIFFE ID check.
 */
export function createServicePeerDirectory(domain: string, port: number): PeerDirectory {
  return { resolve: (agentName) => [`https://${agentName}.${domain}:${port}`] };
}

function parseEndpoints(text: string, path: string): Map<string, string[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TransportError(TRANSPORT_ERROR_CODES.INVALID_OPTIONS, `${path} is not valid JSON`, {
      cause,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TransportError(
      TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
      `${path}: expected an object { "<agent>": ["https://…"] }`,
    );
  }
  const result = new Map<string, string[]>();
  for (const [name, urls] of Object.entries(json)) {
    if (
      !Array.isArray(urls) ||
      !urls.every((url) => typeof url === 'string' && /^https?:\/\//.test(url))
    ) {
      throw new TransportError(
        TRANSPORT_ERROR_CODES.INVALID_OPTIONS,
        `${path}: "${name}" must be an array of http(s) URLs`,
      );
    }
    result.set(name, urls as string[]);
  }
  return result;
}

/**
 * Reads `<stateDir>/run/endpoints.json` (`{ "<agent>": ["https://127.0.0.1:port", …] }`,
 * written by the supervisor). Re-read whenever the file's mtime or size changes, so
 * restarts that move an agent to a new port are picked up; a missing file means no
 * peers yet. A malformed file keeps the last good content (and throws if there is none).
 */
export function createFilePeerDirectory(path: string): PeerDirectory {
  let stamp = '';
  let entries = new Map<string, string[]>();
  const refresh = (): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      entries = new Map();
      stamp = '';
      return;
    }
    const next = `${stat.mtimeMs}:${stat.size}`;
    if (next === stamp) return;
    try {
      entries = parseEndpoints(readFileSync(path, 'utf8'), path);
      stamp = next;
    } catch (error) {
      if (stamp === '') throw error;
    }
  };
  return {
    resolve(agentName) {
      refresh();
      return [...(entries.get(agentName) ?? [])];
    },
  };
}
