/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * A real HTTP server for the HTTP/admin/CLI tests: exactly what production runs — `startServer`
 * (server.ts: store → ledger → bootstrap → engine → real analyst/query domain → createApp with the
 * admin router, service routes, rate limit and body guard), configured through `loadConfig` on the
 * embedded SQLite store in a temp dir, listening on 127.0.0.1:0.
 *
 * startServer does not hand out its store, so the harness opens a second handle on the same SQLite
 * file (WAL; the store and the ledger are multi-process safe) to seed fixed keys and to let tests
 * read the ledger. The bootstrap creates `admin` from LOMAS_ADMIN_KEY; the harness adds alice, bob
 * and carol (revoked key), and registers two small CSV datasets (file connector) through the admin
 * service: `penguins` (granted to alice and carol) and `other` (granted to bob).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Budget, DatasetMetadata } from 'lomas-kernel/protocol';
import { createAdminService } from '../../src/admin/service';
import { recordFor } from '../../src/auth/keys';
import { loadConfig, type Config } from '../../src/config';
import { createLedger, type Ledger } from '../../src/ledger';
import { createLogger } from '../../src/logger';
import { startServer } from '../../src/server';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store/types';

export const KEYS = {
  admin: 'lomas_00000000000000a1_adminsecretadminsecret0001',
  alice: 'lomas_00000000000000b1_alicesecretalicesecret0001',
  bob: 'lomas_00000000000000c1_bobsecretbobsecretbobsecret1',
  carolRevoked: 'lomas_00000000000000d1_carolsecretcarolsecret0001',
  wrong: 'lomas_00000000000000b1_notalicesecretnotalicesecret',
  unknown: 'lomas_ffffffffffffffff_unknownsecretunknownsecret01'
} as const;

export const PENGUINS_METADATA: DatasetMetadata = {
  max_ids: 1,
  row_privacy: true,
  rows: 344,
  columns: {
    species: { type: 'string', categories: ['Adelie', 'Chinstrap', 'Gentoo'], nullable: false },
    island: { type: 'string', categories: ['Biscoe', 'Dream', 'Torgersen'], nullable: false },
    bill_length_mm: { type: 'float', lower: 30, upper: 60, nullable: true },
    body_mass_g: { type: 'int', lower: 2500, upper: 6500, nullable: true }
  }
};

/** Rows of the small CSV behind the harness datasets (same columns as PENGUINS_METADATA). */
export const CSV_ROWS = 60;

/** A deterministic small penguins-like CSV (a few missing values in the nullable columns). */
export function penguinsCsv(rows = CSV_ROWS): string {
  const species = ['Adelie', 'Chinstrap', 'Gentoo'];
  const islands = ['Biscoe', 'Dream', 'Torgersen'];
  const lines = ['species,island,bill_length_mm,body_mass_g'];
  for (let i = 0; i < rows; i++) {
    const bill = i % 17 === 5 ? '' : (32 + ((i * 7) % 250) / 10).toFixed(1);
    const mass = i % 13 === 3 ? '' : String(2800 + ((i * 131) % 3400));
    lines.push(`${species[i % 3]},${islands[(i * 2) % 3]},${bill},${mass}`);
  }
  return lines.join('\n') + '\n';
}

export const GRANT: Budget = { epsilon: '1', delta: '0.00001' };

export function countPlan(
  dataset: string,
  epsilon: string | number = '0.1'
): Record<string, unknown> {
  return { version: 1, dataset, steps: [], aggregations: [{ op: 'count' }], budget: { epsilon } };
}

export function syntheticRequest(
  dataset: string,
  epsilon: string | number = '0.5',
  rows = 20
): Record<string, unknown> {
  return { version: 1, dataset, rows, budget: { epsilon } };
}

export interface Harness {
  url: string;
  /** A second handle on the server's store (same SQLite file). */
  store: Store;
  /** A ledger over that handle (for reads; writes go through the same atomic step). */
  ledger: Ledger;
  config: Config;
  dataDir: string;
  /** The CSV file behind the harness datasets. */
  csvPath: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  rateLimitPerMinute?: number;
  minLatencyMs?: number;
  latencyJitterMs?: number;
  bodyLimit?: string;
  /** Seed users, datasets, grants (default true). */
  seed?: boolean;
}

/** The harness users, keys, datasets and grants (the admin comes from the bootstrap). */
export async function seed(store: Store, ledger: Ledger, csvPath: string): Promise<void> {
  const at = new Date().toISOString();
  for (const name of ['alice', 'bob', 'carol'])
    await store.createUser({ name, role: 'analyst', active: true, createdAt: at });
  await store.addKey(recordFor(KEYS.alice, 'alice', 'test', at));
  await store.addKey(recordFor(KEYS.bob, 'bob', 'test', at));
  const carol = recordFor(KEYS.carolRevoked, 'carol', 'test', at);
  await store.addKey(carol);
  await store.revokeKey(carol.id, at);
  const admin = createAdminService({ store, ledger });
  for (const name of ['penguins', 'other'])
    await admin.createDataset('admin', {
      name,
      description: `harness dataset ${name} (${CSV_ROWS}-row CSV)`,
      connector: { kind: 'file', path: csvPath, format: 'csv' },
      metadata: { ...PENGUINS_METADATA, rows: CSV_ROWS },
      accounting: 'approx',
      cap: null
    });
  await admin.setGrant('admin', 'penguins', 'alice', GRANT);
  await admin.setGrant('admin', 'penguins', 'carol', GRANT);
  await admin.setGrant('admin', 'other', 'bob', GRANT);
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-http-'));
  const csvPath = join(dataDir, 'penguins-small.csv');
  writeFileSync(csvPath, penguinsCsv());
  const config = loadConfig({
    LOMAS_HOST: '127.0.0.1',
    LOMAS_PORT: '0',
    LOMAS_DATA_DIR: dataDir,
    LOMAS_DEMO: 'false',
    LOMAS_ADMIN_KEY: KEYS.admin,
    LOMAS_BODY_LIMIT: opts.bodyLimit ?? '64kb',
    LOMAS_RATE_LIMIT_PER_MINUTE: String(opts.rateLimitPerMinute ?? 1_000_000),
    LOMAS_MIN_LATENCY_MS: String(opts.minLatencyMs ?? 0),
    LOMAS_LATENCY_JITTER_MS: String(opts.latencyJitterMs ?? 0),
    LOMAS_CORS_ORIGINS: '*',
    LOG_LEVEL: 'silent'
  });
  const server = await startServer(config, createLogger(process.env.HARNESS_LOG ?? 'silent'));
  const store = await openStore({ dataDir });
  const ledger = createLedger(store);
  try {
    if (opts.seed !== false) await seed(store, ledger, csvPath);
  } catch (e) {
    await server.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: server.url,
    store,
    ledger,
    config,
    dataDir,
    csvPath,
    async close() {
      await server.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}

/** fetch with an optional Bearer key; returns status, headers and the parsed body. */
export async function call(
  h: { url: string },
  method: string,
  path: string,
  opts: {
    key?: string;
    body?: unknown;
    raw?: string | Buffer;
    contentType?: string;
    headers?: Record<string, string>;
  } = {}
): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (opts.raw !== undefined) {
    body = typeof opts.raw === 'string' ? opts.raw : new Uint8Array(opts.raw);
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(h.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}
