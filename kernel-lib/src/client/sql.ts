/**
 * SQL in a notebook: `lomas.sql({ epsilon: 1 })\`SELECT … WHERE island = ${island}\`` or
 * `dataset.sql('SELECT … FROM df …', { epsilon: 1 })`. Both return the builder's own
 * SendableQuery (estimate, dummy, run; tables and charts), whose plan is the compiled SQL.
 *
 * The text is compiled here first, so a mistake fails at once with a caret under the SQL; then
 * the SQL itself is sent to the server, which compiles it again as the authority. Interpolated
 * values become bound parameters ($1, $2, …): they are never spliced into the text.
 */
import { LomasError } from '../protocol/errors';
import { PLAN_LIMITS, type Scalar } from '../protocol/plan';
import type { EstimateResponse } from '../protocol/result';
import type { SqlOptions, SqlParam, SqlRequest } from '../protocol/sqlRequest';
import { compileSql } from '../protocol/sql';
import { SendableQuery } from '../query/builder';
import type { QueryRunner } from '../query/runner';
import type { QueryResult } from './result';
import type { Runner } from './runner';

export type SqlQuery = SendableQuery<EstimateResponse, QueryResult>;
/** A template tag: `tag\`SELECT …\``. */
export type SqlTag = (strings: TemplateStringsArray, ...values: unknown[]) => SqlQuery;
/** Options of `dataset.sql(text, options)`: the query's options and its $n parameters. */
export type SqlCallOptions = SqlOptions & { params?: SqlParam[] };

function isTemplate(v: unknown): v is TemplateStringsArray {
  return Array.isArray(v) && Array.isArray((v as unknown as { raw?: unknown }).raw);
}

function scalar(v: unknown, where: string): Scalar {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') {
    if (typeof v === 'string' && v.length > PLAN_LIMITS.stringLength)
      throw badValue(where, `a string of at most ${PLAN_LIMITS.stringLength} characters`);
    return v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString();
  throw badValue(where, 'a string, a finite number, a boolean, null or a Date');
}

function badValue(where: string, rule: string): LomasError {
  return new LomasError('INVALID_PARAMETER', {
    parameter: where,
    rule: `an interpolated value must be ${rule}`,
    fix: 'Interpolate plain values (or a list of them for IN (${list})); they are sent as bound parameters.'
  });
}

/**
 * A tagged template as SQL text with $1 … $n and the values as parameters. The text between the
 * values is taken as written (the raw strings are not used), and no value enters it.
 */
export function templateRequest(
  strings: TemplateStringsArray,
  values: readonly unknown[]
): { sql: string; params: SqlParam[] } {
  let sql = strings[0];
  const params: SqlParam[] = values.map((v, i) => {
    sql += `$${i + 1}${strings[i + 1]}`;
    const where = `\${…} #${i + 1}`;
    return Array.isArray(v) ? v.map(x => scalar(x, where)) : scalar(v, where);
  });
  return { sql, params };
}

/** A SendableQuery for an SQL request: compiled here (fail early), answered from the SQL. */
export function sqlQuery(runner: Runner, request: SqlRequest): SqlQuery {
  const compiled = compileSql(request);
  const sent = JSON.parse(JSON.stringify(request)) as SqlRequest;
  const viaSql: QueryRunner<EstimateResponse, QueryResult> = {
    estimate: () => runner.estimate(sent, 'sql'),
    dummy: () => runner.dummy(sent, 'sql'),
    run: (_plan, opts) => runner.run(sent, opts, 'sql')
  };
  return new SendableQuery<EstimateResponse, QueryResult>(compiled.plan, viaSql);
}

/**
 * `sql(options)` gives a tag; `sql\`…\`` (no options) compiles at once, and is refused for want of
 * a budget with advice to write `sql({ epsilon: … })\`…\``.
 */
export function sqlEntry(
  runner: Runner,
  dataset: string | undefined,
  first: TemplateStringsArray | SqlOptions,
  values: readonly unknown[]
): SqlQuery | SqlTag {
  const tag =
    (options: SqlOptions): SqlTag =>
    (strings, ...vs) =>
      sqlQuery(runner, { ...templateRequest(strings, vs), dataset, options });
  if (isTemplate(first)) return tag({})(first, ...values);
  return tag(first);
}
