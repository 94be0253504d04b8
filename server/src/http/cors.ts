import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for the JupyterLab extension, which calls the server from the browser. Credentials are
 * never ambient (no cookies: every request carries its API key explicitly), so allowing an origin
 * lets a page read only what it already holds a key for. `origins` is a list, or ['*'].
 */
export function cors(origins: readonly string[]) {
  const any = origins.includes('*');
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && (any || origins.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        res.setHeader(
          'Access-Control-Allow-Headers',
          'Authorization, Content-Type, Idempotency-Key'
        );
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
