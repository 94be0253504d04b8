/**
 * Synthetic tables through the service's own pipeline (domain/synthetic.ts: validate → plan →
 * charge → count → noise → archive) on random public metadata, random private rows, every
 * accounting mode and budget form (fast-check, seeded; the seed is printed on failure). For each
 * case:
 *  - refused: a typed LomasError and nothing charged;
 *  - answered: (1) the ledger charged exactly the composed loss of the plan's measurements;
 *    (2) the loss implied by the noise the samplers were actually called with — recomputed here
 *    with this file's own sensitivities (a histogram moves by ≤ k rows in L1, ≤ k² in squared
 *    L2; a selection score by ≤ k) — is at most the charge in every dimension;
 *    (3) one draw per measurement: d one-way histograms (one value per cell), d − 1 selections,
 *    d − 1 pair histograms; (4) the archive holds the release and fetching it again is free.
 */
import fc from 'fast-check';
import {
  DatasetMetadata,
  LomasError,
  SYNTHETIC_DEFAULT_BINS,
  type Budget,
  type SyntheticRelease
} from 'lomas-kernel/protocol';
import {
  compose,
  castComposition,
  costToBudget,
  observeNoise,
  planSynthesis,
  seededRng,
  unitFromMetadata,
  type NoiseDraw
} from '../../src/dp';
import { Rational } from '../../src/dp/rational';
import { createSyntheticService } from '../../src/domain/synthetic';
import { resolveColumns } from '../../src/domain/syntheticColumns';
import type { DatasetCache } from '../../src/engine';
import { loadDataset } from '../../src/engine/load';
import { createLedger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { MemoryStore } from '../../src/store/memory';
import type { DatasetRecord } from '../../src/store/types';
import { tightEpsilon } from '../redteam/model';

const SEED = Number(process.env.LOMAS_SYNTHETIC_SEED ?? 20261201);
const RUNS = Number(process.env.LOMAS_SYNTHETIC_RUNS ?? 100);

type Measure = 'pure' | 'approx' | 'zcdp';
const GRANTS: Record<Measure, Budget> = {
  pure: { epsilon: '1000000', delta: '0' },
  approx: { epsilon: '1000000', delta: '0.9' },
  zcdp: { epsilon: '0', delta: '0.9', rho: '1000000' }
};
const DELTA = '0.000001';
const who = { user: 'mallory', role: 'analyst' as const, credential: 'key:k' };

const COLUMNS: Record<string, Record<string, unknown>> = {
  i: { type: 'int', lower: -5, upper: 40 },
  big: { type: 'int', lower: -(2 ** 53 - 1), upper: 2 ** 53 - 1 },
  f: { type: 'float', lower: 0, upper: 1 },
  s: { type: 'string', categories: ['a', 'b', '', 'é'] },
  b: { type: 'boolean' },
  t: { type: 'datetime', lower: '2000-01-01', upper: '2030-12-31' },
  nobounds: { type: 'int' }
};
const VALUES: Record<string, unknown[]> = {
  i: [-100, -5, 0, 7, 40, 1000, null],
  big: [-(2 ** 53 - 1), 0, 2 ** 53 - 1, null],
  f: [0, 0.5, 1, -1e308, NaN, null],
  s: ['a', 'b', '', 'zzz', null],
  b: [true, false, null],
  t: ['1999-01-01', '2020-05-05', '2030-12-31', null],
  nobounds: [1, 2, null]
};

const budgets: Record<Measure, fc.Arbitrary<Record<string, unknown>>> = {
  pure: fc.constantFrom({ budget: { epsilon: '1' } }, { budget: { epsilon: '0.3' } }),
  approx: fc.constantFrom(
    { budget: { epsilon: '2' } },
    { budget: { epsilon: '1', delta: DELTA }, mechanism: 'gaussian' },
    { budget: { rho: '0.5' } }
  ),
  zcdp: fc.constantFrom({ budget: { rho: '0.2' } }, { budget: { epsilon: '1' } })
};

const cases = fc
  .record({
    accounting: fc.constantFrom<Measure>('pure', 'approx', 'zcdp'),
    names: fc.subarray(Object.keys(COLUMNS), { minLength: 1, maxLength: 5 }),
    nullable: fc.boolean(),
    maxIds: fc.constantFrom(1, 1, 2, 3),
    explicit: fc.boolean(),
    bins: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined }),
    rows: fc.integer({ min: 1, max: 60 }),
    tiny: fc.constantFrom(false, false, false, true)
  })
  .chain(c =>
    fc.record({
      c: fc.constant(c),
      b: budgets[c.accounting],
      data: fc.array(
        fc.record(Object.fromEntries(c.names.map(n => [n, fc.constantFrom(...VALUES[n])]))),
        { maxLength: 50 }
      )
    })
  );

