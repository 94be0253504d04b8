import {
  LomasError,
  parseSqlRequest,
  type Budget,
  type QueryPlan,
  type ReleaseResponse,
  type SqlReleaseResponse,
  type SqlRequest
} from 'lomas-kernel/protocol';
import { applyPostProcess, compileSql, locate, type CompiledSql } from 'lomas-kernel/sql';
import type { DatasetRecord, Store } from '../store/types';
import { datasetAccess } from './access';
import { checkDeltaWithinLimits } from './planning';
import { prepare } from './queries';
import type { Principal, QueryService, SqlService } from './types';

/** Errors of the plan's checks that point at a part of the query (and so at its SQL). */
const PLAN_ERRORS = new Set([
  'INVALID_PLAN',
  'UNKNOWN_COLUMN',
  'TYPE_MISMATCH',
  'PRIVACY_RULE',
  'UNSUPPORTED_EXPRESSION',
  'INVALID_PARAMETER'
]);

/** The server's checks of a plan before any charge (as the query pipeline runs them). */
function serverChecks(dataset: DatasetRecord, grant: Budget | null) {
  return (plan: QueryPlan): void => {
    checkDeltaWithinLimits(prepare(plan, dataset).planned, dataset, grant);
  };
}

/**
 * The SQL front end on the server: compile the text into a plan (the server is the authority; a
 * notebook's own compile only fails early), then answer that plan through the query service,
 * unchanged: same checks, same cost, same charge before any data, same archive (which also keeps
 * the SQL). Errors of the plan's checks come back placed on the SQL, with a caret.
 */
export function createSqlService(store: Store, queries: QueryService): SqlService {
  async function placed<T>(who: Principal, c: CompiledSql, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof LomasError) || !PLAN_ERRORS.has(err.code)) throw err;
      const { dataset, grant } = await datasetAccess(store, who, c.plan.dataset);
      throw locate(err, c, serverChecks(dataset, grant ? grant.budget : null));
    }
  }

  function compile(body: unknown): { req: SqlRequest; compiled: CompiledSql } {
    const req = parseSqlRequest(body);
    return { req, compiled: compileSql(req) };
  }

  function released(release: ReleaseResponse, req: SqlRequest, c: CompiledSql): SqlReleaseResponse {
    return {
      ...applyPostProcess(release, c.post),
      plan: c.plan,
      sql: { text: req.sql, postprocess: c.post }
    };
  }

  return {
    async estimate(who, body) {
      const { compiled } = compile(body);
      const e = await placed(who, compiled, () => queries.estimate(who, compiled.plan));
      return { ...e, plan: compiled.plan };
    },
    async dummy(who, body) {
      const { req, compiled } = compile(body);
      const r = await placed(who, compiled, () => queries.dummy(who, compiled.plan));
      return released(r, req, compiled);
    },
    async run(who, body, idempotencyKey) {
      const { req, compiled } = compile(body);
      const sql = {
        text: req.sql,
        ...(req.params ? { params: req.params } : {}),
        ...(req.options ? { options: req.options } : {}),
        postprocess: compiled.post
      };
      const r = await placed(who, compiled, () =>
        queries.run(who, compiled.plan, idempotencyKey, { sql })
      );
      return released(r, req, compiled);
    }
  };
}
