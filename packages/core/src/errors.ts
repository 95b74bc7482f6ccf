/**
 * The one error base of Vigil. Every package throws a subclass of {@link VigilError}
 * with a stable `code` from its own table, so operators can grep logs and clients can
 * branch on codes without parsing messages. Messages never contain secrets.
 */
export class VigilError extends Error {
  /** Stable, documented, UPPER_SNAKE code such as `VIGIL_CONFIG_INVALID`. */
  readonly code: string;
  /** Structured, secret-free details for logs and API responses. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** A JSON shape safe to return from an API or write to a log. */
  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is a {@link VigilError}, optionally with the given code. */
export function isVigilError(value: unknown, code?: string): value is VigilError {
  return value instanceof VigilError && (code === undefined || value.code === code);
}
