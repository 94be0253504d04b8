/**
 * Red team that generates its own attacks (issue 8): random metadata, private rows and plans over
 * every aggregation, mechanism, accounting mode and budget form, with extreme literals and
 * integer keys beyond ±2^53, run through the server's own pipeline (validate → plan → charge the
 * ledger → DuckDB → release). For every case that is answered, checked INDEPENDENTLY of the DP
 * planner (see model.ts):
 *  (a) the loss implied by the noise the samplers were actually called with, from sensitivities
 *      the red team recomputes from the metadata, is at most what the ledger charged, in every
 *      dimension of the dataset's accounting;
 *  (b) distinct keys stay distinct (released rows, and the engine's groups add up to the rows);
 *  (c) the scale reported in the release is the scale used.
 * A case refused before the charge must be refused with a typed LomasError and charge nothing.
 *
 * Seeded and reproducible: LOMAS_REDTEAM_SEED and LOMAS_REDTEAM_RUNS override the defaults;
 * fast-check prints the seed and the counterexample path on failure.
 */
import fc from 'fast-check';
import {
  DatasetMetadata,
  LomasError,
  checkPlan,
  parsePlan,
  type Budget,
  type ReleaseResponse
} from 'lomas-kernel/protocol';
import { observeNoise, seededRng, type NoiseDraw } from '../../src/dp';
import { Rational } from '../../src/dp/rational';
import { checkDeltaWithinLimits, costQuery, type CostedQuery } from '../../src/domain/planning';
import { buildRelease } from '../../src/domain/release';
import { execute } from '../../src/engine';
import { loadDataset } from '../../src/engine/load';
import { createLedger } from '../../src/ledger';
import type { RAggregation } from '../../src/query/types';
import { MemoryStore } from '../../src/store/memory';
import type { DatasetRecord } from '../../src/store/types';
import { cases, type Case } from './arbitraries';
import { impliedLoss, tightEpsilon, type AggregationFacts, type ImpliedParts } from './model';

const SEED = Number(process.env.LOMAS_REDTEAM_SEED ?? 20261130);
const RUNS = Number(process.env.LOMAS_REDTEAM_RUNS ?? 400);

const GRANTS: Record<Case['accounting'], Budget> = {
  pure: { epsilon: '1000000', delta: '0' },
  approx: { epsilon: '1000000', delta: '0.9' },
  zcdp: { epsilon: '0', delta: '0.9', rho: '1000000' }
};

const tally = { answered: 0, refused: new Map<string, number>(), discovered: 0, bigKeys: 0 };

interface Answered {
  planned: CostedQuery;
  release: ReleaseResponse;
  draws: NoiseDraw[];
  charged: Budget;
  groupRows: bigint[];
  groupKeys: string[];
  totalRows: bigint;
}

function record(c: Case): DatasetRecord {
  const at = '2026-11-30T00:00:00Z';
  return {
    name: 'redteam',
    connector: { kind: 'rows' },
    metadata: DatasetMetadata.parse(c.metadata),
    accounting: c.accounting,
    delta: c.accounting === 'pure' ? undefined : '0.000001',
    cap: null,
    version: 1,
    createdAt: at,
    updatedAt: at
  };
}

