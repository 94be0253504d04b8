import express, { type Express, type Router } from 'express';
import { randomUUID } from 'node:crypto';
import { LomasError } from 'lomas-kernel/protocol';
import type { TokenSignIn } from './auth/oidc/signIn';
import type { Config } from './config';
import { createLomasService } from './domain/lomas';
import { LomasJobs } from './domain/lomasJobs';
import { createSqlService } from './domain/sql';
import type { SyntheticService } from './domain/synthetic';
import type { ModelService } from './domain/models';
import type { AnalystService, QueryService } from './domain/types';
import { authenticate } from './http/authenticate';
import { cors } from './http/cors';
import { errorHandler, notFound } from './http/errorHandler';
import { clientErrors } from './http/httpErrors';
import { rejectInvalidUtf8 } from './http/validate';
import type { Logger } from './logger';
import { analystRouter } from './routes/analyst';
import { lomasErrors, lomasRouter } from './routes/lomas';
import type { Store } from './store/types';

export interface AppDeps {
  config: Config;
  logger: Logger;
  store: Store;
  /** OpenID Connect sign-in, when configured: access tokens then authenticate like API keys. */
  tokenSignIn?: TokenSignIn;
  analyst: AnalystService;
  queries: QueryService;
  synthetic: SyntheticService;
  models: ModelService;
  /** Mounted under /admin behind authentication and the admin role. */
  admin?: Router;
  /** Public probes and other routes mounted before authentication. */
  publicRoutes?: Router;
  /** Middleware run right after authentication, before the body is read (rate limits). */
  limits?: express.RequestHandler[];
  /** Middleware run after the body is parsed, before the routes (body shape guards). */
  authenticated?: express.RequestHandler[];
}

/** Builds the HTTP application: routes → domain → data access, one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: answers are not for caches (a release is fresh noise each time), and Express would
  // hash every body to make one (flights-3m: a 234 kB answer per query).
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((_req, res, next) => {
    res.locals.reqId = randomUUID();
    res.setHeader('X-Request-Id', res.locals.reqId as string);
    next();
  });
  app.use(cors(deps.config.corsOrigins));
  if (deps.publicRoutes) app.use(deps.publicRoutes);
  app.use(authenticate(deps.store, deps.tokenSignIn));
  for (const mw of deps.limits ?? []) app.use(mw);
  app.use((req, _res, next) => {
    const hasBody = req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH';
    if (hasBody && req.headers['content-length'] !== '0' && !req.is('application/json'))
      throw new LomasError('UNSUPPORTED_MEDIA_TYPE');
    next();
  });
  app.use(express.json({ limit: deps.config.bodyLimit, strict: true, verify: rejectInvalidUtf8 }));
  for (const mw of deps.authenticated ?? []) app.use(mw);
  const sql = createSqlService(deps.store, deps.queries);
  app.use(
    '/v1',
    analystRouter(
      {
        analyst: deps.analyst,
        queries: deps.queries,
        sql,
        synthetic: deps.synthetic,
        models: deps.models
      },
      deps.logger
    )
  );
  if (deps.admin) app.use('/admin', deps.admin);
  // The Python Lomas client's routes (docs/MIGRATION.md): same services, the client's error types.
  const lomas = createLomasService({
    store: deps.store,
    analyst: deps.analyst,
    sql,
    jobs: new LomasJobs()
  });
  app.use('/lomas', lomasRouter(lomas, deps.logger));
  app.use('/lomas', clientErrors, lomasErrors(deps.logger));
  app.use(notFound);
  app.use(clientErrors);
  app.use(errorHandler(deps.logger));
  return app;
}
