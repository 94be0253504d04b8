import { Router } from 'express';
import type { z } from 'zod';
import type * as S from 'lomas-kernel/protocol';
import { createAdminService, type AdminDeps, type AdminService } from '../admin/service';
import { requireAdmin } from '../http/authenticate';
import { mountRoutes } from '../http/contract';
import type { Logger } from '../logger';

type In<T extends z.ZodType> = z.output<T>;

/**
 * The admin route, mounted at /admin after `authenticate` (app.ts); it checks the admin role
 * itself (requireAdmin first), whatever the mounting does. Every body, path parameter, query
 * string and response goes through the strict schemas of its route (http/openapi.ts), the same
 * the OpenAPI document is generated from.
 */
export function adminRouter(deps: AdminDeps | { service: AdminService }, logger?: Logger): Router {
  const admin = 'service' in deps ? deps.service : createAdminService(deps);
  const r = Router();
  r.use(requireAdmin);
  const budget = (b: unknown) => b as In<typeof S.BudgetInput>;
  const grant = (p: Record<string, unknown>) => p as In<typeof S.GrantParams>;
  return mountRoutes(
    r,
    '/admin',
    {
      // ----- users and keys -----
      'GET /admin/users': () => admin.listUsers(),
      'POST /admin/users': ({ body }) => admin.createUser(body as In<typeof S.CreateUserBody>),
      'GET /admin/users/{name}': ({ params }) => admin.getUser(params.name as string),
      'PATCH /admin/users/{name}': ({ params, body, principal }) =>
        admin.setActive(
          principal().user,
          params.name as string,
          (body as In<typeof S.PatchUserBody>).active
        ),
      'GET /admin/users/{name}/keys': ({ params }) => admin.listKeys(params.name as string),
      'POST /admin/users/{name}/keys': ({ params, body, res }) => {
        res.setHeader('Cache-Control', 'no-store');
        return admin.issueKey(params.name as string, (body as In<typeof S.IssueKeyBody>).label);
      },
      'DELETE /admin/keys/{id}': ({ params }) => admin.revokeKey(params.id as string),

      // ----- grants -----
      'GET /admin/grants': ({ query }) => admin.listGrants(query as In<typeof S.GrantsQuery>),
      'GET /admin/grants/{dataset}/{user}': ({ params }) =>
        admin.getGrant(grant(params).dataset, grant(params).user),
      'PUT /admin/grants/{dataset}/{user}': ({ params, body, principal }) =>
        admin.setGrant(principal().user, grant(params).dataset, grant(params).user, budget(body)),
      'POST /admin/grants/{dataset}/{user}/raise': ({ params, body, principal }) =>
        admin.adjustGrant(
          principal().user,
          grant(params).dataset,
          grant(params).user,
          budget(body),
          'raise'
        ),
      'POST /admin/grants/{dataset}/{user}/lower': ({ params, body, principal }) =>
        admin.adjustGrant(
          principal().user,
          grant(params).dataset,
          grant(params).user,
          budget(body),
          'lower'
        ),

      // ----- datasets -----
      'GET /admin/datasets': () => admin.listDatasets(),
      'POST /admin/datasets': ({ body, principal }) =>
        admin.createDataset(principal().user, body as In<typeof S.CreateDatasetBody>),
      'GET /admin/datasets/{name}': ({ params }) => admin.getDataset(params.name as string),
      'PATCH /admin/datasets/{name}': ({ params, body, principal }) =>
        admin.updateDataset(
          principal().user,
          params.name as string,
          body as In<typeof S.UpdateDatasetBody>
        ),
      'DELETE /admin/datasets/{name}': ({ params }) => admin.removeDataset(params.name as string),

      // ----- ledger, archive, audit, configuration -----
      'GET /admin/ledger': ({ query }) => admin.ledgerEntries(query as In<typeof S.LedgerQuery>),
      'GET /admin/archive': ({ query }) => admin.archive(query as In<typeof S.ArchiveQuery>),
      'GET /admin/archive/{queryId}': ({ params }) => admin.archiveRecord(params.queryId as string),
      'GET /admin/audit': ({ query }) => admin.audit((query as In<typeof S.VerifyQuery>).dataset),
      'GET /admin/config': () => admin.dump()
    },
    logger
  );
}
