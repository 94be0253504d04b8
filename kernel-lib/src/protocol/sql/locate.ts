/**
 * Places an error of the plan's own checks (the schema, the rule checker, the server's planning)
 * on the SQL that produced the offending part of the plan. The rules stay where they are written;
 * this module only finds where, and rewrites the advice in SQL terms where the plan's advice names
 * builder options.
 *
 * Where the error carries a plan path (`details.path`, or the schema's `details.issues[0].path`),
 * that path is looked up in the compiler's source map. Otherwise the plan is probed: smaller plans
 * made of its parts (the steps one by one, the group-by, each aggregation alone, then the smallest
 * failing sub-expression) are checked again, and the first part that fails the same way is the
 * one to show. Probing costs a few checks, on the error path only.
 */
import { LomasError } from '../errors';
import { PLAN_VERSION, type Aggregation, type Expr, type QueryPlan, type Step } from '../plan';
import type { CompiledSql } from './compile';
import { atSpan, type Span } from './source';
import { SQL_PLAN_FIXES } from './refusals';

/** A check of a plan: throws a LomasError when the plan breaks a rule. */
export type PlanCheck = (plan: QueryPlan) => void;

/** The span recorded for a plan path, or for its closest recorded ancestor. */
export function spanOf(c: CompiledSql, path: string): Span | undefined {
  let p = path;
  for (;;) {
    const s = c.sourceMap.get(p);
    if (s) return s;
    const cut = p.lastIndexOf('.');
    if (cut < 0) return undefined;
    p = p.slice(0, cut);
  }
}

/** A plan path as the checks give it: "a.0.b" or ["a", 0, "b"]. */
function pathText(p: unknown): string | undefined {
  if (typeof p === 'string') return p === '(plan)' || p === '' ? undefined : p;
  if (
    Array.isArray(p) &&
    p.length > 0 &&
    p.every(x => typeof x === 'string' || typeof x === 'number')
  )
    return p.join('.');
  return undefined;
}

function errorPath(err: LomasError): string | undefined {
  const d = err.details;
  const issues = d.issues as Array<{ path?: unknown }> | undefined;
  return pathText(d.path) ?? (Array.isArray(issues) ? pathText(issues[0]?.path) : undefined);
}

const PROBE_COUNT: Aggregation = { op: 'count' };

function sameFailure(err: LomasError, check: PlanCheck, plan: QueryPlan): boolean {
  try {
    check(plan);
    return false;
  } catch (e) {
    return e instanceof LomasError && e.code === err.code && e.details.rule === err.details.rule;
  }
}

/** Sub-expressions of an expression with their paths, deepest first (post-order). */
function subExpressions(e: Expr, path: string): Array<[Expr, string]> {
  const out: Array<[Expr, string]> = [];
  const visit = (x: Expr, p: string) => {
    if (x.kind === 'unary' || x.kind === 'isnull') visit(x.arg, `${p}.arg`);
    else if (x.kind === 'binary' || x.kind === 'logical') {
      visit(x.left, `${p}.left`);
      visit(x.right, `${p}.right`);
    } else if (x.kind === 'cond') {
      visit(x.test, `${p}.test`);
      visit(x.then, `${p}.then`);
      visit(x.else, `${p}.else`);
    } else if (x.kind === 'call') x.args.forEach((a, i) => visit(a, `${p}.args.${i}`));
    out.push([x, p]);
  };
  visit(e, path);
  return out;
}

