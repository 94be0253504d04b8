import { Router, type NextFunction, type Request, type Response } from 'express';
import type { TokenSignIn } from '../auth/oidc/signIn';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { authenticate, requireAdmin } from './authenticate';
import { healthRoutes } from './health';
import type { Metrics } from './metrics';
import { openApiDocument, routeLabeler } from './openapi';
import type { Principal } from './principal';
import { timingProtection, type TimingOptions } from './timing';

export interface ServiceRouteOptions {
  store: Store;
  /** OpenID Connect sign-in, when configured (/metrics accepts an admin's access token too). */
  tokenSignIn?: TokenSignIn;
  logger: Logger;
  metrics: Metrics;
  /** Timing protection on POST /v1/queries and /v1/queries/dummy (config minLatencyMs, latencyJitterMs). */
  timing: Pick<TimingOptions, 'minLatencyMs' | 'jitterMs'>;
  /** Readiness flag (false while stopping). */
  isReady?: () => boolean;
  version?: string;
}

/** One JSON access-log line per request: no bodies, no keys, no query strings. */
export function accessLog(logger: Logger) {
  const label = routeLabeler();
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    // Labelled now: by 'finish', a router mounted on a prefix (/v1) has cut it from req.path.
    const route = label(req.method, req.path);
    res.on('finish', () => {
      const p = res.locals.principal as Principal | undefined;
      logger.info(
        {
          reqId: res.locals.reqId,
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
          user: p?.user
        },
        'request'
      );
    });
    next();
  };
}

/**
 * The routes and middleware mounted before authentication (AppDeps.publicRoutes): metrics and
 * access log (so that 401s are counted too), timing protection (so that every answer of a
 * protected route is held, errors of authentication and body parsing included), /health, /ready,
 * /openapi.json, and /metrics (which checks the admin's credential itself).
 */
export function serviceRoutes(opts: ServiceRouteOptions): Router {
  const r = Router();
  r.use(opts.metrics.middleware);
  r.use(accessLog(opts.logger));
  r.use(timingProtection(opts.timing));
  r.use(healthRoutes({ store: opts.store, isReady: opts.isReady }));
  let doc: string | null = null;
  r.get('/openapi.json', (_req, res) => {
    doc ??= JSON.stringify(openApiDocument({ version: opts.version }));
    res.type('application/json').send(doc);
  });
  r.get('/metrics', authenticate(opts.store, opts.tokenSignIn), requireAdmin, async (_req, res) => {
    const m = await opts.metrics.render();
    res.setHeader('Cache-Control', 'no-store');
    res.type(m.contentType).send(m.body);
  });
  return r;
}
