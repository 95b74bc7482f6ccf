import { ApiError } from './errors.js';
import type { ReadSources } from './read-sources.js';

/** The read routes' sources, or 503 when this API was started without them. */
export function readSources(deps: () => ReadSources | undefined): ReadSources {
  const sources = deps();
  if (sources === undefined)
    throw new ApiError(
      'unavailable',
      'this API serves no registry or audit trail (started without read sources)',
    );
  return sources;
}