/** The server's pipeline, step by step, as domain/queries.ts runs it (minus HTTP and archive). */
async function run(c: Case): Promise<Answered | { refused: string }> {
  const dataset = record(c);
  const grant = GRANTS[c.accounting];
  let planned: CostedQuery;
  try {
    const plan = parsePlan(c.plan);
    planned = costQuery(checkPlan(plan, dataset), dataset);
    checkDeltaWithinLimits(planned, dataset, grant);
  } catch (e) {
    if (e instanceof LomasError) return { refused: e.code };
    throw e;
  }
  const store = new MemoryStore();
  const ledger = createLedger(store);
  let entry;
  try {
    ({ entry } = await ledger.charge({
      user: 'mallory',
      dataset: 'redteam',
      cost: planned.charge,
      grant,
      cap: null,
      accounting: c.accounting,
      queryId: 'q',
      requestHash: 'h'
    }));
  } catch (e) {
    // refused by the ledger (beyond the grant): typed, and nothing written
    if (!(e instanceof LomasError)) throw e;
    expect(await store.ledgerEntries({})).toEqual([]);
    return { refused: e.code };
  }
  const loaded = await loadDataset({ kind: 'rows', rows: c.rows }, dataset.metadata);
  const draws: NoiseDraw[] = [];
  try {
    const exact = await execute(planned.checked, loaded);
    observeNoise(d => draws.push(d));
    const release = buildRelease(planned, exact, seededRng(JSON.stringify(c.plan)), 'release');
    observeNoise(null);
    const total = await execute(
      {
        ...planned.checked,
        groupBy: null,
        aggregations: [{ op: 'count', index: 0, name: 'n' }]
      },
      loaded
    );
    return {
      planned,
      release,
      draws,
      charged: entry.cost,
      groupRows: exact.groups.map(g => g.rows),
      groupKeys: exact.groups.map(g =>
        JSON.stringify(g.key, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))
      ),
      totalRows: total.groups[0].rows
    };
  } finally {
    observeNoise(null);
    loaded.close();
  }
}

function factsOf(a: RAggregation, grid: number, discover: boolean): AggregationFacts {
  return {
    op: a.op,
    discover,
    bounds: 'bounds' in a ? a.bounds : undefined,
    grid,
    q: a.op === 'quantile' || a.op === 'median' ? a.q[0] : undefined
  };
}

const fraction = (s: string) => {
  const [n, d] = s.split('/');
  return Rational.of(BigInt(n), BigInt(d ?? '1'));
};

/** (a): the implied loss is within the charge, in every dimension of the measure. */
function checkLoss(c: Case, parts: ImpliedParts, charged: Budget): void {
  const eps = fraction(charged.epsilon);
  const delta = fraction(charged.delta);
  const rho = fraction(charged.rho ?? '0');
  const sumEps = parts.pureEpsilons.reduce((x, y) => x.add(y), Rational.ZERO);
  if (c.accounting === 'pure') {
    expect(parts.rho.isZero() && parts.thresholdDelta === 0).toBe(true);
    expect(sumEps.lte(eps)).toBe(true);
  } else if (c.accounting === 'zcdp') {
    const implied = parts.pureEpsilons.reduce((r, e) => r.add(e.mul(e).divInt(2n)), parts.rho);
    expect(implied.lte(rho)).toBe(true);
    expect(parts.thresholdDelta).toBeLessThanOrEqual(
      (Number(delta.num) / Number(delta.den)) * (1 + 1e-9)
    );
  } else {
    const d = Number(delta.num) / Number(delta.den);
    expect(parts.thresholdDelta).toBeLessThanOrEqual(d * (1 + 1e-9));
    const e = Number(sumEps.num) / Number(sumEps.den);
    const r = Number(parts.rho.num) / Number(parts.rho.den);
    const spare = d - parts.thresholdDelta;
    const implied = r === 0 ? e : e + tightEpsilon(r, spare);
    if (r > 0) expect(spare).toBeGreaterThan(0);
    expect(implied).toBeLessThanOrEqual((Number(eps.num) / Number(eps.den)) * (1 + 1e-6) + 1e-12);
  }
}

