import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Field paths that are always redacted. Secrets never reach logs, whatever a caller
 * passes: tokens, keys, passwords and authorization headers are censored by pino
 * before serialisation.
 */
export const REDACTED_PATHS: readonly string[] = [
  '*.token',
  '*.apiKey',
  '*.password',
  '*.privateKey',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
];

/**
 * A JSON logger (pino) with Vigil's redaction rules. `name` is the component, for
 * example the agent name; `destination` defaults to stdout (the supervisor redirects
 * each agent's stdout to its own log file).
 */
export function createLogger(
  name: string,
  options: { level?: string; destination?: DestinationStream; base?: Record<string, unknown> } = {},
): Logger {
  return pino(
    {
      name,
      level: options.level ?? process.env['VIGIL_LOG_LEVEL'] ?? 'info',
      base: { pid: process.pid, ...(options.base ?? {}) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
