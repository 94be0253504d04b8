import { LomasError } from '../protocol/errors';
import { GroupBySchema, type GroupBy, type Scalar } from '../protocol/plan';
import { requireColumn } from './columns';
import type { GroupByOptions } from './options';
import { checkName, invalidParameter, type QueryState } from './state';

/**
 * groupby(keys, { values?, discover? }): the group keys of the aggregations that follow. Keys are
 * public: listed in `values`, or the column's categories from the metadata, or discovered
 * privately (`discover: { delta }`).
 */
export function groupby(
  state: QueryState,
  keys: string | readonly string[],
  opts: GroupByOptions = {}
): GroupBy {
  const list = (typeof keys === 'string' ? [keys] : [...keys]).map(k => checkName(k, 'groupby'));
  const g: GroupBy = { keys: list };
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
    } else {
      g.values = Object.fromEntries(
        Object.entries(opts.values).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])
      );
    }
  }
  if (opts.discover !== undefined) g.discover = { ...opts.discover };
  const r = GroupBySchema.safeParse(g);
  if (!r.success) throw invalidParameter('groupby', r.error.issues);
  for (const k of list) {
    const c = requireColumn(state.dataset, state.columns, k);
    if (c === null || g.discover !== undefined || g.values?.[k] !== undefined) continue;
    const enumerable =
      c.type === 'boolean' ||
      (c.categories !== undefined && c.categories.length > 0) ||
      (c.type === 'int' &&
        c.lower !== undefined &&
        c.upper !== undefined &&
        c.upper - c.lower < 10000);
    if (!enumerable) {
      throw new LomasError('PRIVACY_RULE', {
        rule: 'public-group-keys',
        why: `the groups of "${k}" are not public (no categories in the metadata), and releasing the values found in the data could reveal one person.`,
        fix: `List the values: .groupby("${k}", { values: ["a", "b"] }), or discover them privately: .groupby("${k}", { discover: { delta: "0.00001" } }).`
      });
    }
  }
  return r.data;
}
