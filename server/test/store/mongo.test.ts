import { MongoClient } from 'mongodb';
import { openStore } from '../../src/store';
import { MongoStore, dbNameFromUri } from '../../src/store/mongo';
import { startMongoForTests, uniqueDbName, type MongoTestServer } from '../helpers/ferretdb';
import { runStoreContract } from './contract';

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
