import { DuckDBConnection, DuckDBPreparedStatement, INTEGER } from '@duckdb/node-api';
import { runBounded } from '../../src/engine/execute';
import { threadsFor } from '../../src/engine/load';
import { loadRows, meta } from './helpers';

const M = meta({ columns: { x: { type: 'int', lower: 0, upper: 100 } } });
const rows = Array.from({ length: 50 }, (_, i) => ({ x: i }));

describe('prepared statements per dataset instance (engine/statements.ts)', () => {
  test('the same SQL is prepared once and re-bound; its answers follow the new values', async () => {
    const d = await loadRows(M, rows);
    const prepare = jest.spyOn(DuckDBConnection.prototype, 'prepare');
    try {
      const sql = 'SELECT count(*) AS n FROM data WHERE x < $1';
      const at = async (v: number) =>
        (await runBounded(d, { sql, params: [v], types: [INTEGER] })).rows[0][0];
      expect(await at(10)).toBe(10n);
      expect(await at(20)).toBe(20n);
      expect(await at(0)).toBe(0n);
      expect(prepare).toHaveBeenCalledTimes(1);
    } finally {
      prepare.mockRestore();
      d.close();
    }
  });

  test('a statement that failed leaves its connection closed, not pooled', async () => {
    const d = await loadRows(M, rows);
    try {
      const bad = { sql: 'SELECT 1 / $1::INTEGER FROM nowhere', params: [1], types: [INTEGER] };
      await expect(runBounded(d, bad)).rejects.toThrow();
      const prepare = jest.spyOn(DuckDBConnection.prototype, 'prepare');
      const ok = { sql: 'SELECT count(*) FROM data', params: [], types: [] };
      expect((await runBounded(d, ok)).rows[0][0]).toBe(50n);
      expect((await runBounded(d, ok)).rows[0][0]).toBe(50n);
      expect(prepare).toHaveBeenCalledTimes(1);
      prepare.mockRestore();
    } finally {
      d.close();
    }
  });

  test('at most 32 statements stay prepared per connection: the least recently used goes', async () => {
    const d = await loadRows(M, rows);
    const destroy = jest.spyOn(DuckDBPreparedStatement.prototype, 'destroySync');
    try {
      for (let i = 0; i < 33; i++)
        await runBounded(d, { sql: `SELECT ${i} + count(*) FROM data`, params: [], types: [] });
      expect(destroy).toHaveBeenCalledTimes(1);
    } finally {
      d.close();
      // Closing the instance closes the connection, which frees the 32 still prepared.
      expect(destroy.mock.calls.length).toBeGreaterThanOrEqual(33);
      destroy.mockRestore();
    }
  });

  test('threads per instance: one per row group of 122,880 rows, within the limit', () => {
    expect(threadsFor(0n, 2)).toBe(1);
    expect(threadsFor(344n, 2)).toBe(1);
    expect(threadsFor(122_880n, 2)).toBe(1);
    expect(threadsFor(122_881n, 2)).toBe(2);
    expect(threadsFor(3_000_000n, 2)).toBe(2);
    expect(threadsFor(3_000_000n, 8)).toBe(8);
  });
});
