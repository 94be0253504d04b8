import type { ReleaseResponse, ResultColumn } from 'lomas-kernel/protocol';
import { releaseAggregation, type GroupStatistics, type Rng } from '../dp';
import type { ExactResult, ExactStats, GroupStats } from '../engine/types';
import { keyFromId, releaseValue } from '../query/keys';
import type { ValueType } from '../query/types';
import { binKeys, keyString, type CostedAggregation, type CostedQuery } from './planning';

/** Engine statistics of one aggregation → the DP engine's per-group input (exact bigints). */
function toGroupStatistics(p: CostedAggregation, g: GroupStats, s: ExactStats): GroupStatistics[] {
  switch (s.op) {
    case 'count':
      return [{ key: keyString(g.key), count: s.count }];
    case 'sum':
    case 'mean':
    case 'variance':
    case 'stdev':
      return [
        {
          key: keyString(g.key),
          count: s.count,
          sum: s.sum,
          sumSquares: s.sumSquares,
          grid: s.grid.exponent
        }
      ];
    case 'quantile':
    case 'median':
      return [{ key: keyString(g.key), count: s.count, below: s.below, above: s.above }];
    case 'histogram': {
      if (p.agg.op !== 'histogram') throw new Error('histogram statistics for another aggregation');
      const bins = binKeys(p.agg);
      return s.counts.map((count, i) => ({ key: keyString([...g.key, bins[i]]), count }));
    }
  }
}

function columnType(t: ValueType): ResultColumn['type'] {
  return t === 'int'
    ? 'integer'
    : t === 'float'
      ? 'number'
      : t === 'boolean'
        ? 'boolean'
        : 'string';
}

function title(q: CostedQuery): string {
  const aggs = q.aggregations.map(a => a.agg.name).join(', ');
  const keys = q.checked.groupBy?.keys.map(k => k.name) ?? [];
  return `${aggs}${keys.length ? ` by ${keys.join(', ')}` : ''} — ${q.checked.dataset}`;
}

/**
 * Noises exact statistics with the planned mechanisms and lays the released values out as a table:
 * key columns, then per aggregation its estimate and confidence interval.
 */
export function buildRelease(
  q: CostedQuery,
  exact: ExactResult,
  rng: Rng,
  kind: 'release' | 'dummy'
): ReleaseResponse {
  const keyCols: ResultColumn[] = (q.checked.groupBy?.keys ?? []).map(k => ({
    name: k.name,
    role: 'key',
    type: columnType(k.type)
  }));
  const histogram = q.aggregations.some(a => a.agg.op === 'histogram');
  if (histogram) keyCols.push({ name: 'bin', role: 'key', type: 'string' });
  const single = q.aggregations.length === 1;
  const columns: ResultColumn[] = [...keyCols];
  const rows = new Map<string, Record<string, string | number | boolean | null>>();
  const order: string[] = [];
  const rowFor = (key: string): Record<string, string | number | boolean | null> => {
    let row = rows.get(key);
    if (!row) {
      // The one JSON encoding of key values (query/keys.ts): exact, big integers as strings.
      const values = keyFromId(key).map(releaseValue);
      row = {};
      keyCols.forEach((c, i) => (row![c.name] = values[i] ?? null));
      rows.set(key, row);
      order.push(key);
    }
    return row;
  };
  // Public keys first, in their public order (absent groups included).
  const first = q.aggregations[0];
  if (first.publicKeys) for (const k of first.publicKeys) rowFor(keyString(k));
  if (!q.checked.groupBy && !histogram) rowFor(keyString([]));

  const mechanisms = [...q.mechanisms];
  q.aggregations.forEach((p, i) => {
    const name = p.agg.name;
    const lower = single ? 'lower' : `${name}_lower`;
    const upper = single ? 'upper' : `${name}_upper`;
    const integer = p.agg.op === 'count' || p.agg.op === 'histogram';
    columns.push(
      { name, role: 'estimate', type: integer ? 'integer' : 'number' },
      { name: lower, role: 'lower', type: 'number' },
      { name: upper, role: 'upper', type: 'number' }
    );
    const stats = exact.groups.flatMap(g => toGroupStatistics(p, g, g.stats[i]));
    const released = releaseAggregation(p.dp, stats, rng);
    for (const v of released.values) {
      const row = rowFor(v.key ?? keyString([]));
      row[name] = v.estimate;
      row[lower] = v.lower;
      row[upper] = v.upper;
    }
    // Data-dependent intervals (mean, variance, stdev): report the widest one actually released.
    const widths = released.values.map(v => v.halfWidth).filter((w): w is number => w !== null);
    if (p.dp.halfWidth === undefined && p.dp.level === undefined && widths.length > 0)
      mechanisms[i] = {
        ...mechanisms[i],
        halfWidth: Math.max(...widths),
        note: 'the widest confidence interval among the released rows; each row carries its own'
      };
  });
  const ordered = q.checked.groupBy?.mode === 'discover' ? [...order].sort() : order;
  return {
    version: 1,
    kind,
    dataset: q.checked.dataset,
    title: title(q),
    columns,
    rows: ordered.map(k => rows.get(k)!),
    cost: kind === 'dummy' ? { epsilon: '0', delta: '0' } : q.display,
    mechanisms
  };
}
