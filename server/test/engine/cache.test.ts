import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetCache } from '../../src/engine/cache';
import { execute } from '../../src/engine/execute';
import { meta, resolve } from './helpers';

const M = meta({ columns: { v: { type: 'int', lower: 0, upper: 100 } } });
const dir = mkdtempSync(join(tmpdir(), 'lomas-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('loads once per version, shares concurrent loads, reloads on version bump', async () => {
  const path = join(dir, 'd.csv');
  writeFileSync(path, 'v\n1\n2\n3\n');
  const loads: number[] = [];
  const cache = new DatasetCache({ onLoad: (_n, version) => loads.push(version) });
  const ref = {
    name: 'd',
    version: 1,
    connector: { kind: 'file', path, format: 'csv' },
    metadata: M
  };
  const count = () =>
    cache
      .use(ref, d => execute(resolve({ aggregations: [{ op: 'count' }] }, M), d))
      .then(r => r.groups[0].rows);

  const first = await Promise.all([count(), count(), count(), count()]);
  expect(first).toEqual([3n, 3n, 3n, 3n]);
  expect(loads).toEqual([1]);

  writeFileSync(path, 'v\n1\n2\n3\n4\n5\n');
  expect(await count()).toBe(3n); // same version: cached
  expect(loads).toEqual([1]);

  ref.version = 2;
  expect(await count()).toBe(5n); // new version: reloaded
  expect(loads).toEqual([1, 2]);
  expect(cache.has('d', 2)).toBe(true);
  expect(cache.has('d', 1)).toBe(false);
  cache.close();
});

test('a failed load is not cached', async () => {
  const cache = new DatasetCache();
  const path = join(dir, 'later.csv');
  const ref = {
    name: 'x',
    version: 1,
    connector: { kind: 'file', path, format: 'csv' },
    metadata: M
  };
  await expect(cache.load(ref)).rejects.toThrow(/cannot read/);
  writeFileSync(path, 'v\n7\n');
  const d = await cache.load(ref);
  expect(d.rowCount).toBe(1n);
  cache.close();
});

test('every instance the cache loads gets the configured limits (and never spills to disk)', async () => {
  const path = join(dir, 'limits.csv');
  writeFileSync(path, 'v\n1\n');
  const cache = new DatasetCache({
    limits: { memoryLimit: '300MB', threads: 1, queryTimeoutMs: 1234 }
  });
  const ref = {
    name: 'l',
    version: 1,
    connector: { kind: 'file', path, format: 'csv' },
    metadata: M
  };
  try {
    await cache.use(ref, async d => {
      const conn = await d.instance.connect();
      try {
        const r = await conn.runAndReadAll(
          "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        );
        expect(r.getRows()[0]).toEqual(['286.1 MiB', 1n, '']);
        expect(d.limits.queryTimeoutMs).toBe(1234);
      } finally {
        conn.closeSync();
      }
    });
  } finally {
    cache.close();
  }
});
