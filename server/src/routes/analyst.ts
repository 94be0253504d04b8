import { Router, type Response } from 'express';
import { LomasError } from 'lomas-kernel/protocol';
import { principalOf } from '../http/principal';
import type { SyntheticService } from '../domain/synthetic';
import type { AnalystService, QueryService } from '../domain/types';

function intParam(
  value: unknown,
  name: string,
  min: number,
  max: number,
  fallback: number
): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new LomasError('INVALID_PARAMETER', {
      parameter: name,
      rule: `an integer from ${min} to ${max}`
    });
  return n;
}

function idempotencyKey(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]{8,128}$/.test(value))
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'Idempotency-Key',
      rule: '8 to 128 characters from letters, digits and _.:-'
    });
  return value;
}

/**
 * Aborts when the client goes away before its answer is sent (the analyst interrupted the
 * kernel): a charged request still waiting for its turn is then dropped, uncharged.
 */
function clientSignal(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

function queryIdParam(value: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(value))
    throw new LomasError('INVALID_PARAMETER', { parameter: 'queryId', rule: 'a query id' });
  return value;
}

/** Routes of an authenticated analyst: only their own datasets, budgets and history. */
export function analystRouter(
  analyst: AnalystService,
  queries: QueryService,
  synthetic: SyntheticService
): Router {
  const r = Router();
  r.get('/me', (_req, res) => {
    const p = principalOf(res);
    res.json({ user: p.user, role: p.role });
  });
  r.get('/me/budgets', async (_req, res) => {
    res.json(await analyst.budgets(principalOf(res)));
  });
  r.get('/datasets', async (_req, res) => {
    res.json(await analyst.datasets(principalOf(res)));
  });
  r.get('/datasets/:name', async (req, res) => {
    res.json(await analyst.metadata(principalOf(res), req.params.name));
  });
  r.get('/datasets/:name/budget', async (req, res) => {
    res.json(await analyst.budget(principalOf(res), req.params.name));
  });
  r.get('/datasets/:name/dummy', async (req, res) => {
    const rows = intParam(req.query.rows, 'rows', 1, 100000, 100);
    const seed = intParam(req.query.seed, 'seed', 0, 2 ** 31 - 1, 0);
    res.json(await analyst.dummyRows(principalOf(res), req.params.name, rows, seed));
  });
  r.get('/queries', async (req, res) => {
    const dataset = typeof req.query.dataset === 'string' ? req.query.dataset : undefined;
    const limit = intParam(req.query.limit, 'limit', 1, 1000, 100);
    res.json(await analyst.history(principalOf(res), dataset, limit));
  });
  r.get('/charges/:idempotencyKey', async (req, res) => {
    const key = idempotencyKey(req.params.idempotencyKey);
    res.json(await analyst.charge(principalOf(res), key!));
  });
  r.post('/queries/estimate', async (req, res) => {
    res.json(await queries.estimate(principalOf(res), req.body));
  });
  r.post('/queries/dummy', async (req, res) => {
    res.json(await queries.dummy(principalOf(res), req.body));
  });
  r.post('/queries', async (req, res) => {
    const key = idempotencyKey(req.headers['idempotency-key']);
    res.json(await queries.run(principalOf(res), req.body, key, clientSignal(res)));
  });
  r.post('/synthetic/estimate', async (req, res) => {
    res.json(await synthetic.estimate(principalOf(res), req.body));
  });
  r.post('/synthetic/dummy', async (req, res) => {
    res.json(await synthetic.dummy(principalOf(res), req.body));
  });
  r.post('/synthetic', async (req, res) => {
    const key = idempotencyKey(req.headers['idempotency-key']);
    res.json(await synthetic.run(principalOf(res), req.body, key, clientSignal(res)));
  });
  r.get('/synthetic/:queryId', async (req, res) => {
    res.json(await synthetic.archived(principalOf(res), queryIdParam(req.params.queryId)));
  });
  return r;
}
