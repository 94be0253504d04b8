import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute } from '../../src/engine/execute';
import { loadDataset, type LoadedDataset } from '../../src/engine/load';
import { loadRows, meta, resolve } from './helpers';

/**
 * A file dataset's table is stored compressed (an in-memory database attached with COMPRESS,
 * engine/load.ts): the same rows as the uncompressed table of the same rows, so the same exact
 * statistics, and it is locked down like any other.
 */
const M = meta({
  max_ids: 1,
  row_privacy: true,
  columns: {
    g: { type: 'string', categories: ['a', 'b', 'c'], nullable: true },
    x: { type: 'int', lower: -50, upper: 50, nullable: true },
    y: { type: 'float', lower: 0, upper: 10, nullable: true }
  }
});
const ROWS = Array.from({ length: 5000 }, (_, i) => ({
  g: i % 7 === 0 ? null : ['a', 'b', 'c', 'zzz'][i % 4],
  x: i % 11 === 0 ? null : ((i * 37) % 101) - 50,
  y: ((i * 13) % 1000) / 100
}));

let dir: string;
let fromFile: LoadedDataset;
let fromRows: LoadedDataset;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lomas-compressed-'));
  const path = join(dir, 'rows.json');
  writeFileSync(path, JSON.stringify(ROWS));
  const release = async () => undefined;
  fromFile = await loadDataset({ path, format: 'json', columns: {}, bytes: 0, release }, M);
  fromRows = await loadRows(M, ROWS);
});

afterAll(() => {
  fromFile?.close();
  fromRows?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the file table lives in the compressed database; `data` is a view of it', async () => {
  const conn = await fromFile.instance.connect();
  try {
    const tables = await conn.runAndReadAll(
      "SELECT database_name FROM duckdb_tables() WHERE table_name = 'data'"
    );
    expect(tables.getRows()).toEqual([['lomas_data']]);
    const views = await conn.runAndReadAll(
      "SELECT database_name FROM duckdb_views() WHERE view_name = 'data' AND NOT internal"
    );
    expect(views.getRows()).toEqual([['memory']]);
  } finally {
    conn.closeSync();
  }
});

test('the same exact statistics as the uncompressed table of the same rows', async () => {
  for (const aggregations of [
    [{ op: 'count' }],
    [{ op: 'sum', column: 'x' }],
    [{ op: 'mean', column: 'y' }],
    [{ op: 'variance', column: 'x' }],
    [{ op: 'median', column: 'y' }]
  ] as const) {
    const plan = resolve({ groupby: { keys: ['g'] }, aggregations: [...aggregations] }, M);
    const [a, b] = await Promise.all([execute(plan, fromFile), execute(plan, fromRows)]);
    expect({ ...a, elapsedMs: 0 }).toEqual({ ...b, elapsedMs: 0 });
  }
  expect(fromFile.rowCount).toBe(5000n);
});

test('locked down like any other: no file access, no attaching, no settings', async () => {
  const conn = await fromFile.instance.connect();
  try {
    for (const sql of [
      "SELECT * FROM read_text('/etc/hostname')",
      "COPY data TO '/tmp/lomas-leak.csv'",
      "ATTACH '/tmp/lomas-leak.db'",
      'SET enable_external_access = true'
    ])
      await expect(conn.run(sql)).rejects.toThrow();
  } finally {
    conn.closeSync();
  }
});