/** Finds the plan path of the part that makes `plan` fail like `err`. */
export function probe(plan: QueryPlan, err: LomasError, check: PlanCheck): string | undefined {
  const budget = plan.budget ?? { epsilon: 1 };
  const base = (steps: Step[], extra: Partial<QueryPlan> = {}): QueryPlan => ({
    version: PLAN_VERSION,
    dataset: plan.dataset,
    steps,
    aggregations: [PROBE_COUNT],
    budget,
    ...extra
  });
  const fails = (p: QueryPlan) => sameFailure(err, check, p);
  if (fails(base([]))) return undefined;
  for (let i = 0; i < plan.steps.length; i++) {
    const before = plan.steps.slice(0, i);
    if (!fails(base(plan.steps.slice(0, i + 1)))) continue;
    return probeStep(plan.steps[i], `steps.${i}`, before, base, fails);
  }
  if (plan.groupby && fails(base(plan.steps, { groupby: plan.groupby }))) {
    const k = plan.groupby.keys.findIndex(key =>
      fails(
        base(plan.steps, {
          groupby: { ...plan.groupby!, keys: [key], values: pick(plan.groupby!.values, key) }
        })
      )
    );
    return k >= 0 ? `groupby.keys.${k}` : 'groupby';
  }
  const i = plan.aggregations.findIndex(a =>
    fails({
      ...base(plan.steps),
      groupby: plan.groupby,
      aggregations: [a],
      confidence: plan.confidence
    })
  );
  return i >= 0 ? `aggregations.${i}` : undefined;
}

function pick<T>(r: Record<string, T> | undefined, key: string): Record<string, T> | undefined {
  return r && key in r ? { [key]: r[key] } : undefined;
}

function probeStep(
  step: Step,
  path: string,
  before: Step[],
  base: (steps: Step[]) => QueryPlan,
  fails: (p: QueryPlan) => boolean
): string {
  const exprs: Array<[Expr, string]> =
    step.op === 'filter'
      ? [[step.predicate, `${path}.predicate`]]
      : step.op === 'derive'
        ? Object.entries(step.columns).map(([n, c]) => [c.expr, `${path}.columns.${n}.expr`])
        : [];
  for (const [root, rootPath] of exprs) {
    // The smallest sub-expression that fails on its own (as a derived column) is the culprit.
    for (const [x, p] of subExpressions(root, rootPath))
      if (fails(base([...before, { op: 'derive', columns: { lomas_probe: { expr: x } } }])))
        return p;
  }
  // A filter can fail as a whole (a predicate that is not boolean).
  return step.op === 'filter' ? `${path}.predicate` : path;
}

/** SQL words for the advice of the rules whose fix names builder options. */
function sqlFix(err: LomasError, plan: QueryPlan, path: string | undefined): string | undefined {
  const rule = err.details.rule;
  const index = path?.match(/^aggregations\.(\d+)/)?.[1];
  const agg = index !== undefined ? plan.aggregations[Number(index)] : undefined;
  if (rule === 'bounded-contribution') {
    return SQL_PLAN_FIXES.bounds(agg?.as ?? agg?.column ?? 'column');
  }
  if (
    err.code === 'INVALID_PLAN' &&
    /\.as$/.test(path ?? '') &&
    /used twice/.test(String(err.details.problem))
  )
    return SQL_PLAN_FIXES.aliasTwice();
  if (err.code === 'INVALID_PLAN' && String(err.details.fix ?? '').startsWith('Build plans with'))
    return SQL_PLAN_FIXES.builderOnly();
  if (rule === 'public-group-keys') {
    const k = path?.match(/^groupby\.keys\.(\d+)/)?.[1];
    const key = k !== undefined ? plan.groupby?.keys[Number(k)] : plan.groupby?.keys[0];
    return SQL_PLAN_FIXES.groupKeys(key);
  }
  return undefined;
}

/**
 * The error `err` raised by checking `compiled.plan`, placed on the SQL. `check` (the same checks
 * that raised it) lets errors without a plan path be found by probing.
 */
export function locate(err: unknown, compiled: CompiledSql, check?: PlanCheck): unknown {
  if (!(err instanceof LomasError) || err.details.sql !== undefined) return err;
  let path = errorPath(err);
  if (path === undefined && check) {
    try {
      path = probe(compiled.plan, err, check);
    } catch {
      path = undefined;
    }
  }
  const fix = sqlFix(err, compiled.plan, path);
  let e = err;
  if (fix !== undefined) {
    const facts = { ...err.details, fix } as Record<string, string | number | undefined>;
    e = new LomasError(err.code, facts);
  }
  if (path !== undefined) e.details.planPath = path;
  return atSpan(e, compiled.source, path === undefined ? undefined : spanOf(compiled, path));
}
