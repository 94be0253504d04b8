import { LomasError, type DatasetMetadata } from 'lomas-kernel/protocol';
import { mechanismOption, previousQuery, sqlRequestOf } from './lomas';
import { LomasJobs } from './lomasJobs';
import {
  LomasCsvwTable,
  LomasDummyDataset,
  LomasException,
  LomasJob,
  LomasPreviousQuery
} from './lomasSchemas';
import { asFloat, csvwMetadata, dummyDtypes, lomasException, tightFrame } from './lomasWire';

const META: DatasetMetadata = {
  max_ids: 2,
  row_privacy: false,
  privacy_id: 'pid',
  rows: 100,
  columns: {
    pid: { type: 'int', nullable: false },
    species: { type: 'string', categories: ['A', 'B'], nullable: false },
    mass: { type: 'float', lower: 1.5, upper: 9, nullable: true },
    n: { type: 'int', lower: 0, upper: 10, nullable: true },
    ok: { type: 'boolean', nullable: true },
    at: { type: 'datetime', lower: '2020-01-01', upper: '2021-01-01', nullable: false },
    note: { type: 'string', nullable: true }
  }
};

describe('CSVW-EO metadata (csvw_eo.TableMetadata field names)', () => {
  test('columns, types, bounds, keys and the privacy unit', () => {
    const t = csvwMetadata(META);
    expect(t).toMatchObject({
      table_type: 'Table',
      privacy_unit: 'pid',
      max_contributions: 2,
      public_length: 100,
      max_length: null
    });
    expect(t.columns).toEqual([
      { name: 'pid', datatype: 'integer', required: true, privacy_id: true },
      {
        name: 'species',
        datatype: 'string',
        required: true,
        public_keys_values: [
          { predicate: { partition_value: 'A' } },
          { predicate: { partition_value: 'B' } }
        ],
        exhaustive_keys: true,
        max_num_partitions: 2
      },
      { name: 'mass', datatype: 'double', required: false, minimum: 1.5, maximum: 9 },
      { name: 'n', datatype: 'integer', required: false, minimum: 0, maximum: 10 },
      { name: 'ok', datatype: 'boolean', required: false },
      {
        name: 'at',
        datatype: 'dateTime',
        required: true,
        minimum: '2020-01-01',
        maximum: '2021-01-01'
      },
      { name: 'note', datatype: 'string', required: false }
    ]);
    expect(LomasCsvwTable.safeParse(t).success).toBe(true);
  });

  test('pandas dtypes of the dummy frame: nullable integers and booleans', () => {
    expect(dummyDtypes(META)).toEqual({
      pid: 'Int64',
      species: 'string',
      mass: 'float64',
      n: 'Int64',
      ok: 'boolean',
      at: 'datetime64[ns, UTC]',
      note: 'string'
    });
    const frame = tightFrame(['pid', 'ok'], [{ pid: 1, ok: null }]);
    expect(
      LomasDummyDataset.safeParse({ dtypes: dummyDtypes(META), dummy_df: frame }).success
    ).toBe(true);
  });
});

describe('tight DataFrames', () => {
  test('index 0..n-1, the given column order, missing cells as null', () => {
    expect(tightFrame(['b', 'a'], [{ a: 1, b: 'x' }, { a: null }])).toEqual({
      index: [0, 1],
      columns: ['b', 'a'],
      data: [
        ['x', 1],
        [null, null]
      ],
      index_names: [null],
      column_names: [null]
    });
    expect(tightFrame(['a'], []).data).toEqual([]);
  });
});

describe('amounts as floats', () => {
  test('exact decimals read as the nearest float; beyond the largest float, the largest', () => {
    expect(asFloat('0.00001')).toBe(0.00001);
    expect(asFloat(undefined)).toBe(0);
    expect(asFloat('1' + '0'.repeat(400))).toBe(Number.MAX_VALUE);
    expect(JSON.parse(JSON.stringify({ e: asFloat('9'.repeat(1100)) })).e).toBe(Number.MAX_VALUE);
  });
});

