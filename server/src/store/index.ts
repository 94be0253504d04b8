import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from './sqlite';
import type { Store } from './types';

export * from './types';
export { MemoryStore } from './memory';
export type { MongoStore, MongoStoreOptions } from './mongo';
export { SqliteStore, type SqliteStoreOptions } from './sqlite';

export interface StoreConfig {
  /** When set (e.g. from MONGODB_URI), the MongoDB store is used. */
  mongodbUri?: string;
  /** Database to use when the URI names none (config MONGODB_DB). */
  mongodbDb?: string;
  /** Directory of the embedded store's file (created if missing, mode 0700). */
  dataDir: string;
}

/** The embedded store's file name under dataDir. */
export const EMBEDDED_FILE = 'lomas.sqlite';

/** Opens and initialises the store: MongoDB when a URI is given, the embedded SQLite file otherwise. */
export async function openStore(config: StoreConfig): Promise<Store> {
  let store: Store;
  if (config.mongodbUri) {
    // Loaded only here: the MongoDB driver costs about 10 MB of RSS that an embedded-store
    // server would carry for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dbNameFromUri, MongoStore } = require('./mongo') as typeof import('./mongo');
    // A database named in the URI wins; otherwise MONGODB_DB.
    const named = dbNameFromUri(config.mongodbUri);
    store = new MongoStore(config.mongodbUri, named ? {} : { dbName: config.mongodbDb });
  } else {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    store = new SqliteStore(join(config.dataDir, EMBEDDED_FILE));
  }
  try {
    await store.init();
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  return store;
}
