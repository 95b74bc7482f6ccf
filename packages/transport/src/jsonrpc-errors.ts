import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@vigil/core';

/** JSON-RPC 2.0 error codes (JSON-RPC §5.1; A2A §9.5 maps its own errors next to them). */
export const JSONRPC_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/** What body-parser attaches to the errors it raises. */
interface BodyParserError {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly limit?: unknown;
}

function asBodyParserError(error: unknown): BodyParserError | undefined {
  return typeof error === 'object' && error !== null ? (error as BodyParserError) : undefined;
}

/**
 * The last error handler of an A2A JSON-RPC endpoint: whatever went wrong before the SDK
 * answered (a body that is not JSON, too large, in an unsupported charset, or a bug) is
 * answered as a JSON-RPC error object with `id: null`, never Express's HTML page with a stack
 * trace and file paths. A body that is not JSON is -32700 (HTTP 200, as the SDK answers its own
 * parse errors); a body refused before parsing is -32600 with the HTTP status that says why
 * (413, 415, 400); anything else is -32603 with a generic message, and the detail goes only to
 * the log.
 */
export function jsonRpcErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const parser = asBodyParserError(error);
    const status = typeof parser?.status === 'number' ? parser.status : 500;
    let httpStatus = 200;
    let code: number = JSONRPC_ERROR_CODES.INTERNAL_ERROR;
    let message = 'Internal error';
    if (parser?.type === 'entity.parse.failed') {
      code = JSONRPC_ERROR_CODES.PARSE_ERROR;
      message = 'Parse error: the request body is not valid JSON';
    } else if (parser?.type === 'entity.too.large') {
      httpStatus = 413;
      code = JSONRPC_ERROR_CODES.INVALID_REQUEST;
      message = `Invalid Request: the body exceeds the limit of ${String(parser.limit)} bytes`;
    } else if (status >= 400 && status < 500) {
      httpStatus = status;
      code = JSONRPC_ERROR_CODES.INVALID_REQUEST;
      message = `Invalid Request: the body cannot be read (${String(parser?.type ?? 'bad request')})`;
    } else {
      httpStatus = 500;
      log.error({ err: error, path: req.path }, 'A2A request failed before the handler answered');
    }
    res.status(httpStatus).json({ jsonrpc: '2.0', id: null, error: { code, message } });
  };
}

/**
 * Refuses a parsed body that is not a JSON-RPC 2.0 request object (JSON-RPC §4: `jsonrpc`
 * "2.0", a string `method`, an `id` that is a string, number or null, `params` an object or
 * array) with -32600 before the SDK sees it: the SDK reports such bodies as invalid params
 * (-32602). Batches (arrays) are refused too: A2A defines none.
 */
export const jsonRpcEnvelopeGuard: RequestHandler = (req, res, next) => {
  const body: unknown = req.body;
  const request =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  const id = request?.['id'];
  const validId =
    id === undefined || id === null || typeof id === 'string' || typeof id === 'number';
  const params = request?.['params'];
  const problem = !request
    ? 'the body is not a JSON-RPC request object'
    : request['jsonrpc'] !== '2.0'
      ? 'jsonrpc must be "2.0"'
      : typeof request['method'] !== 'string'
        ? 'method must be a string'
        : !validId
          ? 'id must be a string, a number or null'
          : params !== undefined && (typeof params !== 'object' || params === null)
            ? 'params must be an object or an array'
            : undefined;
  if (problem === undefined) {
    next();
    return;
  }
  res.status(200).json({
    jsonrpc: '2.0',
    id: validId ? (id ?? null) : null,
    error: { code: JSONRPC_ERROR_CODES.INVALID_REQUEST, message: `Invalid Request: ${problem}` },
  });
};
