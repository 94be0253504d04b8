import { addStep, type QueryState } from './state';

/** select('a', 'b') or select(['a', 'b']): keep only these columns (listed once each). */
export function select(
  state: QueryState,
  columns: ReadonlyArray<string | readonly string[]>
): QueryState {
  return addStep(state, { op: 'select', columns: [...new Set(columns.flat())] });
}