function record(accounting: Measure, metadata: DatasetMetadata): DatasetRecord {
  const at = '2026-12-01T00:00:00Z';
  return {
    name: 'synth',
    connector: { kind: 'rows' },
    metadata,
    accounting,
    delta: accounting === 'pure' ? undefined : DELTA,
    cap: null,
    version: 1,
    createdAt: at,
    updatedAt: at
  };
}

const fraction = (s: string | undefined) => {
  const [n, d] = (s ?? '0').split('/');
  return Rational.of(BigInt(n), BigInt(d ?? '1'));
};

/** The loss implied by the draws, with this file's sensitivities, in the dataset's measure. */
function implied(draws: NoiseDraw[], k: bigint, measure: Measure, delta: string): Budget {
  let eps = Rational.ZERO;
  let epsSquares = Rational.ZERO; // Σ ε², for pure parts charged in zCDP
  let rho = Rational.ZERO;
  for (const d of draws) {
    const s = d.scale;
    if (d.family === 'laplace') {
      const e = Rational.of(k).div(s);
      eps = eps.add(e);
      epsSquares = epsSquares.add(e.mul(e));
    } else if (d.family === 'permute_and_flip') {
      const e = Rational.of(2n * k).div(s);
      eps = eps.add(e);
      epsSquares = epsSquares.add(e.mul(e));
    } else rho = rho.add(Rational.of(k * k).div(s.mul(s).mulInt(2n)));
  }
  if (measure === 'pure') return { epsilon: eps.toString(), delta: '0' };
  if (measure === 'zcdp')
    return { epsilon: '0', delta: '0', rho: rho.add(epsSquares.divInt(2n)).toString() };
  if (rho.isZero()) return { epsilon: eps.toString(), delta: '0' };
  const r = Number(rho.num) / Number(rho.den);
  return { epsilon: String(tightEpsilon(r, Number(delta))), delta };
}

const asNumber = (s: string) => {
  const q = fraction(s);
  return Number(q.num) / Number(q.den);
};

