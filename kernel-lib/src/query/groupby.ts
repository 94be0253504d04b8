import { LomasError } from '../protocol/errors';
import { GroupBySchema, parsePlanPart, type GroupBy, type Scalar } from '../protocol/plan';
import { checkGroupBy } from '../protocol/rules';
import type { GroupByOptions } from './options';
import type { QueryState } from './state';

/**
 * groupby(keys, { values?, discover? }): the group keys of the aggregations that follow. Keys are
 * public: listed in `values`, or the column's public values from the metadata, or discovered
 * privately (`discover: { delta }`).
 */
export function groupby(
  state: QueryState,
  keys: string | readonly string[],
  opts: GroupByOptions = {}
): GroupBy {
  const list = typeof keys === 'string' ? [keys] : [...keys];
  const g: Record<string, unknown> = { keys: list };
  if (opts.values !== undefined) {
    if (Array.isArray(opts.values)) {
      if (list.length !== 1) {
        throw new LomasError('INVALID_PARAMETER', {
          parameter: 'values',
          rule: 'a plain list of values needs exactly one group key',
          fix: `Name the key of each list: { values: { ${list[0] ?? 'key'}: [...] } }.`
        });
      }
      g.values = { [list[0]]: [...(opts.values as Scalar[])] };
    } else g.values = opts.values;
  }
  if (opts.discover !== undefined) g.discover = opts.discover;
  const group = parsePlanPart(GroupBySchema, g, ['groupby']);
  if (state.check) checkGroupBy(group, state.check.ctx);
  return group;
}
