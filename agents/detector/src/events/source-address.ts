/**
 * Which of a request's source addresses the API server observed. Kubernetes audit
 * `sourceIPs` lists the `X-Forwarded-For` entries, then `X-Real-IP`, then the
 * connection's remote address when it differs from the last so far: every entry but the
 * last can be set arbitrarily by the client. Only the last is evidence; the rest are
 * kept as what the client claimed.
 */
export function observedAndClaimed(sourceIps: readonly string[] | undefined): {
  sourceIp?: string;
  claimedSourceIps?: readonly string[];
} {
  if (sourceIps === undefined || sourceIps.length === 0) return {};
  const observed = sourceIps[sourceIps.length - 1] as string;
  const claimed = sourceIps
    .slice(0, -1)
    .filter((a, i, all) => a !== observed && all.indexOf(a) === i);
  return claimed.length === 0
    ? { sourceIp: observed }
    : { sourceIp: observed, claimedSourceIps: claimed };
}
