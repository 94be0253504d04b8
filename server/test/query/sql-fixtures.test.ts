import { LomasError, type DatasetMetadata, type QueryPlan } from 'lomas-kernel/protocol';
import { compileSql } from 'lomas-kernel/sql';
import {
  acceptedSqlFixtures,
  refusedSqlFixtures
} from '../../../kernel-lib/src/protocol/fixtures/sql';
import { demoDatasets } from '../../src/datasets/demo';
import { checkDeltaWithinLimits } from '../../src/domain/planning';
import { prepare } from '../../src/domain/queries';
import type { DatasetRecord } from '../../src/store/types';

/**
 * The shared SQL corpus, checked by the server: accepted queries compile to plans that the server
 * validates against the penguins metadata and costs; refused ones are refused with the expected
 * code, rule and caret, by the compiler alone or by the plan's checks placed back on the SQL.
 */
const reg = demoDatasets().find(d => d.name === 'penguins')!;
const penguins: DatasetRecord = {
  ...reg,
  version: 1,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z'
};
const zcdp: DatasetRecord = {
  ...penguins,
  accounting: 'zcdp',
  delta: '0.000001',
  cap: { epsilon: '20', delta: '0.0001' }
};

function checks(dataset: DatasetRecord) {
  return (plan: QueryPlan): void =>
    checkDeltaWithinLimits(prepare(plan, dataset).planned, dataset, {
      epsilon: '10',
      delta: '0.00001'
    });
}

function withoutBounds(columns: string[] = []): DatasetRecord {
  const metadata = JSON.parse(JSON.stringify(penguins.metadata)) as DatasetMetadata;
  for (const c of columns) {
    const col = metadata.columns[c] as { lower?: number; upper?: number };
    delete col.lower;
    delete col.upper;
  }
  return { ...penguins, metadata };
}

function refusal(f: () => unknown): LomasError {
  try {
    f();
  } catch (e) {
    if (e instanceof LomasError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe.each(acceptedSqlFixtures().map(f => [f.name, f] as const))('accepted SQL %s', (_n, f) => {
  test('compiles to the fixture plan, which the server validates and costs', () => {
    const needsDelta = f.plan.groupby?.discover !== undefined;
    const dataset = needsDelta ? zcdp : penguins;
    const c = compileSql(f.request, checks(dataset));
    expect(c.plan).toEqual(f.plan);
    const planned = prepare(c.plan, dataset).planned;
    expect(planned.aggregations).toHaveLength(f.plan.aggregations.length);
  });
});

describe.each(refusedSqlFixtures().map(f => [f.name, f] as const))('refused SQL %s', (_n, f) => {
  test(`is refused with ${f.expect.code}, the caret at ${f.expect.line}:${f.expect.column}`, () => {
    const e = refusal(() =>
      compileSql(f.request, checks(withoutBounds(f.expect.unboundedColumns)))
    );
    expect(e.code).toBe(f.expect.code);
    if (f.expect.rule) expect(e.details.sqlRule ?? e.details.rule).toBe(f.expect.rule);
    if (f.expect.line !== undefined)
      expect(e.details.sql).toMatchObject({ line: f.expect.line, column: f.expect.column });
  });
});
