import { readExpr, type ExprInput, type Params } from '../expr/parse';
import { LomasError } from '../protocol/errors';
import type { DeriveSpec } from './options';
import { addStep, type QueryState } from './state';

export type DeriveInput = ExprInput | DeriveSpec<ExprInput>;

function isSpec(v: DeriveInput): v is DeriveSpec<ExprInput> {
  return typeof v === 'object' && v !== null && 'expr' in v && !('kind' in v);
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
  const out: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(columns)) {
    const spec = isSpec(input) ? { ...input } : { expr: input };
    out[name] = { ...spec, expr: readExpr(spec.expr, opts.params) };
  }
  return addStep(state, { op: 'derive', columns: out });
}
