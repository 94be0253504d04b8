import type { DeriveColumn, Step } from '../plan';
import { bounded, hasBounds } from './domain';
import { checkExpr, isNumeric, shown } from './expr';
import { FUNCTION_RULES } from './functions';
import { typeMismatch } from './messages';
import { columnOf, type CheckContext, type Scope } from './scope';
import type { ColumnInfo, Domain, RExpr, RStep, ValueType } from './types';

/** Checks one step against the columns in scope; returns it resolved, and the scope after it. */
export function checkStep(step: Step, ctx: CheckContext): { step: RStep; scope: Scope } {
  switch (step.op) {
    case 'filter': {
      const p = checkExpr(step.predicate, ctx);
      if (p.type !== 'boolean')
        throw typeMismatch(
          shown(step.predicate),
          p.type,
          'a boolean (a filter keeps rows where it is true)'
        );
      return { step: { kind: 'filter', predicate: p }, scope: ctx.scope };
    }
    case 'select': {
      const next = new Map<string, ColumnInfo>();
      for (const c of step.columns) next.set(c, columnOf(ctx, c));
      return { step: { kind: 'select', columns: [...step.columns] }, scope: next };
    }
    case 'derive': {
      // Every column of one derive step reads the step's input: none sees another.
      const next = new Map<string, ColumnInfo>(ctx.scope);
      const columns = Object.entries(step.columns).map(([name, d]) => {
        const expr = derivedColumn(name, d, ctx);
        next.set(name, { name, type: expr.type, dom: expr.dom });
        return { name, expr };
      });
      return { step: { kind: 'derive', columns }, scope: next };
    }
  }
}

/** A derived column: its expression, then its declared type, bounds and categories (enforced). */
function derivedColumn(name: string, d: DeriveColumn, ctx: CheckContext): RExpr {
  let e = checkExpr(d.expr, ctx);
  if (d.type && d.type !== e.type) {
    if ((isNumeric(d.type) && isNumeric(e.type)) || d.type === 'string') e = castNode(e, d.type);
    else
      throw typeMismatch(
        name,
        e.type,
        d.type,
        `Declare type "${e.type}" or change the expression.`
      );
  }
  if (d.lower !== undefined || d.upper !== undefined) {
    if (!isNumeric(e.type))
      throw typeMismatch(name, e.type, 'a number (lower/upper only apply to numbers)');
    // Declared bounds are public claims; they are enforced by clamping, so they are true.
    e = clampNode(e, d.lower ?? e.dom.lower, d.upper ?? e.dom.upper);
  }
  if (d.categories !== undefined) {
    if (e.type !== 'string')
      throw typeMismatch(name, e.type, 'a string (categories only apply to strings)');
    e = categoriesNode(e, d.categories);
  }
  return e;
}

/** Conversion node (int↔float, anything → string). */
function castNode(e: RExpr, to: ValueType): RExpr {
  const dom: Domain =
    to === 'int'
      ? bounded(
          e.dom.lower !== undefined ? Math.round(e.dom.lower) : undefined,
          e.dom.upper !== undefined ? Math.round(e.dom.upper) : undefined,
          e.dom.nullable || !hasBounds(e.dom),
          true
        )
      : to === 'float'
        ? { ...e.dom }
        : { nullable: e.dom.nullable };
  return { k: 'cast', arg: e, type: to, dom };
}

/** One side of a clamp: max(e, bound) or min(e, bound). */
function clampSide(e: RExpr, fn: 'max' | 'min', bound: number): RExpr {
  const lit: RExpr = {
    k: 'lit',
    value: bound,
    type: Number.isSafeInteger(bound) ? 'int' : 'float',
    dom: { lower: bound, upper: bound, nullable: false }
  };
  return {
    k: 'call',
    fn,
    args: [e, lit],
    type: e.type === 'int' && lit.type === 'int' ? 'int' : 'float',
    dom: FUNCTION_RULES[fn].domain([e, lit], 'float')
  };
}

/** Enforces declared numeric bounds: min(max(e, lo), hi), with the declared domain. */
function clampNode(e: RExpr, lo: number | undefined, hi: number | undefined): RExpr {
  let out = e;
  if (lo !== undefined) out = clampSide(out, 'max', lo);
  if (hi !== undefined) out = clampSide(out, 'min', hi);
  // The declared bounds hold after clamping, whatever was inferred.
  const dom: Domain = { ...out.dom, nullable: e.dom.nullable };
  if (lo !== undefined) dom.lower = lo;
  if (hi !== undefined) dom.upper = hi;
  if (dom.lower !== undefined && dom.upper === undefined) delete dom.lower;
  if (dom.upper !== undefined && dom.lower === undefined) delete dom.upper;
  return { ...out, dom };
}

/** Enforces declared categories: values outside the list become NULL. */
function categoriesNode(e: RExpr, categories: string[]): RExpr {
  const cats = [...new Set(categories)];
  const test: RExpr = {
    k: 'logic',
    op: 'or',
    args: cats.map(c => ({
      k: 'cmp',
      op: '==',
      left: e,
      right: { k: 'lit', value: c, type: 'string', dom: { nullable: false, categories: [c] } },
      type: 'boolean',
      dom: { nullable: e.dom.nullable }
    })),
    type: 'boolean',
    dom: { nullable: e.dom.nullable }
  };
  const nul: RExpr = { k: 'lit', value: null, type: 'string', dom: { nullable: true } };
  return {
    k: 'cond',
    test,
    then: e,
    else: nul,
    type: 'string',
    dom: { categories: cats, nullable: true }
  };
}
