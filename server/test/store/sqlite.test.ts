import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_FILE, openStore } from '../../src/store';
import { SqliteStore } from '../../src/store/sqlite';
import { runStoreContract } from './contract';

const root = mkdtempSync(join(tmpdir(), 'lomas-sqlite-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreContract('embedded (SQLite)', {
  open: async () => {
    const s = new SqliteStore(join(root, `store-${n++}.sqlite`));
    await s.init();
    return s;
  },
  dispose: s => s.close()
});

describe('embedded store specifics', () => {
  it('openStore without a MongoDB URI creates the data directory and uses WAL + synchronous=FULL', async () => {
    const dataDir = join(root, 'nested', 'data');
    const store = await openStore({ dataDir });
    try {
      expect(store.kind).toBe('embedded');
      expect(statSync(join(dataDir, EMBEDDED_FILE)).isFile()).toBe(true);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const db = (store as SqliteStore).database;
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      const indexes = db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger'")
        .all() as { name: string; sql: string }[];
      expect(indexes.find(i => i.name === 'ledger_dataset_seq')?.sql).toMatch(
        /UNIQUE INDEX.*\(dataset, seq\)/
      );
      expect(indexes.find(i => i.name === 'ledger_user_idempotency')?.sql).toMatch(
        /UNIQUE INDEX.*WHERE idempotency_key IS NOT NULL/s
      );
    } finally {
      await store.close();
    }
  });

  it('keeps data across reopen (a file, not memory)', async () => {
    const dataDir = join(root, 'reopen');
    const a = await openStore({ dataDir });
    await a.createUser({
      name: 'alice',
      role: 'analyst',
      active: true,
      createdAt: '2026-11-01T00:00:00.000Z'
    });
    await a.close();
    const b = await openStore({ dataDir });
    expect((await b.getUser('alice'))?.name).toBe('alice');
    await b.close();
  });
});