function checkAnswer(c: Case, a: Answered): void {
  const discover = a.planned.checked.groupBy?.mode === 'discover';
  // the ledger charged exactly the planned (composed) cost
  for (const k of ['epsilon', 'delta', 'rho'] as const)
    expect(fraction(a.charged[k] ?? '0').eq(fraction(a.planned.charge[k] ?? '0'))).toBe(true);
  // (a) per aggregation, the draws it made, with the red team's sensitivities
  let at = 0;
  const all: ImpliedParts = { pureEpsilons: [], rho: Rational.ZERO, thresholdDelta: 0 };
  const rows = BigInt(c.metadata.max_ids);
  a.planned.aggregations.forEach((p, i) => {
    const facts = factsOf(p.agg, p.dp.grid, discover);
    const n = facts.op === 'count' || facts.op === 'histogram' ? 1 : p.dp.statistics.length;
    const mine = a.draws.slice(at, at + n);
    at += n;
    const part = impliedLoss(facts, mine, { rows });
    all.pureEpsilons.push(...part.pureEpsilons);
    all.rho = all.rho.add(part.rho);
    all.thresholdDelta += part.thresholdDelta;
    // (c) the reported scale is the scale of the first statistic actually drawn
    const first = mine[0];
    const g = first.label === 'sum' ? facts.grid : 0;
    const used = (Number(first.scale.num) / Number(first.scale.den)) * 2 ** g;
    const reported = Number(a.release.mechanisms[i].scale);
    expect(reported).toBeGreaterThanOrEqual(used * (1 - 1e-12));
    expect(reported).toBeLessThanOrEqual(used * (1 + 1e-5)); // 6 significant digits, rounded up
    // clamping bounds: the aggregation's own bounds override the column's public bounds
    // (docs/ARCHITECTURE.md); without them a metadata column clamps to its metadata bounds
    if (facts.bounds && 'column' in p.agg) {
      const own = (c.plan.aggregations[i] as { bounds?: [number, number] }).bounds;
      const steps = c.plan.steps as Array<{ op: string; columns?: Record<string, unknown> }>;
      const column = p.agg.column as string;
      const derived = steps.some(s => s.op === 'derive' && s.columns && column in s.columns);
      if (own) expect(facts.bounds).toEqual(own);
      else if (!derived && (p.agg.column === 'x_int' || p.agg.column === 'x_float')) {
        const m = c.metadata.columns[p.agg.column] as { lower: number; upper: number };
        expect(facts.bounds).toEqual([m.lower, m.upper]);
      }
    }
  });
  expect(at).toBe(a.draws.length);
  checkLoss(c, all, a.charged);
  // (b) distinct keys: released rows, and the engine's groups
  const keyCols = a.release.columns.filter(col => col.role === 'key').map(col => col.name);
  const released = a.release.rows.map(r => JSON.stringify(keyCols.map(k => r[k])));
  expect(new Set(released).size).toBe(released.length);
  expect(new Set(a.groupKeys).size).toBe(a.groupKeys.length);
  if (discover || !a.planned.checked.groupBy) {
    expect(a.groupRows.reduce((x, y) => x + y, 0n)).toBe(a.totalRows);
  }
  if (discover) tally.discovered++;
  if (
    a.release.rows.some(r =>
      keyCols.some(k => typeof r[k] === 'string' && /^-?\d{16,}$/.test(r[k] as string))
    )
  )
    tally.bigKeys++;
}

describe('red team: generated attacks (fast-check)', () => {
  afterAll(() => {
    const refused = [...tally.refused].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(
      `red team: seed ${SEED}, ${RUNS} cases: ${tally.answered} answered (${tally.discovered} with key discovery, ${tally.bigKeys} releasing keys beyond 2^53), refused: ${refused}`
    );
  });

  test(`${RUNS} generated cases: implied loss within the charge, keys distinct, scales as reported`, async () => {
    await fc.assert(
      fc.asyncProperty(cases, async c => {
        const out = await run(c);
        if ('refused' in out) {
          tally.refused.set(out.refused, (tally.refused.get(out.refused) ?? 0) + 1);
          return;
        }
        tally.answered++;
        checkAnswer(c, out);
      }),
      { seed: SEED, numRuns: RUNS }
    );
    // the generator must reach the interesting paths, or the suite proves little
    expect(tally.answered).toBeGreaterThan(RUNS / 5);
    expect(tally.discovered).toBeGreaterThan(5);
    expect(tally.bigKeys).toBeGreaterThan(0);
  }, 600_000);
});
