import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_FILE, openStore } from '../../src/store';
import { SqliteStore } from '../../src/store/sqlite';
import { entry, runStoreContract } from './contract';

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

  it('ledger entries commit without their own fsync; flush() syncs the log once for the commits before it', async () => {
    const store = new SqliteStore(join(root, 'flush.sqlite'));
    await store.init();
    const probe = await open(join(root, 'flush.sqlite-wal'), 'r');
    const datasync = jest.spyOn(Object.getPrototypeOf(probe), 'datasync');
    await probe.close();
    try {
      const db = store.database;
      expect(await store.appendLedgerEntry(entry({ dataset: 'd', seq: 1 }))).toBe('ok');
      expect(await store.appendLedgerEntry(entry({ dataset: 'd', seq: 2 }))).toBe('ok');
      // Visible (the atomic step reads it) and back to FULL for the administrator's writes.
      expect((await store.lastLedgerEntry('d'))?.seq).toBe(2);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(datasync).not.toHaveBeenCalled();
      // Three waiting callers share one sync of the log (group commit).
      await Promise.all([store.flush(), store.flush(), store.flush()]);
      expect(datasync).toHaveBeenCalledTimes(1);
      await store.flush(); // nothing new: no second sync
      expect(datasync).toHaveBeenCalledTimes(1);
      await store.appendLedgerEntry(entry({ dataset: 'd', seq: 3 }));
      await store.flush();
      expect(datasync).toHaveBeenCalledTimes(2);
    } finally {
      datasync.mockRestore();
      await store.close();
    }
  });

  it('an I/O error from SQLite itself (its own sync of a FULL commit, a checkpoint, a read) stops the store too', async () => {
    const store = new SqliteStore(join(root, 'ioerr.sqlite'));
    await store.init();
    const statement = Object.getPrototypeOf(store.database.prepare('SELECT 1')) as {
      run: (...a: unknown[]) => unknown;
    };
    const run = jest.spyOn(statement, 'run');
    try {
      await store.createUser({ name: 'alice', role: 'analyst', active: true, createdAt: 'x' });
      // Other SQLite errors are not disk failures: a duplicate is a conflict, and the store goes on.
      await expect(
        store.createUser({ name: 'alice', role: 'analyst', active: true, createdAt: 'x' })
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      run.mockImplementationOnce(() => {
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_FSYNC' });
      });
      const stopped = expect.objectContaining({ code: 'UNAVAILABLE', status: 503 });
      await expect(
        store.putGrant({
          user: 'alice',
          dataset: 'd',
          budget: { epsilon: '1', delta: '0' },
          createdAt: 'x',
          updatedAt: 'x'
        })
      ).rejects.toEqual(stopped);
      await expect(store.getUser('alice')).rejects.toEqual(stopped);
      await expect(store.listGrants({})).rejects.toEqual(stopped);
      await expect(store.flush()).rejects.toEqual(stopped);
      await expect(store.appendLedgerEntry(entry({ dataset: 'd', seq: 1 }))).rejects.toEqual(
        stopped
      );
    } finally {
      run.mockRestore();
      await store.close();
    }
  });

  it('a failed sync of the log stops the store: no second sync, no read, no write, until it is opened again', async () => {
    const file = join(root, 'failed-sync.sqlite');
    const store = new SqliteStore(file);
    await store.init();
    const probe = await open(`${file}-wal`, 'r');
    const datasync = jest.spyOn(Object.getPrototypeOf(probe), 'datasync');
    await probe.close();
    try {
      expect(await store.appendLedgerEntry(entry({ dataset: 'd', seq: 1 }))).toBe('ok');
      await store.flush();
      datasync.mockRejectedValueOnce(new Error('EIO'));
      expect(await store.appendLedgerEntry(entry({ dataset: 'd', seq: 2 }))).toBe('ok');
      await expect(store.flush()).rejects.toThrow('EIO');
      expect(datasync).toHaveBeenCalledTimes(2);
      // The next fdatasync would succeed (the mock's failure was once): it must not be believed.
      const stopped = expect.objectContaining({ code: 'UNAVAILABLE', status: 503 });
      await expect(store.flush()).rejects.toEqual(stopped);
      expect(datasync).toHaveBeenCalledTimes(2);
      await expect(store.appendLedgerEntry(entry({ dataset: 'd', seq: 3 }))).rejects.toEqual(
        stopped
      );
      await expect(store.lastLedgerEntry('d')).rejects.toEqual(stopped);
      await expect(store.getUser('alice')).rejects.toEqual(stopped);
      await expect(store.ledgerEntries({ dataset: 'd' })).rejects.toEqual(stopped);
      await expect(store.takeRateSlot({ key: 'k', window: 1, n: 1 })).rejects.toEqual(stopped);
    } finally {
      datasync.mockRestore();
      await store.close();
    }
    // Opened again, the store reads what SQLite recovers from the file and works.
    const again = new SqliteStore(file);
    await again.init();
    try {
      expect((await again.lastLedgerEntry('d'))?.seq).toBe(2);
      await again.flush();
    } finally {
      await again.close();
    }
  });
});
