import { Router, type NextFunction, type Request, type Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import type { LomasService, RefusedLibrary } from '../domain/lomas';
import { lomasException } from '../domain/lomasWire';
import { toLomasError } from '../http/errorHandler';
import {
  LomasDatasetRequest,
  LomasDummyDatasetRequest,
  LomasSqlCostRequest,
  LomasSqlDummyRequest,
  LomasSqlQueryRequest
} from '../http/lomasSchemas';
import { principalOf } from '../http/principal';
import { parseBody } from '../http/validate';
import type { Logger } from '../logger';

/** The client's calls that this server refuses, by library (see domain/lomas.ts). */
const REFUSED: Record<string, RefusedLibrary> = {
  estimate_opendp_cost: 'opendp',
  opendp_query: 'opendp',
  dummy_opendp_query: 'opendp',
  estimate_diffprivlib_cost: 'diffprivlib',
  diffprivlib_query: 'diffprivlib',
  dummy_diffprivlib_query: 'diffprivlib',
  estimate_smartnoise_synth_cost: 'smartnoise_synth',
  smartnoise_synth_query: 'smartnoise_synth',
  dummy_smartnoise_synth_query: 'smartnoise_synth'
};

const JOB_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The routes of lomas-client 0.5.1, mounted under /lomas (the client's `app_url` is
 * `https://<server>/lomas`): `POST /<name>` with a JSON body naming `dataset_name`, and
 * `GET /status/{uid}` for the jobs that cost and query calls answer with (202). Authenticated like
 * every route (OpenID Connect access token or API key); bodies checked by the schemas in
 * http/lomasSchemas.ts; every error in the client's own exception types (lomasErrors below).
 */
export function lomasRouter(lomas: LomasService): Router {
  const r = Router();
  const dataset = (req: Request) => parseBody(LomasDatasetRequest, req.body).dataset_name;

  r.post('/get_dataset_metadata', async (req, res) => {
    res.json(await lomas.metadata(principalOf(res), dataset(req)));
  });
  r.post('/get_dummy_dataset', async (req, res) => {
    const b = parseBody(LomasDummyDatasetRequest, req.body);
    res.json(
      await lomas.dummyDataset(principalOf(res), b.dataset_name, b.dummy_nb_rows, b.dummy_seed)
    );
  });
  r.post('/get_initial_budget', async (req, res) => {
    res.json((await lomas.budgets(principalOf(res), dataset(req))).initial);
  });
  r.post('/get_total_spent_budget', async (req, res) => {
    res.json((await lomas.budgets(principalOf(res), dataset(req))).spent);
  });
  r.post('/get_remaining_budget', async (req, res) => {
    res.json((await lomas.budgets(principalOf(res), dataset(req))).remaining);
  });
  r.post('/get_previous_queries', async (req, res) => {
    res.json(await lomas.previousQueries(principalOf(res), dataset(req)));
  });
  r.post('/estimate_smartnoise_sql_cost', async (req, res) => {
    const job = await lomas.sqlCost(principalOf(res), parseBody(LomasSqlCostRequest, req.body));
    res.status(202).json({ uid: job.uid });
  });
  r.post('/smartnoise_sql_query', async (req, res) => {
    const job = await lomas.sqlQuery(principalOf(res), parseBody(LomasSqlQueryRequest, req.body));
    res.status(202).json({ uid: job.uid });
  });
  r.post('/dummy_smartnoise_sql_query', async (req, res) => {
    const job = await lomas.sqlDummy(principalOf(res), parseBody(LomasSqlDummyRequest, req.body));
    res.status(202).json({ uid: job.uid });
  });
  for (const [name, library] of Object.entries(REFUSED)) {
    r.post(`/${name}`, async (req, res) => {
      const body = req.body as { dataset_name?: unknown } | undefined;
      await lomas.refuse(principalOf(res), library, body?.dataset_name);
    });
  }
  r.get('/status/:uid', (req, res) => {
    const uid = req.params.uid;
    if (!JOB_UID.test(uid))
      throw new LomasError('INVALID_PARAMETER', { parameter: 'uid', rule: 'a job uid (a UUID)' });
    res.json(lomas.status(principalOf(res), uid));
  });
  r.use((req: Request) => {
    throw new LomasError('NOT_FOUND', { what: `Route ${req.method} /lomas${req.path}` });
  });
  return r;
}

/**
 * The error handler of /lomas: the client reads a typed body (InvalidQueryException,
 * ExternalLibraryException, UnauthorizedAccessException, InternalServerException) whatever the
 * status. Also for failures before the router (authentication, body parsing, rate limits).
 * Anything untyped is logged and becomes InternalServerException: never a stack trace.
 */
export function lomasErrors(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let e = toLomasError(err);
    if (!e) {
      logger.error({ err, path: req.path, reqId: res.locals.reqId }, 'unhandled error');
      e = new LomasError('INTERNAL');
    }
    if (res.headersSent) return;
    const { status, body } = lomasException(e);
    if (e.code === 'RATE_LIMITED' && typeof e.details.retryAfter === 'number')
      res.setHeader('Retry-After', String(e.details.retryAfter));
    res.status(status).json(body);
  };
}
