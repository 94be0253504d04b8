import { readExpr, type ExprInput, type Params } from '../expr/parse';
import { addStep, type QueryState } from './state';

/** filter(d => ...): keep the rows for which the predicate is true (null counts as false). */
export function filter(state: QueryState, predicate: ExprInput, params?: Params): QueryState {
  return addStep(state, { op: 'filter', predicate: readExpr(predicate, params) });
}
