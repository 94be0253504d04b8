/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * Several real server processes (server/dist/main.js) on ONE MongoDB store (FerretDB in tests),
 * the scale-out shape of docs/DEPLOYMENT.md without the load balancer: the tests pick the replica
 * of every request themselves (round robin, or "another one" for a retry).
 */
import { existsSync } from 'node:fs';
import { startMongoForTests, uniqueDbName, type MongoTestServer } from '../helpers/ferretdb';
import {
  newKey,
  REPO_ROOT,
  startServerProcess,
  type ServerProcess
} from '../helpers/serverProcess';
import { join } from 'node:path';

export interface Reply {
  status: number;
  body: any;
  text: string;
}

export interface Cluster {
  replicas: ServerProcess[];
  adminKey: string;
  mongo: MongoTestServer;
  dbName: string;
  /** One request to replica `i` (modulo the number of replicas). */
  call(
    i: number,
    method: string,
    path: string,
    key: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<Reply>;
  /** An admin request through replica `i` (default 0); throws unless the status is 2xx. */
  admin(method: string, path: string, body?: unknown, i?: number): Promise<any>;
  /** Creates an analyst and `keys` API keys for it; returns the keys. */
  analyst(name: string, keys?: number): Promise<string[]>;
  logs(): string;
  stop(): Promise<void>;
}

export async function call(
  url: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<Reply> {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers
    },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/**
 * Starts `n` replicas at once on a fresh database (so their first starts race, as in a rolling
 * deployment), all with the same admin key, no demo data and timing protection off (these tests
 * measure answers, not latency).
 */
export async function startCluster(
  label: string,
  n: number,
  env: Record<string, string> = {}
): Promise<Cluster> {
  if (!existsSync(join(REPO_ROOT, 'server/dist/main.js')))
    throw new Error('server/dist/main.js is missing: build with `npm run build:lib`');
  const mongo = await startMongoForTests();
  const dbName = uniqueDbName(label);
  const adminKey = newKey();
  const shared = {
    MONGODB_URI: `${mongo.uri.replace(/\/?$/, '/')}${dbName}`,
    LOMAS_ADMIN_KEY: adminKey,
    LOMAS_DEMO: 'false',
    ...env
  };
  const started = await Promise.allSettled(
    Array.from({ length: n }, () => startServerProcess({ env: shared }))
  );
  const replicas = started.flatMap(s => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find(s => s.status === 'rejected');
  if (failed) {
    await Promise.all(replicas.map(r => r.stop()));
    await mongo.stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  const at = (i: number) => replicas[((i % n) + n) % n];
  const cluster: Cluster = {
    replicas,
    adminKey,
    mongo,
    dbName,
    call: (i, method, path, key, body, headers) =>
      call(at(i).url, method, path, key, body, headers),
    async admin(method, path, body, i = 0) {
      const r = await call(at(i).url, method, path, adminKey, body);
      if (r.status < 200 || r.status > 299)
        throw new Error(`${method} ${path} → ${r.status} ${r.text}`);
      return r.body;
    },
    async analyst(name, keys = 1) {
      await cluster.admin('POST', '/admin/users', { name, role: 'analyst' });
      const out: string[] = [];
      for (let k = 0; k < keys; k++)
        out.push(
          (await cluster.admin('POST', `/admin/users/${name}/keys`, { label: `k${k}` })).key
        );
      return out;
    },
    logs: () => replicas.map((r, i) => `--- replica ${i} ---\n${r.logs().slice(-3000)}`).join('\n'),
    async stop() {
      await Promise.all(replicas.map(r => r.stop()));
      await mongo.stop();
    }
  };
  return cluster;
}

/** Exact fractions for the ledger's amounts ("n/d") and the API's decimals ("0.51"). */
export interface Frac {
  n: bigint;
  d: bigint;
}
export function frac(s: string): Frac {
  if (s.includes('/')) {
    const [n, d] = s.split('/');
    return { n: BigInt(n), d: BigInt(d) };
  }
  const [i, f = ''] = s.split('.');
  return { n: BigInt(i + f), d: 10n ** BigInt(f.length) };
}
export const addFrac = (a: Frac, b: Frac): Frac => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
export const sameFrac = (a: Frac, b: Frac): boolean => a.n * b.d === b.n * a.d;
export const ZERO: Frac = { n: 0n, d: 1n };

/** A count plan charged ε = `epsilon` (pure accounting). */
export function countPlan(dataset: string, epsilon = '0.01') {
  return { version: 1, dataset, steps: [], aggregations: [{ op: 'count' }], budget: { epsilon } };
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
export async function pool<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}
