import type { NextFunction, Request, Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';

/**
 * Error middleware placed just before the error handler: Express and body-parser raise plain
 * http-errors without a `type` for some client mistakes (a path parameter that is not valid
 * percent-encoding, a body whose Content-Encoding does not match it). They are the client's
 * fault, so they become typed 4xx errors instead of INTERNAL.
 */
export function clientErrors(err: unknown, req: Request, _res: Response, next: NextFunction): void {
  if (err instanceof LomasError || !err || typeof err !== 'object') return next(err);
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; message?: unknown };
  const status =
    typeof e.status === 'number'
      ? e.status
      : typeof e.statusCode === 'number'
        ? e.statusCode
        : undefined;
  if (typeof e.type === 'string' || status === undefined || status < 400 || status >= 500)
    return next(err);
  const message = typeof e.message === 'string' ? e.message : '';
  if (status === 413)
    return next(new LomasError('PAYLOAD_TOO_LARGE', { limit: 'the configured limit' }));
  if (status === 415) return next(new LomasError('UNSUPPORTED_MEDIA_TYPE'));
  if (/decode param/i.test(message))
    return next(
      new LomasError('INVALID_PARAMETER', {
        parameter: 'path',
        rule: 'valid percent-encoded UTF-8'
      })
    );
  if (req.headers['content-encoding'])
    return next(
      new LomasError('INVALID_REQUEST', { problem: 'the body does not match its Content-Encoding' })
    );
  next(new LomasError('INVALID_REQUEST', { problem: 'the request could not be read' }));
}
