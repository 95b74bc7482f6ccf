import { VigilError } from '@vigil/core';

/** POSTs JSON and throws `VIGIL_NOTIFY_HTTP` with the status on any non-2xx answer. */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    signal,
  });
  await response.arrayBuffer();
  if (!response.ok) {
    throw new VigilError(
      'VIGIL_NOTIFY_HTTP',
      `${new URL(url).host} answered HTTP ${response.status}`,
      { details: { status: response.status } },
    );
  }
}
