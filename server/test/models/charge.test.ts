/**
 * Charged loss = composed loss, for random model requests (fast-check, seeded; it prints the seed
 * and the counterexample on failure): every model kind, option, accounting mode, budget form and
 * privacy unit, through the server's own steps (parse → resolve and plan → charge a ledger →
 * DuckDB statistics → measurements → post-processing). For every request that is answered:
 *  (a) the ledger charged exactly the composition of the plan's measurements (recomposed here);
 *  (b) the noise drawn is exactly the plan's steps, in order (family, scale, vector length);
 *  (c) the loss implied by those draws, from sensitivities this test derives from the request
 *      itself (not from the planner), is within the charge in every dimension of the measure.
 * A refused request must be refused with a typed LomasError before anything is charged.
 *
 * LOMAS_MODELS_SEED and LOMAS_MODELS_RUNS override the defaults.
 */
import fc from 'fast-check';
import { DatasetMetadata, LomasError, parseModelRequest, type Budget } from 'lomas-kernel/protocol';
import {
  castComposition,
  compose,
  costToBudget,
  observeNoise,
  ONE,
  seededRng,
  type NoiseDraw
} from '../../src/dp';
import { Rational } from '../../src/dp/rational';
import { loadDataset, type LoadedDataset } from '../../src/engine/load';
import { createLedger } from '../../src/ledger';
import { fitModel } from '../../src/models/engine';
import { planModel, type PlannedModel } from '../../src/models/plan';
import { MemoryStore } from '../../src/store/memory';
import type { DatasetRecord } from '../../src/store/types';
import { tightEpsilon } from '../redteam/model';

const SEED = Number(process.env.LOMAS_MODELS_SEED ?? 20261201);
const RUNS = Number(process.env.LOMAS_MODELS_RUNS ?? 100);

const COLUMNS = {
  a: { type: 'float', lower: -5, upper: 5, nullable: true },
  b: { type: 'int', lower: 0, upper: 100, nullable: false },
  flag: { type: 'boolean', nullable: true },
  cat: { type: 'string', categories: ['u', 'v', 'w'], nullable: false },
  cls: { type: 'string', categories: ['p', 'q', 'r'], nullable: true },
  y: { type: 'float', lower: 0, upper: 10, nullable: false }
} as const;

function data(n: number): Record<string, unknown>[] {
  let s = 7;
  const u = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => ({
    a: u() < 0.1 ? null : (u() - 0.5) * 12,
    b: Math.floor(u() * 100),
    flag: u() < 0.5,
    cat: ['u', 'v', 'w'][Math.floor(u() * 3)],
    cls: ['p', 'q', 'r'][Math.floor(u() * 3)],
    y: u() * 10
  }));
}

type Accounting = 'pure' | 'approx' | 'zcdp';
const GRANTS: Record<Accounting, Budget> = {
  pure: { epsilon: '1000000', delta: '0' },
  approx: { epsilon: '1000000', delta: '0.9' },
  zcdp: { epsilon: '0', delta: '0.9', rho: '1000000' }
};

