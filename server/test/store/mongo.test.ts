import { MongoClient, type CommandStartedEvent, type Document } from 'mongodb';
import { openStore } from '../../src/store';
import { MongoStore, dbNameFromUri } from '../../src/store/mongo';
import { startMongoForTests, uniqueDbName, type MongoTestServer } from '../helpers/ferretdb';
import { entry, runStoreContract } from './contract';

jest.setTimeout(30_000);

let server: MongoTestServer;
const dbNames: string[] = [];

beforeAll(async () => {
  // Throws (the tests fail) when no MongoDB-compatible server can be had: never a silent skip.
  server = await startMongoForTests();
});

afterAll(async () => {
  if (server?.origin === 'external') {
    const client = new MongoClient(server.uri);
    await client.connect();
    for (const name of dbNames) await client.db(name).dropDatabase();
    await client.close();
  }
  await server?.stop();
});

runStoreContract('MongoDB (FerretDB unless MONGODB_TEST_URI)', {
  open: async () => {
    const dbName = uniqueDbName('mongo_contract');
    dbNames.push(dbName);
    const s = new MongoStore(server.uri, { dbName });
    await s.init();
    return s;
  },
  dispose: s => s.close()
});

describe('MongoDB store specifics', () => {
  it('openStore with a URI picks MongoDB and uses the database named in the URI', async () => {
    const dbName = uniqueDbName('mongo_open');
    dbNames.push(dbName);
    const store = await openStore({
      mongodbUri: `${server.uri.replace(/\/?$/, '/')}${dbName}`,
      dataDir: '/nonexistent/never-created'
    });
    try {
      expect(store.kind).toBe('mongodb');
      await store.createUser({
        name: 'alice',
        role: 'analyst',
        active: true,
        createdAt: '2026-11-01T00:00:00.000Z'
      });
      expect((store as MongoStore).database.databaseName).toBe(dbName);
      const indexes = await (store as MongoStore).database.collection('ledger').indexes();
      expect(indexes.find(i => i.name === 'dataset_seq_unique')).toMatchObject({
        unique: true,
        key: { dataset: 1, seq: 1 }
      });
      expect(indexes.find(i => i.name === 'idem_unique')).toMatchObject({ unique: true });
    } finally {
      await store.close();
    }
  });

  it('parses the database name of a URI', () => {
    expect(dbNameFromUri('mongodb://h:1/lomas?retryWrites=true')).toBe('lomas');
    expect(dbNameFromUri('mongodb://u:p@h1:1,h2:2/prod')).toBe('prod');
    expect(dbNameFromUri('mongodb://h:1/')).toBeUndefined();
    expect(dbNameFromUri('mongodb+srv://cluster.example.net/?x=1')).toBeUndefined();
  });
});

describe('MongoDB write and read concerns (set in code for the ledger)', () => {
  /** A store on a URI that asks for weaker concerns, with the commands it sends recorded. */
  async function storeOnWeakUri(): Promise<{ store: MongoStore; sent: Document[] }> {
    const dbName = uniqueDbName('mongo_concerns');
    dbNames.push(dbName);
    const weak =
      'w=1&journal=false&readConcernLevel=local&retryWrites=false&readPreference=secondaryPreferred';
    const store = new MongoStore(`${server.uri.replace(/\/?$/, '/')}${dbName}?${weak}`, {
      monitorCommands: true
    });
    await store.init();
    const sent: Document[] = [];
    store.database.client.on('commandStarted', (e: CommandStartedEvent) => sent.push(e.command));
    return { store, sent };
  }

  it('win over a connection string that asks for less', async () => {
    const { store } = await storeOnWeakUri();
    try {
      expect(store.database.writeConcern).toMatchObject({
        w: 'majority',
        journal: true,
        wtimeoutMS: 10_000
      });
      expect(store.database.readConcern?.level).toBe('majority');
      expect(store.database.client.options.retryWrites).toBe(true);
      expect(store.database.readPreference.mode).toBe('primary');
    } finally {
      await store.close();
    }
  });

  it('go on the wire with every ledger, archive and rate-limit write and read', async () => {
    const { store, sent } = await storeOnWeakUri();
    try {
      expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 1 }))).toBe('ok');
      expect(await store.lastLedgerEntry('penguins')).not.toBeNull();
      expect(await store.takeRateSlot({ key: 'k', window: 1, n: 1 })).toBe('ok');
      expect(await store.getArchive('q-none')).toBeNull();
      const majorityWrite = { w: 'majority', j: true, wtimeout: 10_000 };
      const inserts = sent.filter(c => c.insert === 'ledger' || c.insert === 'rateSlots');
      expect(inserts).toHaveLength(2);
      for (const c of inserts) expect(c.writeConcern).toEqual(majorityWrite);
      const finds = sent.filter(c => c.find === 'ledger' || c.find === 'archive');
      expect(finds.length).toBeGreaterThanOrEqual(2);
      for (const c of finds) expect(c.readConcern).toEqual({ level: 'majority' });
    } finally {
      await store.close();
    }
  });

  /**
   * What FerretDB 1.24 does with them, pinned so that docs/DEPLOYMENT.md stays true: it accepts
   * every write and read concern and enforces none (w: 5 on a single server, an unknown tag, any
   * read level all succeed), has no transactions, and announces no replica set, so the driver
   * sends no retryable-write transaction numbers. Skipped on a real MongoDB.
   */
  it('FerretDB accepts them and ignores them', async () => {
    const client = new MongoClient(server.uri);
    await client.connect();
    const dbName = uniqueDbName('mongo_ignored');
    dbNames.push(dbName);
    try {
      const info = await client.db('admin').command({ buildInfo: 1 });
      if (!info.ferretdbVersion) return; // a real MongoDB enforces these: nothing to pin
      const db = client.db(dbName);
      const impossible = [
        { w: 5, wtimeout: 100 },
        { w: 'no-such-tag' },
        { w: 'majority', j: true }
      ];
      for (const [i, writeConcern] of impossible.entries()) {
        const r = await db.command({ insert: 'x', documents: [{ _id: i }], writeConcern });
        expect(r).toMatchObject({ n: 1, ok: 1 });
      }
      for (const level of ['majority', 'linearizable', 'snapshot', 'no-such-level']) {
        const r = await db.command({ find: 'x', filter: {}, readConcern: { level } });
        expect(r.cursor.firstBatch).toHaveLength(impossible.length);
      }
      // No replica set announced: the driver treats it as a standalone server and sends no
      // retryable-write transaction number with the ledger's inserts.
      const hello = await db.command({ hello: 1 });
      expect(hello.setName).toBeUndefined();
      const { store, sent } = await storeOnWeakUri();
      try {
        expect(await store.appendLedgerEntry(entry({ dataset: 'penguins', seq: 1 }))).toBe('ok');
        const insert = sent.find(c => c.insert === 'ledger');
        expect(insert).toBeDefined();
        expect(insert?.txnNumber).toBeUndefined();
      } finally {
        await store.close();
      }
      const session = client.startSession();
      try {
        session.startTransaction();
        await expect(
          db.collection<{ _id: string }>('x').insertOne({ _id: 'in-a-transaction' }, { session })
        ).rejects.toThrow();
      } finally {
        await session.endSession();
      }
    } finally {
      await client.close();
    }
  });
});
