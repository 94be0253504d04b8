/**
 * The models' SQL (server/src/models/sql.ts) implements each model's engine contract: on random
 * rows loaded into DuckDB — with NULLs, values outside the bounds, a class outside the public
 * list, a filter and a derived column — its exact statistics equal the DP engine's in-memory
 * reference (dp/models/*: linearStatistics, naiveBayesStatistics, logisticOracle, kmeansOracle).
 * Logistic gradients may differ by one unit per row (DuckDB's exp and V8's Math.exp can round
 * differently); every other statistic is equal to the last bit.
 */
import { DatasetMetadata, parseModelRequest } from 'lomas-kernel/protocol';
import {
  kmeansOracle,
  linearStatistics,
  logisticClass,
  logisticOracle,
  LOGIT_LIMIT,
  naiveBayesStatistics,
  normalise
} from '../../src/dp';
import { DATA_TABLE, loadDataset, type LoadedDataset } from '../../src/engine/load';
import type { StorageInfo } from '../../src/query/compile';
import { planModel, type PlannedModel } from '../../src/models/plan';
import {
  assignSql,
  classStatisticsSql,
  gradientSql,
  inertiaSql,
  linearSql,
  logisticCorrectSql,
  type CompiledSql
} from '../../src/models/sql';
import type { DatasetRecord } from '../../src/store/types';

const METADATA = DatasetMetadata.parse({
  columns: {
    a: { type: 'float', lower: -5, upper: 5, nullable: true },
    b: { type: 'int', lower: 0, upper: 100, nullable: false },
    flag: { type: 'boolean', nullable: true },
    cat: { type: 'string', categories: ['u', 'v', 'w'], nullable: false },
    cls: { type: 'string', categories: ['p', 'q', 'r'], nullable: true },
    y: { type: 'float', lower: 0, upper: 10, nullable: false }
  }
});

interface Row {
  a: number | null;
  b: number;
  flag: boolean | null;
  cat: string;
  cls: string | null;
  y: number;
}

function rows(n: number): Row[] {
  let s = 12345;
  const u = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => ({
    a: u() < 0.05 ? null : (u() - 0.5) * 14, // beyond ±5 sometimes: clamped
    b: Math.floor(u() * 120), // beyond 100 sometimes: clamped
    flag: u() < 0.05 ? null : u() < 0.4,
    cat: ['u', 'v', 'w'][Math.floor(u() * 3)],
    cls: u() < 0.05 ? null : u() < 0.03 ? 'zz' : ['p', 'q', 'r'][Math.floor(u() * 3)],
    y: u() * 12 - 1
  }));
}

const DATA = rows(3000);
let loaded: LoadedDataset;
let storage: StorageInfo;

beforeAll(async () => {
  loaded = await loadDataset(
    { kind: 'rows', rows: DATA as unknown as Record<string, unknown>[] },
    METADATA
  );
  storage = { table: DATA_TABLE, columns: Object.keys(loaded.columns) };
});
afterAll(() => loaded?.close());

const record: DatasetRecord = {
  name: 'sqltest',
  connector: { kind: 'rows' },
  metadata: METADATA,
  accounting: 'zcdp',
  delta: '0.000001',
  cap: null,
  version: 1,
  createdAt: '2026-11-30T00:00:00Z',
  updatedAt: '2026-11-30T00:00:00Z'
};

/** A filter (b > 10) and a derived feature a2 = a·2 with bounds [−6, 6], as every request uses. */
const STEPS = [
  {
    op: 'filter',
    predicate: {
      kind: 'binary',
      op: '>',
      left: { kind: 'col', name: 'b' },
      right: { kind: 'lit', value: 10 }
    }
  },
  {
    op: 'derive',
    columns: {
      a2: {
        expr: {
          kind: 'binary',
          op: '*',
          left: { kind: 'col', name: 'a' },
          right: { kind: 'lit', value: 2 }
        },
        lower: -6,
        upper: 6
      }
    }
  }
];
const FEATURES = ['a2', 'b', 'flag', { column: 'cat', encoding: 'onehot' }];

function plan(parts: Record<string, unknown>): PlannedModel {
  return planModel(
    parseModelRequest({
      version: 1,
      dataset: 'sqltest',
      steps: STEPS,
      features: FEATURES,
      budget: { rho: 1 },
      ...parts
    }),
    record
  );
}

