/**
 * Where the detector-in-its-own-process module is (`detector-child.ts`), for callers that
 * measure what intake costs the detector's resident set (tests, `bench/ingest`): the
 * TypeScript source when this package runs from `src/` (under tsx), the compiled file
 * from `dist/`.
 */
export const DETECTOR_PROCESS_MODULE: URL = new URL(
  import.meta.url.endsWith('.ts') ? './detector-child.ts' : './detector-child.js',
  import.meta.url,
);
