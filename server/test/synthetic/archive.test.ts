/**
 * The largest synthetic table the limits allow (SYNTHETIC_LIMITS.cells, all datetime values: the
 * longest JSON) must fit in the archive of both stores: MongoDB documents are limited to 16 MiB
 * (FerretDB here, unless MONGODB_TEST_URI), the embedded store has no such limit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTHETIC_LIMITS, type SyntheticRelease } from 'lomas-kernel/protocol';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store/types';
import { startMongoForTests, uniqueDbName, type MongoTestServer } from '../helpers/ferretdb';

jest.setTimeout(120_000);

function largest(): SyntheticRelease {
  const columns = 5;
  const rows = SYNTHETIC_LIMITS.cells / columns;
  const names = Array.from({ length: columns }, (_, i) => `when_${i}`);
  const data: SyntheticRelease['data'] = {};
  names.forEach((n, c) => {
    data[n] = Array.from({ length: rows }, (_, r) =>
      new Date(Date.UTC(2001, 0, 1) + (r * 7919 + c * 104729) * 1000).toISOString()
    );
  });
  return {
    version: 1,
    kind: 'release',
    dataset: 'big',
    queryId: 'q-big',
    title: 'largest synthetic table',
    rows,
    columns: names.map(name => ({ name, type: 'datetime' })),
    data,
    cost: { epsilon: '1', delta: '0' },
    mechanisms: [],
    model: { columns: [], omitted: [] },
    accuracy: { confidence: 0.95, marginals: [], selection: null, note: '' }
  };
}

async function roundTrip(store: Store): Promise<void> {
  const release = largest();
  // ~13.5 MB of JSON: below MongoDB's 16 MiB per document with room for the record's other fields.
  const size = JSON.stringify(release).length;
  expect(size).toBeGreaterThan(10_000_000);
  expect(size).toBeLessThan(15.5 * 2 ** 20);
  await store.addArchive({
    queryId: 'q-big',
    user: 'alice',
    dataset: 'big',
    at: new Date().toISOString(),
    kind: 'release',
    plan: { kind: 'synthetic' },
    release,
    cost: release.cost
  });
  const back = await store.getArchive('q-big');
  expect((back?.release as SyntheticRelease).data).toEqual(release.data);
}

test('embedded store (SQLite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lomas-archive-'));
  const store = await openStore({ dataDir: dir });
  try {
    await roundTrip(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MongoDB store (16 MiB documents)', async () => {
  const server: MongoTestServer = await startMongoForTests();
  const store = await openStore({
    mongodbUri: server.uri,
    mongodbDb: uniqueDbName('synthetic_archive'),
    dataDir: ''
  });
  try {
    await roundTrip(store);
  } finally {
    await store.close();
    await server.stop();
  }
});
