import { checkPlan, parsePlan, type QueryPlan, type ReleaseResponse } from 'lomas-kernel/protocol';
import { demoDatasets } from '../../src/datasets/demo';
import { costQuery, type CostedQuery } from '../../src/domain/planning';
import { buildRelease } from '../../src/domain/release';
import { seededRng } from '../../src/dp';
import type { ExactResult, ExactStats } from '../../src/engine/types';
import { publicAtom } from '../../src/query/keys';
import type { DatasetRecord } from '../../src/store/types';

/**
 * How a release tells which rows say little, and how its accuracy is said in words. Exact
 * statistics are made up (the engine is not involved): Adelie and Gentoo have 1,000 rows each,
 * Chinstrap none. Seeded noise, and assertions that hold for every seed (a row is marked exactly
 * when its interval says little), so a change of sampler cannot make them flake.
 */
const reg = demoDatasets().find(d => d.name === 'penguins')!;
const penguins: DatasetRecord = {
  ...reg,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
};
const SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'];
const N = 1000n;
const MASS: Record<string, number> = { Adelie: 3700, Gentoo: 5000 };

function plan(aggregation: QueryPlan['aggregations'][number]): CostedQuery {
  const p = parsePlan({
    version: 1,
    dataset: 'penguins',
    steps: [],
    groupby: { keys: ['species'] },
    aggregations: [aggregation],
    budget: { epsilon: '0.5' }
  });
  return costQuery(checkPlan(p, penguins), penguins);
}

/** Exact statistics: Chinstrap is absent (the engine leaves empty public groups out). */
function exact(q: CostedQuery): ExactResult {
  const agg = q.aggregations[0].agg;
  const stats = (species: string): ExactStats => {
    if (agg.op === 'count') return { op: 'count', count: N };
    if (agg.op !== 'mean') throw new Error('count and mean only');
    const v = BigInt(Math.round(MASS[species] / 2 ** agg.grid.exponent));
    return {
      op: 'mean',
      count: N,
      nulls: 0n,
      sum: N * v,
      sumSquares: N * v * v,
      grid: agg.grid,
      bounds: agg.bounds
    };
  };
  return {
    keys: ['species'],
    keyMode: 'public',
    groups: ['Adelie', 'Gentoo'].map(s => ({
      key: [publicAtom(s, 'string')],
      rows: N,
      stats: [stats(s)]
    })),
    maxRowsPerUnit: 1,
    elapsedMs: 0
  };
}

function releases(q: CostedQuery, seeds = 40): ReleaseResponse[] {
  return Array.from({ length: seeds }, (_, i) =>
    buildRelease(q, exact(q), seededRng(`release-${i}`), 'release')
  );
}

test('a mean whose interval covers the whole public range is marked, and only then', () => {
  const q = plan({ op: 'mean', column: 'body_mass_g' });
  const [lo, hi] = q.aggregations[0].agg.op === 'mean' ? q.aggregations[0].agg.bounds : [0, 0];
  let marked = 0;
  for (const r of releases(q)) {
    r.rows.forEach((row, i) => {
      const whole = (row.lower as number) <= lo && (row.upper as number) >= hi;
      const caveat = r.caveats?.find(c => c.rows.includes(i));
      expect(caveat !== undefined).toBe(whole);
      if (caveat) {
        marked++;
        expect(row.species).toBe('Chinstrap');
        expect(caveat).toMatchObject({ column: 'mean_body_mass_g', kind: 'whole_range' });
        expect(caveat.text).toContain('this row says nothing');
      }
    });
    expect(r.mechanisms[0]).toMatchObject({ kind: 'mean', interval: 'per_row' });
    expect(r.mechanisms[0].accuracy).toMatch(/^each row has its own interval \(lower, upper\)/);
  }
  // The empty group's noisy count reaches 0 with probability ≥ 97.5% per release: 40 seeds with
  // no mark at all would have probability below 1e-60.
  expect(marked).toBeGreaterThan(0);
});

test('a count whose interval reaches 0 says the group may be empty', () => {
  const q = plan({ op: 'count' });
  let marked = 0;
  for (const r of releases(q)) {
    r.rows.forEach((row, i) => {
      const caveat = r.caveats?.find(c => c.rows.includes(i));
      expect(caveat !== undefined).toBe((row.lower as number) <= 0);
      if (caveat) {
        marked++;
        expect(caveat).toEqual({
          rows: expect.arrayContaining([i]),
          column: 'count',
          kind: 'may_be_empty',
          text: 'the interval reaches 0: this group may be empty'
        });
      }
    });
    expect(r.mechanisms[0].interval).toBe('value');
  }
  expect(marked).toBeGreaterThan(0);
});

test('before the data: a mean says how its interval shrinks with the group, not one "±x"', () => {
  const m = plan({ op: 'mean', column: 'body_mass_g' }).mechanisms[0];
  expect(m.interval).toBe('depends');
  expect(m.accuracy).toMatch(
    /^depends on each group's size n: up to about ±[\d,]+\/n at 95% \(±[\d,.]+ for 100 rows\)/
  );
  // ±K/n bounds the interval of a group of n rows to first order: K/1000 ≥ half of what a
  // 1,000-row group gets.
  const k = m.halfWidth;
  for (const r of releases(plan({ op: 'mean', column: 'body_mass_g' }), 5)) {
    const row = r.rows.find(x => x.species === 'Gentoo')!;
    expect(((row.upper as number) - (row.lower as number)) / 2).toBeLessThanOrEqual(k / 1000);
  }
});

test('a median has no interval in the unit of its column, and says so in words', () => {
  const m = plan({ op: 'median', column: 'body_mass_g' }).mechanisms[0];
  expect(m).toMatchObject({ kind: 'median', interval: 'rank' });
  expect(m.accuracy).toMatch(
    /^no interval in the unit of body_mass_g: the released value's rank is within ±[\d.]+ rows of the median's, at 95%$/
  );
});

test('a count has one interval for every row', () => {
  const m = plan({ op: 'count' }).mechanisms[0];
  expect(m).toMatchObject({ kind: 'count', interval: 'value' });
  expect(m.accuracy).toBeUndefined();
});

test('every species gets a row, in public order', () => {
  const [r] = releases(plan({ op: 'count' }), 1);
  expect(r.rows.map(x => x.species)).toEqual(SPECIES);
});

test('caveats: one entry per sentence, naming its rows in ascending order', () => {
  // No group has a row: every public group's noisy count is centred on 0, so its interval reaches
  // 0 with probability ≥ 95%; 40 releases with no entry over two rows: probability below 1e-40.
  const q = plan({ op: 'count' });
  const empty: ExactResult = { ...exact(q), groups: [] };
  let shared = 0;
  for (let i = 0; i < 40; i++) {
    const r = buildRelease(q, empty, seededRng(`caveats-${i}`), 'release');
    const marked = r.rows.flatMap((row, j) => ((row.lower as number) <= 0 ? [j] : []));
    const caveats = r.caveats ?? [];
    expect(caveats.length).toBeLessThanOrEqual(1);
    expect(caveats.flatMap(c => c.rows)).toEqual(marked);
    if (caveats[0]?.rows.length >= 2) shared++;
  }
  expect(shared).toBeGreaterThan(0);
});