/** The same rows and encoding in TypeScript: complete rows of the filter, x in original units. */
function reference(withClass: boolean): Array<{ x: number[]; y: number }> {
  return DATA.filter(
    r =>
      r.b > 10 &&
      r.a !== null &&
      r.flag !== null &&
      (!withClass || (r.cls !== null && r.cls !== 'zz'))
  ).map(r => ({
    x: [r.a! * 2, r.b, r.flag ? 1 : 0, r.cat === 'v' ? 1 : 0, r.cat === 'w' ? 1 : 0],
    y: withClass ? ['p', 'q', 'r'].indexOf(r.cls!) : r.y
  }));
}

async function run(q: CompiledSql) {
  const conn = await loaded.instance.connect();
  try {
    return (await conn.runAndReadAll(q.sql, q.params, q.types)).getRows();
  } finally {
    conn.closeSync();
  }
}

const big = (v: unknown) => (v === null ? 0n : BigInt(v as bigint));

test('linear: n, Σq and Σq·q equal the reference exactly', async () => {
  const p = plan({ model: 'linear', target: 'y' });
  expect(p.resolved.features.map(f => f.name)).toEqual(['a2', 'b', 'flag', 'cat=v', 'cat=w']);
  const [row] = await run(linearSql(p.resolved, storage));
  const ref = linearStatistics(reference(false), p.dp as never);
  expect(row.map(big)).toEqual([ref.count, ...ref.sums, ...ref.products]);
});

test('naive Bayes: per class n, Σq, Σq² equal the reference exactly (the "zz" class is left out)', async () => {
  const p = plan({ model: 'naive_bayes', target: 'cls' });
  const rowsSql = await run(classStatisticsSql(p.resolved, storage));
  const ref = naiveBayesStatistics(reference(true), {
    features: (p.dp as never as { features: never }).features,
    classes: 3
  });
  const byClass = new Map(rowsSql.map(r => [Number(r[0]), r.slice(1).map(big)]));
  ref.forEach((s, k) => expect(byClass.get(k)).toEqual([s.count, ...s.sums, ...s.squares]));
});

test('logistic: gradients within one unit per row of the reference; correct counts equal', async () => {
  const p = plan({ model: 'logistic', target: 'cls', options: { clip: 0.7 } });
  const dp = p.dp as Extract<PlannedModel['dp'], { kind: 'logistic' }>;
  const ref = reference(true);
  const oracle = logisticOracle(ref, dp);
  for (const theta of [
    [new Array(6).fill(0), new Array(6).fill(0)],
    [
      [0.3, -1, 2, 0.5, -0.2, 1],
      [-0.1, 4, -3, 0.1, 0.2, -50]
    ]
  ]) {
    const [sqlRow] = await run(gradientSql(p.resolved, storage, theta, LOGIT_LIMIT, dp.clip));
    const expected = await oracle.gradient(theta);
    sqlRow.map(big).forEach((g, i) => {
      const diff = g - expected[i];
      expect(diff <= BigInt(ref.length) && diff >= -BigInt(ref.length)).toBe(true);
    });
    const [[correct]] = await run(logisticCorrectSql(p.resolved, storage, theta));
    const norm = ref.map(r => ({ c: r.x.map((v, j) => normalise(v, dp.features[j])), y: r.y }));
    expect(big(correct)).toBe(BigInt(norm.filter(r => logisticClass(theta, r.c) === r.y).length));
  }
});

test('k-means: assignments, per-cluster sums and inertia equal the reference exactly', async () => {
  const p = plan({ model: 'kmeans', options: { clusters: 3 } });
  const dp = p.dp as Extract<PlannedModel['dp'], { kind: 'kmeans' }>;
  const oracle = kmeansOracle(
    reference(false).map(r => r.x),
    dp
  );
  const centres = dp.init;
  const sqlRows = await run(assignSql(p.resolved, storage, centres));
  const byCluster = new Map(sqlRows.map(r => [Number(r[0]), r.slice(1).map(big)]));
  (await oracle.assign(centres)).forEach((s, k) =>
    expect(byCluster.get(k) ?? [0n, 0n, 0n, 0n, 0n, 0n]).toEqual([s.count, ...s.sums])
  );
  const [[inertia]] = await run(inertiaSql(p.resolved, storage, centres));
  expect(big(inertia)).toBe(await oracle.inertia!(centres));
});
