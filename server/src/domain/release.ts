import {
  groupCaveats,
  type ReleaseCaveat,
  type ReleaseResponse,
  type ResultColumn
} from 'lomas-kernel/protocol';
import { releaseAggregation, type GroupStatistics, type ReleasedValue, type Rng } from '../dp';
import type { ExactResult, ExactStats, GroupStats } from '../engine/types';
import { keyFromId, releaseValue } from '../query/keys';
import type { ValueType } from '../query/types';
import { binKeys, keyString, type CostedAggregation, type CostedQuery } from './planning';
import { figure, percent } from './words';

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

type Caveat = Omit<ReleaseCaveat, 'rows'>;

/**
 * Whether a released value says little: a mean (variance, standard deviation) whose interval spans
 * every value the statistic may take, or a count (a sum of non-negative values) whose interval
 * reaches 0, so that the group may be empty. Post-processing of the release: it costs nothing.
 */
function caveatOf(p: CostedAggregation, v: ReleasedValue): Caveat | null {
  const a = p.agg;
  if (v.lower === null || v.upper === null) return null;
  const column = a.name;
  if (a.op === 'count' || a.op === 'histogram' || (a.op === 'sum' && a.bounds[0] >= 0)) {
    if (v.lower > 0) return null;
    return {
      column,
      kind: 'may_be_empty',
      text: 'the interval reaches 0: this group may be empty'
    };
  }
  if (a.op !== 'mean' && a.op !== 'variance' && a.op !== 'stdev') return null;
  const [lo, hi] = a.bounds;
  const span =
    a.op === 'mean' ? [lo, hi] : [0, a.op === 'stdev' ? (hi - lo) / 2 : (hi - lo) ** 2 / 4];
  if (v.lower > span[0] || v.upper < span[1]) return null;
  let text = wholeRangeText.get(p);
  if (text === undefined) {
    const what = a.op === 'mean' ? `${a.column} may take` : `a ${a.op} of ${a.column} may take`;
    text = `the interval covers every value ${what} (${figure(span[0])} to ${figure(span[1])}): this row says nothing; its group may be empty or too small`;
    wholeRangeText.set(p, text);
  }
  return { column, kind: 'whole_range', text };
}

/** The whole-range sentence depends on the aggregation only: written once, not once per row. */
const wholeRangeText = new WeakMap<CostedAggregation, string>();

/** Per-row intervals (mean, variance, stdev): the range of their widths, in words. */
function perRowAccuracy(widths: number[], confidence: number, marked: number): string {
  const [narrow, wide] = [Math.min(...widths), Math.max(...widths)];
  const at = percent(confidence);
  const range =
    widths.length === 1
      ? `±${figure(wide)} at ${at}`
      : `each row has its own interval (lower, upper): ±${figure(narrow)} to ±${figure(wide)} at ${at}`;
  if (marked === 0) return range;
  return `${range}; ${marked === 1 ? '1 marked row says' : `${marked} marked rows say`} little (see the table)`;
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
  const caveats = new Map<string, Caveat[]>();
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
    let marked = 0;
    for (const v of released.values) {
      const key = v.key ?? keyString([]);
      const row = rowFor(key);
      row[name] = v.estimate;
      row[lower] = v.lower;
      row[upper] = v.upper;
      const c = caveatOf(p, v);
      if (c) {
        caveats.set(key, [...(caveats.get(key) ?? []), c]);
        marked++;
      }
    }
    // Data-dependent intervals (mean, variance, stdev): report the widest one actually released.
    const widths = released.values.map(v => v.halfWidth).filter((w): w is number => w !== null);
    if (p.dp.halfWidth === undefined && p.dp.level === undefined && widths.length > 0)
      mechanisms[i] = {
        ...mechanisms[i],
        halfWidth: Math.max(...widths),
        interval: 'per_row',
        note: 'the widest confidence interval among the released rows; each row carries its own',
        accuracy: perRowAccuracy(widths, p.dp.confidence, marked)
      };
  });
  const ordered = q.checked.groupBy?.mode === 'discover' ? [...order].sort() : order;
  const marked = groupCaveats(
    ordered.flatMap((k, row) => (caveats.get(k) ?? []).map(c => ({ row, ...c })))
  );
  return {
    version: 1,
    kind,
    dataset: q.checked.dataset,
    title: title(q),
    columns,
    rows: ordered.map(k => rows.get(k)!),
    cost: kind === 'dummy' ? { epsilon: '0', delta: '0' } : q.display,
    mechanisms,
    ...(marked.length > 0 ? { caveats: marked } : {})
  };
}
