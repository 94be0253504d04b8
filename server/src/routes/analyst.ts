import { Router } from 'express';
import type { ModelService } from '../domain/models';
import type { SyntheticService } from '../domain/synthetic';
import type { AnalystService, QueryService, SqlService } from '../domain/types';
import { mountRoutes } from '../http/contract';
import type { Logger } from '../logger';

/**
 * Routes of an authenticated analyst: only their own datasets, budgets and history. Requests and
 * responses go through the protocol's schemas of each route (http/openapi.ts, http/contract.ts).
 */
export function analystRouter(
  services: {
    analyst: AnalystService;
    queries: QueryService;
    sql: SqlService;
    synthetic: SyntheticService;
    models: ModelService;
  },
  logger?: Logger
): Router {
  const { analyst, queries, sql, synthetic, models } = services;
  const idem = (headers: Record<string, unknown>) =>
    (headers['idempotency-key'] as string | undefined) ?? null;
  return mountRoutes(
    Router(),
    '/v1',
    {
      'GET /v1/me': ({ principal }) => ({ user: principal().user, role: principal().role }),
      'GET /v1/me/budgets': ({ principal }) => analyst.budgets(principal()),
      'GET /v1/datasets': ({ principal }) => analyst.datasets(principal()),
      'GET /v1/datasets/{name}': ({ principal, params }) =>
        analyst.metadata(principal(), params.name as string),
      'GET /v1/datasets/{name}/budget': ({ principal, params }) =>
        analyst.budget(principal(), params.name as string),
      'GET /v1/datasets/{name}/dummy': ({ principal, params, query }) =>
        analyst.dummyRows(
          principal(),
          params.name as string,
          query.rows as number,
          query.seed as number
        ),
      'GET /v1/queries': ({ principal, query }) =>
        analyst.history(principal(), query.dataset as string | undefined, query.limit as number),
      'POST /v1/queries/estimate': ({ principal, body }) => queries.estimate(principal(), body),
      'POST /v1/queries/dummy': ({ principal, body }) => queries.dummy(principal(), body),
      'POST /v1/queries': ({ principal, body, headers }) =>
        queries.run(principal(), body, idem(headers)),
      // SQL: compiled into a plan on the server, then the same pipeline as the routes above.
      'POST /v1/queries/sql/estimate': ({ principal, body }) => sql.estimate(principal(), body),
      'POST /v1/queries/sql/dummy': ({ principal, body }) => sql.dummy(principal(), body),
      'POST /v1/queries/sql': ({ principal, body, headers }) =>
        sql.run(principal(), body, idem(headers)),
      'POST /v1/synthetic/estimate': ({ principal, body }) => synthetic.estimate(principal(), body),
      'POST /v1/synthetic/dummy': ({ principal, body }) => synthetic.dummy(principal(), body),
      'POST /v1/synthetic': ({ principal, body, headers }) =>
        synthetic.run(principal(), body, idem(headers)),
      'GET /v1/synthetic/{queryId}': ({ principal, params }) =>
        synthetic.archived(principal(), params.queryId as string),
      'POST /v1/models/estimate': ({ principal, body }) => models.estimate(principal(), body),
      'POST /v1/models/dummy': ({ principal, body }) => models.dummy(principal(), body),
      'POST /v1/models': ({ principal, body, headers }) =>
        models.run(principal(), body, idem(headers))
    },
    logger
  );
}
