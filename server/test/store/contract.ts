/**
 * The one contract every Store passes (memory, embedded SQLite, MongoDB/FerretDB).
 * Per-store test files call runStoreContract with a factory that opens a fresh, empty store.
 */
import { LomasError, type SqlRecord } from 'lomas-kernel/protocol';
import type { ArchiveRecord, DatasetRecord, LedgerEntry, Store } from '../../src/store/types';

export interface StoreFactory {
  /** A fresh, empty, initialised store. */
  open(): Promise<Store>;
  /** Called after each test with the store open() returned. */
  dispose(store: Store): Promise<void>;
}

const T0 = '2026-11-01T10:00:00.000Z';

export function dataset(name: string, extra: Partial<DatasetRecord> = {}): DatasetRecord {
  return {
    name,
    description: 'Penguins of the Palmer archipelago',
    connector: {
      kind: 'file',
      path: `/data/${name}.csv`,
      options: {
        header: true,
        sep: ',',
        matrix: [
          [1, 2],
          ['a', null]
        ]
      }
    },
    metadata: {
      max_ids: 1,
      row_privacy: true,
      columns: {
        species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'], nullable: false },
        bill_length_mm: { type: 'float', lower: 30, upper: 65, nullable: true }
      }
    },
    accounting: 'approx',
    cap: { epsilon: '10', delta: '0.0001' },
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...extra
  };
}

export function entry(over: Partial<LedgerEntry> & { dataset: string; seq: number }): LedgerEntry {
  return {
    user: 'alice',
    kind: 'charge',
    cost: { epsilon: '1/100', delta: '0/1', rho: '0/1' },
    datasetSpent: { epsilon: '1/100', delta: '0/1', rho: '0/1' },
    userSpent: { epsilon: '1/100', delta: '0/1', rho: '0/1' },
    userGrant: null,
    datasetCap: null,
    queryId: `q-${over.dataset}-${over.seq}`,
    idempotencyKey: null,
    requestHash: 'h'.repeat(64),
    at: T0,
    prevHash: '0'.repeat(64),
    hash: 'a'.repeat(64),
    ...over
  };
}

function archive(queryId: string, over: Partial<ArchiveRecord> = {}): ArchiveRecord {
  return {
    queryId,
    user: 'alice',
    dataset: 'penguins',
    at: T0,
    kind: 'release',
    plan: {
      source: 'penguins',
      ops: [{ op: 'filter', expr: 'bill_length_mm > 40' }, { op: 'count' }],
      nested: { a: [1, null, 'x'] }
    },
    release: { columns: ['count'], rows: [[142.7]], empty: [], flag: false },
    cost: { epsilon: '0.1', delta: '0' },
    ...over
  };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(LomasError);
  await expect(p).rejects.toMatchObject({ code });
}