const feature = fc.constantFrom<string | { column: string; encoding: 'onehot' }>('a', 'b', 'flag', {
  column: 'cat',
  encoding: 'onehot'
});
const features = fc.uniqueArray(feature, {
  minLength: 1,
  maxLength: 4,
  selector: f => (typeof f === 'string' ? f : f.column)
});
const budget = fc.oneof(
  fc.record({ epsilon: fc.double({ min: 0.05, max: 5, noNaN: true }).map(x => +x.toFixed(3)) }),
  fc.record({ rho: fc.double({ min: 0.01, max: 2, noNaN: true }).map(x => +x.toFixed(3)) }),
  fc.record({
    epsilon: fc.double({ min: 0.1, max: 5, noNaN: true }).map(x => +x.toFixed(3)),
    delta: fc.constantFrom('0.000001', '0.0001')
  })
);
const request = fc.oneof(
  fc.record({
    model: fc.constant('linear'),
    features,
    target: fc.constant('y'),
    options: fc.record({ ridge: fc.constantFrom(0, 2) })
  }),
  fc.record({
    model: fc.constant('logistic'),
    features,
    target: fc.constantFrom('cls', 'flag'),
    options: fc.record({
      iterations: fc.integer({ min: 1, max: 6 }),
      clip: fc.constantFrom(0.1, 0.5, 1),
      evaluate: fc.boolean()
    })
  }),
  fc.record({
    model: fc.constant('naive_bayes'),
    features,
    target: fc.constant('cls'),
    options: fc.record({ evaluate: fc.boolean() })
  }),
  fc.record({
    model: fc.constant('kmeans'),
    features,
    options: fc.record({
      clusters: fc.integer({ min: 2, max: 4 }),
      iterations: fc.integer({ min: 1, max: 5 }),
      evaluate: fc.boolean()
    })
  })
);
const cases = fc.record({
  accounting: fc.constantFrom<Accounting>('pure', 'approx', 'zcdp'),
  maxIds: fc.constantFrom(1, 3),
  request,
  budget,
  gaussian: fc.boolean()
});
type Case = typeof cases extends fc.Arbitrary<infer T> ? T : never;

function record(c: Case): DatasetRecord {
  const metadata = DatasetMetadata.parse({
    max_ids: c.maxIds,
    row_privacy: c.maxIds === 1,
    columns: COLUMNS
  });
  return {
    name: 'models',
    connector: { kind: 'rows' },
    metadata,
    accounting: c.accounting,
    delta: c.accounting === 'pure' ? undefined : '0.000001',
    cap: null,
    version: 1,
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z'
  };
}

/** Sensitivities of each step from the request alone: [L1, L2²] per row of one person. */
function sensitivity(c: Case, label: string): [bigint, bigint] {
  const r = c.request;
  const d = BigInt(r.features.reduce((n, f) => n + (typeof f === 'string' ? 1 : 2), 0));
  const k = BigInt(c.maxIds);
  const classes = r.model === 'kmeans' ? 0n : r.target === 'flag' ? 2n : 3n;
  const both = (perRow: bigint): [bigint, bigint] => [k * perRow, k * k * perRow * perRow];
  const vector = (entries: bigint, unit: bigint): [bigint, bigint] => [
    k * entries * unit,
    k * k * entries * unit * unit
  ];
  const base = label.replace(/_\d+$/, '');
  switch (base) {
    case 'gram':
      return vector(((d + 2n) * (d + 3n)) / 2n, ONE * ONE);
    case 'class_statistics':
      return vector(1n + 2n * d, ONE * ONE);
    case 'count':
    case 'accuracy':
      return both(1n);
    case 'gradient': {
      const clip = BigInt(
        Math.max(1, Math.round((r.options as { clip: number }).clip * Number(ONE)))
      );
      return vector((classes - 1n) * (d + 1n), clip);
    }
    case 'round':
      return vector(1n + d, ONE);
    case 'inertia':
      return both(ONE);
  }
  throw new Error(`unexpected noise step ${label}`);
}

const fraction = (s: string) => {
  const [n, den] = s.split('/');
  return Rational.of(BigInt(n), BigInt(den ?? '1'));
};

let loaded: Map<number, LoadedDataset>;
const tally = { answered: 0, refused: new Map<string, number>() };

beforeAll(async () => {
  loaded = new Map();
  for (const maxIds of [1, 3]) {
    const metadata = DatasetMetadata.parse({
      max_ids: maxIds,
      row_privacy: maxIds === 1,
      columns: COLUMNS
    });
    loaded.set(maxIds, await loadDataset({ kind: 'rows', rows: data(150) }, metadata));
  }
});
afterAll(() => {
  for (const d of loaded.values()) d.close();
  console.log(
    `model charges: ${tally.answered} answered, refused: ${JSON.stringify([...tally.refused])}`
  );
});

