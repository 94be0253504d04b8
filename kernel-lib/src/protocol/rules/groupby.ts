import { PLAN_LIMITS } from '../limits';
import type { GroupBy, Scalar } from '../plan';
import { hasBounds } from './domain';
import { invalidPlan, publicKeysRule, typeMismatch } from './messages';
import { columnOf, type CheckContext } from './scope';
import type { ColumnInfo, KeyValue, RGroupBy } from './types';

/**
 * Group keys are public: the listed `values`, else the column's public value set (booleans, the
 * metadata's categories, or every integer of a bounded int column with at most PLAN_LIMITS.groups
 * values), else they must be discovered privately (`discover: { delta }`).
 */
export function checkGroupBy(g: GroupBy, ctx: CheckContext): RGroupBy {
  const keys = g.keys.map(k => keyColumn(k, ctx));
  const typed = keys.map(c => ({ name: c.name, type: c.type }));
  if (g.discover) return { mode: 'discover', keys: typed, delta: g.discover.delta };
  const values = keys.map(c => {
    const explicit = g.values?.[c.name];
    if (explicit) return explicit.map(v => keyValue(c, v));
    const vs = publicKeys(c);
    if (!vs) throw publicKeysRule(c.name);
    return vs;
  });
  const groups = values.reduce((n, v) => n * v.length, 1);
  if (groups > PLAN_LIMITS.groups)
    throw invalidPlan(
      `the group-by makes ${groups} groups, above the limit of ${PLAN_LIMITS.groups}`,
      'Group by fewer keys or list fewer values; each group costs accuracy.'
    );
  return { mode: 'public', keys: typed, values };
}

/** A group key's column: int, string or boolean (floats and datetimes need a derived key). */
function keyColumn(k: string, ctx: CheckContext): ColumnInfo {
  const c = columnOf(ctx, k);
  if (c.type === 'float')
    throw typeMismatch(
      k,
      'float',
      'an int, string or boolean group key',
      `Derive a binned key, e.g. floor(${k} / 10).`
    );
  if (c.type === 'datetime')
    throw typeMismatch(
      k,
      'datetime',
      'an int, string or boolean group key',
      `Derive a key with year(${k}), month(${k}) or weekday(${k}).`
    );
  return c;
}

function keyValue(c: ColumnInfo, v: Scalar): KeyValue {
  if (v === null) return null;
  const ok =
    (c.type === 'string' && typeof v === 'string') ||
    (c.type === 'boolean' && typeof v === 'boolean') ||
    (c.type === 'int' && typeof v === 'number' && Number.isSafeInteger(v));
  if (!ok)
    throw typeMismatch(
      c.name,
      c.type,
      `key values of type ${c.type}`,
      `The value ${JSON.stringify(v)} does not fit.`
    );
  return v;
}

/** The public value set of a key column, or null when it has none. */
function publicKeys(c: ColumnInfo): KeyValue[] | null {
  const withNull = (vs: KeyValue[]) => (c.dom.nullable ? [...vs, null] : vs);
  if (c.type === 'boolean') return withNull([false, true]);
  if (c.type === 'string' && c.dom.categories) return withNull([...c.dom.categories]);
  if (c.type === 'int' && hasBounds(c.dom)) {
    const lo = Math.ceil(c.dom.lower);
    const hi = Math.floor(c.dom.upper);
    if (hi - lo + 1 <= PLAN_LIMITS.groups) {
      const vs: KeyValue[] = [];
      for (let i = lo; i <= hi; i++) vs.push(i);
      return withNull(vs);
    }
  }
  return null;
}
