import { LomasError } from '../protocol/errors';
import { PLAN_LIMITS } from '../protocol/plan';
import { requireColumn, type ColumnInfo } from './columns';
import { checkName, type QueryState } from './state';

/** select('a', 'b') or select(['a', 'b']): keep only these columns. */
export function select(
  state: QueryState,
  columns: ReadonlyArray<string | readonly string[]>
): QueryState {
  const names = columns.flat().map(c => checkName(c, 'select'));
  if (names.length === 0 || names.length > PLAN_LIMITS.columnsPerStep) {
    throw new LomasError('INVALID_PARAMETER', {
      parameter: 'select',
      rule: `select takes 1 to ${PLAN_LIMITS.columnsPerStep} column names`,
      fix: 'Write .select("species", "body_mass_g").'
    });
  }
  const unique = [...new Set(names)];
  let cols = state.columns;
  if (cols !== null) {
    const kept = new Map<string, ColumnInfo>();
    for (const n of unique) kept.set(n, requireColumn(state.dataset, cols, n) as ColumnInfo);
    cols = kept;
  }
  return { ...state, columns: cols, steps: [...state.steps, { op: 'select', columns: unique }] };
}