describe('errors in the client exception types', () => {
  const map = (e: LomasError) => {
    const { status, body } = lomasException(e);
    return `${status} ${body.type}${'library' in body ? ` ${body.library}` : ''}`;
  };
  test.each([
    [new LomasError('UNAUTHENTICATED'), '401 UnauthorizedAccessException'],
    [new LomasError('FORBIDDEN'), '403 UnauthorizedAccessException'],
    [new LomasError('DATASET_NOT_FOUND', { dataset: 'x' }), '403 UnauthorizedAccessException'],
    [new LomasError('NO_GRANT', { dataset: 'x' }), '403 UnauthorizedAccessException'],
    [new LomasError('BUDGET_EXHAUSTED'), '400 InvalidQueryException'],
    [new LomasError('DATASET_CAP_EXHAUSTED'), '400 InvalidQueryException'],
    [new LomasError('INVALID_REQUEST', { problem: 'p' }), '400 InvalidQueryException'],
    [new LomasError('UNSUPPORTED_SQL'), '422 ExternalLibraryException smartnoise_sql'],
    [new LomasError('INVALID_SQL'), '422 ExternalLibraryException smartnoise_sql'],
    [new LomasError('PRIVACY_RULE'), '422 ExternalLibraryException smartnoise_sql'],
    [new LomasError('UNKNOWN_COLUMN'), '422 ExternalLibraryException smartnoise_sql'],
    [new LomasError('RATE_LIMITED'), '429 InvalidQueryException'],
    [new LomasError('NOT_FOUND'), '404 InvalidQueryException'],
    [new LomasError('PAYLOAD_TOO_LARGE'), '413 InvalidQueryException'],
    [new LomasError('QUERY_FAILED'), '500 InternalServerException'],
    [new LomasError('INTERNAL'), '500 InternalServerException'],
    [new LomasError('UNAVAILABLE'), '503 InternalServerException']
  ])('%s → %s', (err, want) => {
    expect(map(err)).toBe(want);
    expect(LomasException.safeParse(lomasException(err).body).success).toBe(true);
  });

  test('the body keeps the message, the code and the details', () => {
    const e = new LomasError('NO_GRANT', { dataset: 'penguins' }, { extra: 1 });
    expect(lomasException(e).body).toEqual({
      type: 'UnauthorizedAccessException',
      message: e.message,
      code: 'NO_GRANT',
      details: { dataset: 'penguins', extra: 1 }
    });
  });
});

describe('the SmartNoise-SQL request → this server’s SQL request', () => {
  const base = {
    dataset_name: 'penguins',
    query_str: 'SELECT COUNT(*) AS n FROM df',
    epsilon: 0.5,
    delta: 1e-5,
    mechanisms: {}
  };
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as LomasError).message;
    }
    throw new Error('no refusal');
  };

  test('ε is the query budget; δ goes on only with Gaussian noise', () => {
    expect(sqlRequestOf(base)).toEqual({
      sql: base.query_str,
      dataset: 'penguins',
      options: { epsilon: 0.5 }
    });
    expect(
      sqlRequestOf({ ...base, mechanisms: { count: 'gaussian', sum_float: 'discrete_gaussian' } })
        .options
    ).toEqual({
      epsilon: 0.5,
      delta: 1e-5,
      mechanism: 'gaussian'
    });
    expect(sqlRequestOf({ ...base, mechanisms: { sum_int: 'geometric' } }).options).toEqual({
      epsilon: 0.5,
      mechanism: 'laplace'
    });
  });

  test('refusals: postprocess=false, unknown keys and mechanisms, threshold, mixed families', () => {
    expect(refusal(() => sqlRequestOf({ ...base, postprocess: false }))).toMatch(
      /postprocess=false/
    );
    expect(refusal(() => mechanismOption({ avg: 'laplace' }))).toMatch(/"avg" is not a SmartNoise/);
    expect(refusal(() => mechanismOption({ count: 'randomized_response' }))).toMatch(
      /not a mechanism/
    );
    expect(refusal(() => mechanismOption({ threshold: 'laplace' }))).toMatch(/threshold/);
    expect(refusal(() => mechanismOption({ count: 'laplace', sum_int: 'gaussian' }))).toMatch(
      /one mechanism family/
    );
    expect(
      refusal(() => sqlRequestOf({ ...base, delta: 0, mechanisms: { count: 'gaussian' } }))
    ).toMatch(/needs a delta/);
  });
});

