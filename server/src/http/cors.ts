import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for browser pages that call the server themselves (LOMAS_CORS_ORIGINS; none by default:
 * the JupyterLab extension goes through the Jupyter server, which holds the key). Credentials are
 * never ambient (no cookies: every request carries its API key explicitly), so allowing an origin
 * lets a page read only what it already holds a key for. `origins` is a list (empty: no CORS
 * headers at all), or ['*'].
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
