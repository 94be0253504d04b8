/**
 * lomas-kernel/sql: the SQL front end. SQL text is compiled into the same QueryPlan the builder
 * emits, then checked and answered exactly like it; the text is never executed.
 *
 *   const { plan, post } = compileSql({ sql: 'SELECT species, COUNT(*) AS n FROM df GROUP BY species',
 *                                       dataset: 'penguins', options: { epsilon: 1 } });
 *
 * The same compiler runs in the notebook (to fail early, with a caret under the SQL) and on the
 * server (the authority). See docs in compile.ts, expr.ts and aggregates.ts for the subset.
 */
import { LomasError } from '../errors';
import { parsePlan } from '../plan';
import type { SqlRequest } from '../sqlRequest';
import { compileToPlan, type CompiledSql } from './compile';
import { locate, type PlanCheck } from './locate';

export { type CompiledSql } from './compile';
export { locate, probe, spanOf, type PlanCheck } from './locate';
export { applyPostProcess, evaluate } from './post';
export { SqlSource, atSpan, type Span, type SqlLocation } from './source';
export { SQL_FUNCTIONS } from './expr';
export { KEYWORD_REFUSALS } from './refusals';

/**
 * Compiles SQL into a schema-valid plan. `check` runs further plan checks (the rule checker with
 * the dataset's metadata, the server's planning); every error comes back placed on the SQL.
 */
export function compileSql(req: SqlRequest, check?: PlanCheck): CompiledSql {
  const compiled = compileToPlan(req);
  try {
    compiled.plan = parsePlan(compiled.plan);
    check?.(compiled.plan);
  } catch (e) {
    throw locate(e, compiled, check ? p => (parsePlan(p), check(p)) : p => void parsePlan(p));
  }
  return compiled;
}

export { LomasError };