describe('synthetic tables: charged = composed loss ≥ the loss of the noise drawn (fast-check)', () => {
  const tally = { answered: 0, refused: new Map<string, number>() };
  afterAll(() =>
    console.log(
      `synthetic privacy property: seed ${SEED}, ${RUNS} cases, ${tally.answered} answered, refused: ${[...tally.refused].map(([k, v]) => `${k} ${v}`).join(', ')}`
    )
  );

  it('holds for every generated case', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ c, b, data }) => {
        const columns = Object.fromEntries(
          c.names.map(n => [n, { ...COLUMNS[n], nullable: c.nullable }])
        );
        const metadata = DatasetMetadata.parse({
          max_ids: c.maxIds,
          row_privacy: c.maxIds === 1,
          columns
        });
        const dataset = record(c.accounting, metadata);
        const store = new MemoryStore();
        await store.putDataset(dataset);
        await store.putGrant({
          user: who.user,
          dataset: 'synth',
          budget: GRANTS[c.accounting],
          createdAt: dataset.createdAt,
          updatedAt: dataset.createdAt
        });
        const ledger = createLedger(store);
        const cache = {
          use: async <T>(
            _ref: unknown,
            fn: (d: Awaited<ReturnType<typeof loadDataset>>) => Promise<T>
          ) => {
            const d = await loadDataset({ kind: 'rows', rows: data }, metadata);
            try {
              return await fn(d);
            } finally {
              d.close();
            }
          }
        } as unknown as DatasetCache;
        const service = createSyntheticService({
          store,
          ledger,
          cache,
          rng: seededRng(`synthetic-${SEED}`),
          logger: createLogger('silent')
        });
        const budget = c.tiny
          ? {
              budget:
                'rho' in (b.budget as object) ? { rho: '0.0000000000001' } : { epsilon: '0.00001' }
            }
          : b;
        const body = {
          version: 1,
          dataset: 'synth',
          rows: c.rows,
          ...(c.explicit ? { columns: c.names } : {}),
          ...(c.bins ? { bins: c.bins } : {}),
          ...budget
        };
        const draws: NoiseDraw[] = [];
        let release: SyntheticRelease;
        observeNoise(d => draws.push(d));
        try {
          release = await service.run(who, body, null);
        } catch (e) {
          observeNoise(null);
          if (!(e instanceof LomasError) || e.code === 'INTERNAL') throw e;
          const why = `${e.code}${e.details.rule ? ` ${String(e.details.rule).split(':')[0]}` : ''}`;
          tally.refused.set(why, (tally.refused.get(why) ?? 0) + 1);
          const charges = (await ledger.entries({ dataset: 'synth' })).filter(
            x => x.kind === 'charge'
          );
          expect(charges).toHaveLength(0);
          return;
        } finally {
          observeNoise(null);
        }
        tally.answered++;
        const [entry] = (await ledger.entries({ dataset: 'synth' })).filter(
          x => x.kind === 'charge'
        );
        // (1) charged = the composed loss of the plan's measurements (recomposed here).
        const resolved = resolveColumns(
          'synth',
          metadata,
          c.explicit ? c.names : undefined,
          c.rows
        );
        const plan = planSynthesis({
          columns: resolved.specs,
          bins: c.bins ?? SYNTHETIC_DEFAULT_BINS,
          budget: budget.budget as never,
          mechanism: (budget as { mechanism?: 'gaussian' }).mechanism,
          measure: c.accounting,
          conversionDelta: dataset.delta,
          unit: unitFromMetadata(metadata)
        });
        const parts = [...plan.oneWay, ...plan.selection, ...plan.pairs];
        const partMeasure = parts[0].measure;
        const recomposed = castComposition(compose(parts, partMeasure), c.accounting, {
          conversionDelta: DELTA,
          claim: plan.composition.loss
        }).loss;
        const charged = entry.cost;
        const want = costToBudget(recomposed, 'fraction');
        for (const dim of ['epsilon', 'delta', 'rho'] as const)
          expect(fraction(charged[dim]).eq(fraction(want[dim]))).toBe(true);
        // (3) one draw per measurement, with the planned scales.
        const d = resolved.specs.length;
        expect(draws.filter(x => x.label?.startsWith('one_way:'))).toHaveLength(d);
        expect(draws.filter(x => x.label === 'synthetic_tree')).toHaveLength(d - 1);
        expect(draws.filter(x => x.label === 'pair')).toHaveLength(d - 1);
        expect(draws).toHaveLength(3 * d - 2);
        release.model.columns.forEach((col, i) => expect(draws[i].count).toBe(col.cells));
        // (2) the implied loss is within the charge, in every dimension.
        const k = BigInt(metadata.max_ids);
        const imp = implied(draws, k, c.accounting, DELTA);
        if (c.accounting === 'approx' && imp.delta !== '0') {
          expect(Number(imp.epsilon)).toBeLessThanOrEqual(
            asNumber(charged.epsilon) * (1 + 1e-6) + 1e-12
          );
          expect(fraction(charged.delta).gte(Rational.of(1n, 1_000_000n))).toBe(true);
        } else {
          for (const dim of ['epsilon', 'rho'] as const) {
            const x = imp[dim];
            if (x === undefined || x === '0') continue;
            const [n, dd] = x.split('/');
            expect(Rational.of(BigInt(n), BigInt(dd ?? '1')).lte(fraction(charged[dim]))).toBe(
              true
            );
          }
        }
        // (4) archived, and fetched again for free.
        const again = await service.archived(who, release.queryId as string);
        expect(again.data).toEqual(release.data);
        const after = (await ledger.entries({ dataset: 'synth' })).filter(x => x.kind === 'charge');
        expect(after).toHaveLength(1);
      }),
      { seed: SEED, numRuns: RUNS }
    );
  }, 300_000);
});
