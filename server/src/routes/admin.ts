import { Router, type Request } from 'express';
import { createAdminService, type AdminDeps, type AdminService } from '../admin/service';
import { requireAdmin } from '../http/authenticate';
import { principalOf } from '../http/principal';
import * as S from '../http/schemas';
import { parseBody, parseParams } from '../http/validate';

/**
 * The admin route, mounted at /admin after `authenticate` (app.ts); it checks the admin role
 * itself (requireAdmin first), whatever the mounting does. Every body,
 * path parameter and query string is checked against the strict zod schemas of http/schemas.ts,
 * the same ones the OpenAPI document is generated from (http/openapi.ts).
 */
export function adminRouter(deps: AdminDeps | { service: AdminService }): Router {
  const admin = 'service' in deps ? deps.service : createAdminService(deps);
  const r = Router();
  r.use(requireAdmin);
  const noQuery = (req: Request) => parseParams(S.EmptyQuery, req.query);

  // ----- users and keys -----
  r.get('/users', async (req, res) => {
    noQuery(req);
    res.json(await admin.listUsers());
  });
  r.post('/users', async (req, res) => {
    noQuery(req);
    const body = parseBody(S.CreateUserBody, req.body);
    res.status(201).json(await admin.createUser(body));
  });
  r.get('/users/:name', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.UserParams, req.params);
    res.json(await admin.getUser(name));
  });
  r.patch('/users/:name', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.UserParams, req.params);
    const body = parseBody(S.PatchUserBody, req.body);
    res.json(await admin.setActive(principalOf(res).user, name, body.active));
  });
  r.get('/users/:name/keys', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.UserParams, req.params);
    res.json(await admin.listKeys(name));
  });
  r.post('/users/:name/keys', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.UserParams, req.params);
    const body = parseBody(S.IssueKeyBody, req.body ?? {});
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(await admin.issueKey(name, body.label));
  });
  r.delete('/keys/:id', async (req, res) => {
    noQuery(req);
    const { id } = parseParams(S.KeyParams, req.params);
    res.json(await admin.revokeKey(id));
  });

  // ----- grants -----
  r.get('/grants', async (req, res) => {
    const q = parseParams(S.GrantsQuery, req.query);
    res.json(await admin.listGrants(q));
  });
  r.get('/grants/:dataset/:user', async (req, res) => {
    noQuery(req);
    const p = parseParams(S.GrantParams, req.params);
    res.json(await admin.getGrant(p.dataset, p.user));
  });
  r.put('/grants/:dataset/:user', async (req, res) => {
    noQuery(req);
    const p = parseParams(S.GrantParams, req.params);
    const body = parseBody(S.BudgetInput, req.body);
    res.json(await admin.setGrant(principalOf(res).user, p.dataset, p.user, body));
  });
  for (const direction of ['raise', 'lower'] as const) {
    r.post(`/grants/:dataset/:user/${direction}`, async (req, res) => {
      noQuery(req);
      const p = parseParams(S.GrantParams, req.params);
      const body = parseBody(S.GrantAdjustBody, req.body);
      res.json(await admin.adjustGrant(principalOf(res).user, p.dataset, p.user, body, direction));
    });
  }

  // ----- datasets -----
  r.get('/datasets', async (req, res) => {
    noQuery(req);
    res.json(await admin.listDatasets());
  });
  r.post('/datasets', async (req, res) => {
    noQuery(req);
    const body = parseBody(S.CreateDatasetBody, req.body);
    res.status(201).json(await admin.createDataset(principalOf(res).user, body));
  });
  r.get('/datasets/:name', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.DatasetParams, req.params);
    res.json(await admin.getDataset(name));
  });
  r.patch('/datasets/:name', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.DatasetParams, req.params);
    const body = parseBody(S.UpdateDatasetBody, req.body);
    res.json(await admin.updateDataset(principalOf(res).user, name, body));
  });
  r.delete('/datasets/:name', async (req, res) => {
    noQuery(req);
    const { name } = parseParams(S.DatasetParams, req.params);
    res.json(await admin.removeDataset(name));
  });

  // ----- ledger, archive, audit, configuration -----
  r.get('/ledger', async (req, res) => {
    const q = parseParams(S.LedgerQuery, req.query);
    res.json(await admin.ledgerEntries(q));
  });
  r.get('/archive', async (req, res) => {
    const q = parseParams(S.ArchiveQuery, req.query);
    res.json(await admin.archive(q));
  });
  r.get('/archive/:queryId', async (req, res) => {
    noQuery(req);
    const { queryId } = parseParams(S.ArchiveParams, req.params);
    res.json(await admin.archiveRecord(queryId));
  });
  r.get('/audit', async (req, res) => {
    const q = parseParams(S.VerifyQuery, req.query);
    res.json(await admin.audit(q.dataset));
  });
  r.get('/config', async (req, res) => {
    noQuery(req);
    res.json(await admin.dump());
  });
  return r;
}