export function runStoreContract(label: string, factory: StoreFactory): void {
  describe(`Store contract: ${label}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory.open();
    });
    afterEach(async () => {
      await factory.dispose(store);
    });

    describe('users', () => {
      it('creates, reads, lists in name order and refuses duplicates', async () => {
        await store.createUser({ name: 'zoe', role: 'analyst', active: true, createdAt: T0 });
        await store.createUser({ name: 'admin', role: 'admin', active: true, createdAt: T0 });
        expect(await store.getUser('zoe')).toEqual({
          name: 'zoe',
          role: 'analyst',
          active: true,
          createdAt: T0
        });
        expect(await store.getUser('nobody')).toBeNull();
        expect((await store.listUsers()).map(u => u.name)).toEqual(['admin', 'zoe']);
        await expectCode(
          store.createUser({ name: 'zoe', role: 'admin', active: false, createdAt: T0 }),
          'CONFLICT'
        );
        expect((await store.getUser('zoe'))?.role).toBe('analyst');
      });

      it('deactivates and reactivates; a missing user is NOT_FOUND', async () => {
        await store.createUser({ name: 'bob', role: 'analyst', active: true, createdAt: T0 });
        await store.setUserActive('bob', false);
        expect((await store.getUser('bob'))?.active).toBe(false);
        await store.setUserActive('bob', true);
        expect((await store.getUser('bob'))?.active).toBe(true);
        await expectCode(store.setUserActive('ghost', false), 'NOT_FOUND');
      });
    });

    describe('API keys', () => {
      it('adds, reads, lists per user in creation order, revokes', async () => {
        const k = (id: string, user: string, createdAt: string) => ({
          id,
          user,
          salt: 's-' + id,
          hash: 'h-' + id,
          label: 'laptop',
          createdAt,
          revokedAt: null
        });
        await store.addKey(k('k2', 'alice', '2026-11-02T00:00:00.000Z'));
        await store.addKey(k('k1', 'alice', '2026-11-01T00:00:00.000Z'));
        await store.addKey(k('k3', 'bob', '2026-11-01T00:00:00.000Z'));
        expect(await store.getKey('k1')).toEqual(k('k1', 'alice', '2026-11-01T00:00:00.000Z'));
        expect(await store.getKey('nope')).toBeNull();
        expect((await store.listKeys('alice')).map(x => x.id)).toEqual(['k1', 'k2']);
        expect(await store.listKeys('carol')).toEqual([]);
        await store.revokeKey('k1', '2026-11-03T00:00:00.000Z');
        expect((await store.getKey('k1'))?.revokedAt).toBe('2026-11-03T00:00:00.000Z');
        await expectCode(store.revokeKey('nope', T0), 'NOT_FOUND');
        await expectCode(store.addKey(k('k1', 'mallory', T0)), 'CONFLICT');
        expect((await store.getKey('k1'))?.user).toBe('alice');
      });
    });

    describe('datasets', () => {
      it('round-trips the whole record (nested metadata, connector settings, exact strings)', async () => {
        const d = dataset('penguins', {
          delta: '0.00000000000000000001',
          cap: { epsilon: '1/3', delta: '0', rho: '0.5' }
        });
        await store.putDataset(d);
        expect(await store.getDataset('penguins')).toEqual(d);
        const noOptional = dataset('cars', { cap: null });
        delete noOptional.description;
        await store.putDataset(noOptional);
        const back = await store.getDataset('cars');
        expect(back).toEqual(noOptional);
        expect(back).not.toHaveProperty('delta');
        expect(back).not.toHaveProperty('description');
        expect(await store.getDataset('nope')).toBeNull();
      });

      it('updates by replacing, lists by name, deletes', async () => {
        await store.putDataset(dataset('penguins'));
        await store.putDataset(dataset('cars'));
        await store.putDataset(
          dataset('penguins', { version: 2, accounting: 'zcdp', delta: '1e-6' })
        );
        const p = await store.getDataset('penguins');
        expect(p?.version).toBe(2);
        expect(p?.accounting).toBe('zcdp');
        expect((await store.listDatasets()).map(d => d.name)).toEqual(['cars', 'penguins']);
        await store.deleteDataset('cars');
        expect(await store.getDataset('cars')).toBeNull();
        await expectCode(store.deleteDataset('cars'), 'NOT_FOUND');
        expect((await store.listDatasets()).map(d => d.name)).toEqual(['penguins']);
      });
    });

    describe('grants', () => {
      it('upserts per (user, dataset), reads, filters and orders by (dataset, user)', async () => {
        const g = (user: string, ds: string, epsilon: string) => ({
          user,
          dataset: ds,
          budget: { epsilon, delta: '0.00001' },
          createdAt: T0,
          updatedAt: T0
        });
        await store.putGrant(g('bob', 'penguins', '1'));
        await store.putGrant(g('alice', 'penguins', '2'));
        await store.putGrant(g('alice', 'cars', '0.5'));
        await store.putGrant({
          ...g('alice', 'penguins', '3.25'),
          updatedAt: '2026-11-05T00:00:00.000Z'
        });
        expect(await store.getGrant('alice', 'penguins')).toEqual({
          ...g('alice', 'penguins', '3.25'),
          updatedAt: '2026-11-05T00:00:00.000Z'
        });
        expect(await store.getGrant('carol', 'penguins')).toBeNull();
        const key = (x: { user: string; dataset: string }) => `${x.dataset}/${x.user}`;
        expect((await store.listGrants({})).map(key)).toEqual([
          'cars/alice',
          'penguins/alice',
          'penguins/bob'
        ]);
        expect((await store.listGrants({ user: 'alice' })).map(key)).toEqual([
          'cars/alice',
          'penguins/alice'
        ]);
        expect((await store.listGrants({ dataset: 'penguins' })).map(key)).toEqual([
          'penguins/alice',
          'penguins/bob'
        ]);
        expect((await store.listGrants({ user: 'bob', dataset: 'cars' })).map(key)).toEqual([]);
      });
    });

    describe('archive', () => {
      it('adds, reads, refuses duplicate query ids, lists newest first with filters and limit', async () => {
        await store.addArchive(archive('q1', { at: '2026-11-01T10:00:00.000Z' }));
        await store.addArchive(archive('q2', { at: '2026-11-01T11:00:00.000Z', user: 'bob' }));
        await store.addArchive(archive('q3', { at: '2026-11-01T12:00:00.000Z', dataset: 'cars' }));
        expect(await store.getArchive('q1')).toEqual(
          archive('q1', { at: '2026-11-01T10:00:00.000Z' })
        );
        expect(await store.getArchive('q9')).toBeNull();
        await expectCode(store.addArchive(archive('q1')), 'CONFLICT');
        expect((await store.listArchive({})).map(a => a.queryId)).toEqual(['q3', 'q2', 'q1']);
        expect((await store.listArchive({ user: 'alice' })).map(a => a.queryId)).toEqual([
          'q3',
          'q1'
        ]);
        expect((await store.listArchive({ dataset: 'penguins' })).map(a => a.queryId)).toEqual([
          'q2',
          'q1'
        ]);
        expect((await store.listArchive({ limit: 2 })).map(a => a.queryId)).toEqual(['q3', 'q2']);
        expect(await store.listArchive({ limit: 0 })).toEqual([]);
      });

      it('round-trips the SQL of a query (text, list parameters, options with user keys)', async () => {
        const sql: SqlRecord = {
          text: "SELECT COUNT(*) FROM df WHERE island IN ($1) -- '$set'",
          params: [['Biscoe', 'Dream'], null, 3],
          options: { epsilon: '1', bounds: { body_mass_g: [2500, 6500] } },
          postprocess: { columns: ['count'], orderBy: [{ column: 'count', descending: true }] }
        };
        await store.addArchive(archive('qs', { sql }));
        expect(await store.getArchive('qs')).toEqual(archive('qs', { sql }));
        expect((await store.listArchive({})).find(a => a.queryId === 'qs')?.sql).toEqual(sql);
      });

      it('reads an answer archived with per-row caveats in the wire form of today (rows per sentence)', async () => {
        const says = 'the interval reaches 0: this group may be empty';
        const old = [
          { row: 2, column: 'count', kind: 'may_be_empty', text: says },
          { row: 0, column: 'count', kind: 'may_be_empty', text: says },
          { row: 1, column: 'mean_x', kind: 'whole_range', text: 'covers every value' }
        ];
        await store.addArchive(archive('qc', { release: { rows: [{}, {}, {}], caveats: old } }));
        const today = [
          { rows: [0, 2], column: 'count', kind: 'may_be_empty', text: says },
          { rows: [1], column: 'mean_x', kind: 'whole_range', text: 'covers every value' }
        ];
        expect((await store.getArchive('qc'))?.release).toEqual({
          rows: [{}, {}, {}],
          caveats: today
        });
        const listed = (await store.listArchive({})).find(a => a.queryId === 'qc');
        expect((listed?.release as { caveats: unknown }).caveats).toEqual(today);
      });
    });

    describe('ledger', () => {
      it('an appended entry is visible at once and flush() resolves once it is on disk', async () => {
        expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 1 }))).toBe('ok');
        expect((await store.lastLedgerEntry('penguins'))?.seq).toBe(1);
        await store.flush();
        await Promise.all([store.flush(), store.flush()]);
        expect((await store.lastLedgerEntry('penguins'))?.seq).toBe(1);
      });

      it('appends, returns the latest entry per dataset and per user, round-trips every field', async () => {
        expect(await store.lastLedgerEntry('penguins')).toBeNull();
        const e1 = entry({
          dataset: 'penguins',
          seq: 1,
          user: 'alice',
          cost: { epsilon: '1/3', delta: '1/100000', rho: '0/1' }
        });
        const e2 = entry({
          dataset: 'penguins',
          seq: 2,
          user: 'bob',
          userGrant: { epsilon: '2/1', delta: '0/1', rho: '0/1' },
          actor: 'admin',
          kind: 'grant'
        });
        const e3 = entry({
          dataset: 'penguins',
          seq: 3,
          user: 'alice',
          datasetCap: { epsilon: '10/1', delta: '0/1', rho: '0/1' }
        });
        const noCarry = entry({ dataset: 'cars', seq: 1 });
        delete noCarry.userGrant;
        delete noCarry.datasetCap;
        for (const e of [e1, e2, e3, noCarry]) expect(await store.appendLedgerEntry(e)).toBe('ok');
        expect(await store.lastLedgerEntry('penguins')).toEqual(e3);
        expect(await store.lastLedgerEntryOfUser('penguins', 'bob')).toEqual(e2);
        expect(await store.lastLedgerEntryOfUser('penguins', 'alice')).toEqual(e3);
        expect(await store.lastLedgerEntryOfUser('penguins', 'carol')).toBeNull();
        const cars = await store.lastLedgerEntry('cars');
        expect(cars).toEqual(noCarry);
        expect(cars).not.toHaveProperty('userGrant');
        expect(cars).not.toHaveProperty('actor');
        expect((await store.ledgerEntries({ dataset: 'penguins' }))[0]).toEqual(e1);
      });

      it('refuses a second entry with the same (dataset, seq), allows it on another dataset', async () => {
        expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 1 }))).toBe('ok');
        expect(
          await store.appendLedgerEntry(
            entry({ dataset: 'penguins', seq: 1, user: 'bob', queryId: 'other' })
          )
        ).toBe('conflict');
        expect(await store.appendLedgerEntry(entry({ dataset: 'cars', seq: 1 }))).toBe('ok');
        expect((await store.lastLedgerEntry('penguins'))?.user).toBe('alice');
        expect(await store.ledgerEntries({})).toHaveLength(2);
      });

      it('admits exactly one of many concurrent appends of the same seq', async () => {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.appendLedgerEntry(
              entry({ dataset: 'penguins', seq: 1, user: `u${i}`, queryId: `q${i}` })
            )
          )
        );
        expect(results.filter(r => r === 'ok')).toHaveLength(1);
        expect(await store.ledgerEntries({ dataset: 'penguins' })).toHaveLength(1);
      });

      it('makes idempotency keys unique per user; null keys never collide', async () => {
        expect(
          await store.appendLedgerEntry(
            entry({ dataset: 'penguins', seq: 1, idempotencyKey: 'k-1' })
          )
        ).toBe('ok');
        // same user + key, even on another dataset and seq: conflict
        expect(
          await store.appendLedgerEntry(entry({ dataset: 'cars', seq: 1, idempotencyKey: 'k-1' }))
        ).toBe('conflict');
        expect(
          await store.appendLedgerEntry(
            entry({ dataset: 'penguins', seq: 2, idempotencyKey: 'k-1' })
          )
        ).toBe('conflict');
        // another user may use the same key
        expect(
          await store.appendLedgerEntry(
            entry({ dataset: 'penguins', seq: 2, user: 'bob', idempotencyKey: 'k-1' })
          )
        ).toBe('ok');
        // entries without key
        expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 3 }))).toBe('ok');
        expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 4 }))).toBe('ok');
        expect(await store.appendLedgerEntry(entry({ dataset: 'cars', seq: 1 }))).toBe('ok');
        expect((await store.findLedgerEntryByIdempotencyKey('alice', 'k-1'))?.seq).toBe(1);
        expect((await store.findLedgerEntryByIdempotencyKey('bob', 'k-1'))?.seq).toBe(2);
        expect(await store.findLedgerEntryByIdempotencyKey('carol', 'k-1')).toBeNull();
        expect(await store.findLedgerEntryByIdempotencyKey('alice', 'k-2')).toBeNull();
      });

      it('lists entries ordered by (dataset, seq) with user, afterSeq and limit filters', async () => {
        const order: [string, number, string][] = [
          ['penguins', 1, 'alice'],
          ['cars', 1, 'bob'],
          ['penguins', 2, 'bob'],
          ['penguins', 3, 'alice'],
          ['cars', 2, 'alice'],
          ['penguins', 4, 'alice']
        ];
        for (const [ds, seq, user] of order)
          expect(await store.appendLedgerEntry(entry({ dataset: ds, seq, user }))).toBe('ok');
        const tag = (e: LedgerEntry) => `${e.dataset}:${e.seq}`;
        expect((await store.ledgerEntries({})).map(tag)).toEqual([
          'cars:1',
          'cars:2',
          'penguins:1',
          'penguins:2',
          'penguins:3',
          'penguins:4'
        ]);
        expect(
          (await store.ledgerEntries({ dataset: 'penguins', user: 'alice' })).map(tag)
        ).toEqual(['penguins:1', 'penguins:3', 'penguins:4']);
        expect((await store.ledgerEntries({ user: 'alice' })).map(tag)).toEqual([
          'cars:2',
          'penguins:1',
          'penguins:3',
          'penguins:4'
        ]);
        expect((await store.ledgerEntries({ dataset: 'penguins', afterSeq: 2 })).map(tag)).toEqual([
          'penguins:3',
          'penguins:4'
        ]);
        expect(
          (await store.ledgerEntries({ dataset: 'penguins', afterSeq: 1, limit: 2 })).map(tag)
        ).toEqual(['penguins:2', 'penguins:3']);
        expect(await store.ledgerEntries({ dataset: 'nope' })).toEqual([]);
        expect(await store.ledgerEntries({ dataset: 'penguins', limit: 0 })).toEqual([]);
      });

      it('orders seq numerically (10 after 9), not as text', async () => {
        for (let seq = 1; seq <= 11; seq++)
          expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq }))).toBe('ok');
        expect((await store.lastLedgerEntry('penguins'))?.seq).toBe(11);
        expect((await store.ledgerEntries({ dataset: 'penguins' })).map(e => e.seq)).toEqual([
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
        ]);
      });
    });

    describe('rate slots', () => {
      it('takes each (key, window, n) once; other keys and windows are independent', async () => {
        const slot = { key: 'key:abc', window: 29_000_000, n: 1 };
        expect(await store.takeRateSlot(slot)).toBe('ok');
        expect(await store.takeRateSlot(slot)).toBe('conflict');
        expect(await store.takeRateSlot({ ...slot, n: 2 })).toBe('ok');
        expect(await store.takeRateSlot({ ...slot, key: 'oidc:alice' })).toBe('ok');
        expect(await store.takeRateSlot({ ...slot, window: slot.window + 1 })).toBe('ok');
        expect(await store.takeRateSlot({ ...slot, n: 2 })).toBe('conflict');
      });

      it('admits exactly one of many concurrent takes of the same slot', async () => {
        const results = await Promise.all(
          Array.from({ length: 40 }, () => store.takeRateSlot({ key: 'k', window: 7, n: 3 }))
        );
        expect(results.filter(r => r === 'ok')).toHaveLength(1);
      });

      it('purges the windows before a given one and counts what it removed', async () => {
        for (const window of [5, 6, 7])
          for (const n of [1, 2])
            expect(await store.takeRateSlot({ key: 'k', window, n })).toBe('ok');
        expect(await store.purgeRateSlots(7)).toBe(4);
        expect(await store.purgeRateSlots(7)).toBe(0);
        // Window 7 is kept; the purged slots can be taken again.
        expect(await store.takeRateSlot({ key: 'k', window: 7, n: 1 })).toBe('conflict');
        expect(await store.takeRateSlot({ key: 'k', window: 6, n: 1 })).toBe('ok');
      });
    });

    it('returns copies: mutating a returned record does not change the store', async () => {
      await store.putDataset(dataset('penguins'));
      const d = (await store.getDataset('penguins'))!;
      d.version = 99;
      (d.cap as { epsilon: string }).epsilon = '1000';
      expect((await store.getDataset('penguins'))?.version).toBe(1);
      expect((await store.getDataset('penguins'))?.cap?.epsilon).toBe('10');
    });
  });
}
