import type { NextFunction, Request, Response } from 'express';
import { ErrorBody, LomasError } from 'lomas-kernel/protocol';
import type { Logger } from '../logger';
import { apiRoutes, routePattern } from './openapi';

/** Errors thrown by body parsing carry a `type` and a `status`. */
interface ParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** A typed error for errors of body parsing; null for anything else (a bug: logged, INTERNAL). */
export function toLomasError(err: unknown): LomasError | null {
  if (err instanceof LomasError) return err;
  const p = err as ParserError;
  if (p && typeof p === 'object' && typeof p.type === 'string') {
    if (p.type === 'entity.too.large')
      return new LomasError('PAYLOAD_TOO_LARGE', { limit: `${p.limit} bytes` });
    if (p.type === 'entity.parse.failed')
      return new LomasError('INVALID_REQUEST', { problem: 'the body is not valid JSON' });
    if (p.type === 'encoding.unsupported' || p.type === 'charset.unsupported')
      return new LomasError('UNSUPPORTED_MEDIA_TYPE');
    if (typeof p.status === 'number' && p.status >= 400 && p.status < 500)
      return new LomasError('INVALID_REQUEST', { problem: 'the body could not be read' });
  }
  return null;
}

/** The one error handler: typed errors become {code, message}; anything else is logged and becomes INTERNAL. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let e = toLomasError(err);
    if (!e) {
      logger.error({ err, path: req.path, reqId: res.locals.reqId }, 'unhandled error');
      e = new LomasError('INTERNAL');
    }
    const body: ErrorBody = { code: e.code, message: e.message };
    if (Object.keys(e.details).length > 0) body.details = e.details;
    if (res.headersSent) return;
    // Errors go through their schema too (the protocol's ErrorBody).
    res.status(e.status).json(ErrorBody.parse(body));
  };
}

/**
 * The last route (of the app, and of a router with its own error handler: /lomas): a path the
 * route table knows answered with another method is 405 with an Allow header; anything else is
 * 404.
 */
export function notFound(req: Request, res: Response): never {
  // Inside a router, req.path is relative to where it is mounted (req.baseUrl).
  const path = req.baseUrl + req.path;
  const allowed = methodsOf(path);
  if (allowed.length > 0) {
    res.setHeader('Allow', allowed.join(', '));
    throw new LomasError('METHOD_NOT_ALLOWED', {
      method: req.method,
      path,
      allowed: allowed.join(', ')
    });
  }
  throw new LomasError('NOT_FOUND', { what: `Route ${req.method} ${path}` });
}

const routes = apiRoutes().map(r => ({
  method: r.method.toUpperCase(),
  re: routePattern(r.path)
}));

/** The methods the route table serves at this path (HEAD with GET). */
function methodsOf(path: string): string[] {
  const methods = routes.filter(r => r.re.test(path)).map(r => r.method);
  if (methods.includes('GET')) methods.push('HEAD');
  return methods;
}
