import { toExpr, type ExprInput, type Params } from '../expr/parse';
import { LomasError } from '../protocol/errors';
import { DeriveColumnSchema, PLAN_LIMITS, type DeriveColumn, type Expr } from '../protocol/plan';
import { columnsOf, requireColumn, type ColumnInfo } from './columns';
import type { DeriveSpec } from './options';
import { checkName, invalidParameter, type QueryState } from './state';

export type DeriveInput = ExprInput | DeriveSpec<ExprInput>;

function isSpec(v: DeriveInput): v is DeriveSpec<ExprInput> {
  return typeof v === 'object' && v !== null && 'expr' in v && !('kind' in v);
}

function inferType(e: Expr): string {
  switch (e.kind) {
    case 'binary':
      return ['==', '!=', '<', '<=', '>', '>='].includes(e.op) ? 'boolean' : 'unknown';
    case 'logical':
    case 'isnull':
      return 'boolean';
    case 'unary':
      return e.op === '!' ? 'boolean' : 'unknown';
    case 'lit':
      return typeof e.value === 'string'
        ? 'string'
        : typeof e.value === 'boolean'
          ? 'boolean'
          : 'unknown';
    default:
      return 'unknown';
  }
}

/**
 * derive({ name: d => ..., other: { expr: d => ..., lower: 0, upper: 10 } }, { params }): add
 * row-wise columns. Columns of one derive step read the columns before it, not each other.
 */
export function derive(
  state: QueryState,
  columns: Readonly<Record<string, DeriveInput>>,
  opts: { params?: Params } = {}
): QueryState {
  if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'derive',
      rule: 'derive takes an object of new columns',
      fix: 'Write .derive({ mass_kg: d => d.body_mass_g / 1000 }).'
    });
  }
  const entries = Object.entries(columns);
  if (entries.length === 0 || entries.length > PLAN_LIMITS.columnsPerStep) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'derive',
      rule: `derive adds 1 to ${PLAN_LIMITS.columnsPerStep} columns`,
      fix: 'Write .derive({ mass_kg: d => d.body_mass_g / 1000 }).'
    });
  }
  const out: Record<string, DeriveColumn> = {};
  const next = state.columns === null ? null : new Map<string, ColumnInfo>(state.columns);
  for (const [name, input] of entries) {
    checkName(name, 'derive');
    const spec = isSpec(input) ? input : { expr: input };
    const expr = toExpr(spec.expr, opts.params);
    for (const c of columnsOf(expr)) requireColumn(state.dataset, state.columns, c);
    const column: DeriveColumn = { expr };
    if (spec.type !== undefined) column.type = spec.type;
    if (spec.lower !== undefined) column.lower = spec.lower;
    if (spec.upper !== undefined) column.upper = spec.upper;
    if (spec.categories !== undefined) column.categories = [...spec.categories];
    const r = DeriveColumnSchema.safeParse(column);
    if (!r.success)
      throw invalidParameter(
        `derive.${name}`,
        r.error.issues.map(i => ({ ...i, path: [name, ...i.path] }))
      );
    out[name] = column;
    next?.set(name, {
      type: spec.type ?? inferType(expr),
      lower: spec.lower,
      upper: spec.upper,
      categories: spec.categories
    });
  }
  return { ...state, columns: next, steps: [...state.steps, { op: 'derive', columns: out }] };
}