describe('previous queries from the archive', () => {
  test('a release is post-processed as answered; a failure carries its exception', () => {
    const rec = {
      queryId: 'q1',
      user: 'alice',
      dataset: 'penguins',
      at: '2026-01-01T00:00:00.000Z',
      kind: 'release' as const,
      plan: {},
      sql: {
        text: 'SELECT species, COUNT(*) AS n FROM df GROUP BY species ORDER BY n DESC LIMIT 1',
        options: { epsilon: 1 },
        postprocess: {
          columns: ['species', 'n'],
          orderBy: [{ column: 'n', descending: true }],
          limit: 1
        }
      },
      release: {
        rows: [
          { species: 'A', n: 3, n_lower: 1, n_upper: 5 },
          { species: 'B', n: 7, n_lower: 5, n_upper: 9 }
        ],
        columns: []
      },
      cost: { epsilon: '1', delta: '0' }
    };
    const p = previousQuery(rec);
    expect(p).toMatchObject({
      dp_library: 'smartnoise_sql',
      client_input: { query_str: rec.sql.text, epsilon: 1, delta: 0, postprocess: true },
      response: {
        epsilon: 1,
        delta: 0,
        result: { df: { columns: ['species', 'n'], data: [['B', 7]] } }
      },
      timestamp: Date.parse(rec.at) / 1000
    });
    const failed = previousQuery({
      ...rec,
      kind: 'failure',
      release: null,
      error: new LomasError('QUERY_FAILED').toBody()
    });
    const gaussian = previousQuery({
      ...rec,
      sql: { ...rec.sql, options: { epsilon: 1, delta: 0.00001, mechanism: 'gaussian' } }
    });
    expect(gaussian.client_input).toMatchObject({
      delta: 0.00001,
      mechanisms: {
        count: 'gaussian',
        sum_int: 'gaussian',
        sum_large_int: 'gaussian',
        sum_float: 'gaussian'
      }
    });
    expect(failed.response).toBeNull();
    expect(failed.error).toMatchObject({ type: 'InternalServerException', code: 'QUERY_FAILED' });
    for (const q of [p, failed, gaussian]) expect(LomasPreviousQuery.parse(q)).toEqual(q);
  });
});

describe('jobs', () => {
  test('readable by their user for the time to live, then gone; the oldest go first', () => {
    let now = 0;
    const jobs = new LomasJobs({ ttlMs: 1000, maxJobs: 2, now: () => now });
    const a = jobs.finish('alice', { result: { epsilon: 1, delta: 0 } });
    expect(jobs.get('alice', a.uid)).toMatchObject({ status: 'complete', status_code: 200 });
    expect(LomasJob.parse(a)).toEqual(a);
    expect(() => jobs.get('bob', a.uid)).toThrow(/was not found/);
    const err = lomasException(new LomasError('QUERY_FAILED')).body;
    const b = jobs.finish('alice', { error: err, status: 500 });
    expect(jobs.get('alice', b.uid)).toMatchObject({
      status: 'failed',
      status_code: 500,
      error: err
    });
    jobs.finish('alice', { result: { epsilon: 2, delta: 0 } });
    expect(jobs.size).toBe(2);
    expect(() => jobs.get('alice', a.uid)).toThrow(/was not found/);
    now = 2000;
    expect(() => jobs.get('alice', b.uid)).toThrow(/was not found/);
  });
});
