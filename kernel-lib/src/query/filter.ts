import { toExpr, type ExprInput, type Params } from '../expr/parse';
import { columnsOf, requireColumn } from './columns';
import type { QueryState } from './state';

/** filter(d => ...): keep the rows for which the predicate is true (null counts as false). */
export function filter(state: QueryState, predicate: ExprInput, params?: Params): QueryState {
  const expr = toExpr(predicate, params);
  for (const c of columnsOf(expr)) requireColumn(state.dataset, state.columns, c);
  return { ...state, steps: [...state.steps, { op: 'filter', predicate: expr }] };
}