async function check(c: Case): Promise<void> {
  const dataset = record(c);
  const grant = GRANTS[c.accounting];
  let planned: PlannedModel;
  try {
    planned = planModel(
      parseModelRequest({
        version: 1,
        dataset: 'models',
        ...c.request,
        budget: c.budget,
        ...(c.gaussian ? { mechanism: 'gaussian' } : {})
      }),
      dataset
    );
  } catch (e) {
    if (!(e instanceof LomasError)) throw e;
    tally.refused.set(e.code, (tally.refused.get(e.code) ?? 0) + 1);
    return;
  }
  const { entry } = await createLedger(new MemoryStore()).charge({
    user: 'u',
    dataset: 'models',
    cost: planned.charge,
    grant,
    cap: null,
    accounting: c.accounting,
    queryId: 'q',
    requestHash: 'h'
  });
  // (a) the charge is exactly the composition of the plan's measurements
  const steps = planned.dp.steps;
  const cal = planned.dp.calibration;
  const recomposed = castComposition(
    compose(
      steps.map(s => s.measurement),
      cal.partMeasure
    ),
    cal.measure,
    {
      conversionDelta: cal.conversionDelta,
      claim:
        cal.approxRequest && cal.measure === 'approx'
          ? { measure: 'approx', ...cal.approxRequest }
          : undefined
    }
  );
  const expected = costToBudget(recomposed.loss, 'fraction');
  for (const k of ['epsilon', 'delta', 'rho'] as const)
    expect(fraction(entry.cost[k] ?? '0').eq(fraction(expected[k] ?? '0'))).toBe(true);
  // (b) the draws are the plan's steps
  const draws: NoiseDraw[] = [];
  observeNoise(d => draws.push(d));
  try {
    await fitModel(planned, loaded.get(c.maxIds)!, seededRng(JSON.stringify(c)));
  } finally {
    observeNoise(null);
  }
  expect(draws.map(d => [d.label, d.family, d.count])).toEqual(
    steps.map(s => [s.label, s.mechanism === 'discrete_laplace' ? 'laplace' : 'gaussian', s.length])
  );
  draws.forEach((d, i) => expect(d.scale.eq(steps[i].scale)).toBe(true));
  // (c) the loss implied by the draws is within the charge
  let eps = Rational.ZERO;
  let rho = Rational.ZERO;
  for (const d of draws) {
    const [l1, l2sq] = sensitivity(c, d.label ?? '');
    if (d.family === 'laplace') eps = eps.add(Rational.of(l1).div(d.scale));
    else rho = rho.add(Rational.of(l2sq).div(d.scale.mul(d.scale).mulInt(2n)));
  }
  const charged = entry.cost;
  if (c.accounting === 'pure') {
    expect(rho.isZero()).toBe(true);
    expect(eps.lte(fraction(charged.epsilon))).toBe(true);
  } else if (c.accounting === 'zcdp') {
    // Laplace steps are charged ε²/2 each: sum over draws separately.
    let implied = rho;
    for (const d of draws.filter(x => x.family === 'laplace')) {
      const e = Rational.of(sensitivity(c, d.label ?? '')[0]).div(d.scale);
      implied = implied.add(e.mul(e).divInt(2n));
    }
    expect(implied.lte(fraction(charged.rho ?? '0'))).toBe(true);
  } else {
    const delta = Number(fraction(charged.delta).num) / Number(fraction(charged.delta).den);
    const r = Number(rho.num) / Number(rho.den);
    const implied = Number(eps.num) / Number(eps.den) + (r > 0 ? tightEpsilon(r, delta) : 0);
    const e = fraction(charged.epsilon);
    expect(implied).toBeLessThanOrEqual((Number(e.num) / Number(e.den)) * (1 + 1e-6) + 1e-12);
  }
  tally.answered++;
}

test('every answered model request is charged exactly its composed loss, and its noise implies no more', async () => {
  await fc.assert(fc.asyncProperty(cases, check), { seed: SEED, numRuns: RUNS, verbose: 1 });
  expect(tally.answered).toBeGreaterThan(RUNS / 3);
}, 300000);
