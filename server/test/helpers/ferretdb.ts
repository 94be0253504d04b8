import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';

/**
 * A MongoDB-compatible server for tests.
 * - MONGODB_TEST_URI set (CI starts FerretDB): use it.
 * - otherwise: spawn FerretDB (SQLite backend) on a free loopback port in a temp dir, and kill it
 *   in stop().
 * If neither works, startMongoForTests() throws: MongoDB tests FAIL, they never skip silently.
 *
 * The binary is the first of $FERRETDB_BIN, /root/.cache/lomas/bin/ferretdb and
 * /root/.cache/lomas/ferretdb-v1.24.2-fixed/ferretdb that runs `--version` successfully.
 */
export interface MongoTestServer {
  /** Connection string without a database name; use a unique dbName per test file. */
  uri: string;
  /** 'external' when MONGODB_TEST_URI was used. */
  origin: 'external' | 'spawned';
  stop(): Promise<void>;
}

const CANDIDATES = [
  process.env.FERRETDB_BIN,
  '/root/.cache/lomas/bin/ferretdb',
  '/root/.cache/lomas/ferretdb-v1.24.2-fixed/ferretdb'
].filter((p): p is string => !!p);

/** A database name unique to this test file and run (MongoDB names: no '.', ' ', '/', '$'). */
export function uniqueDbName(label: string): string {
  return `t_${label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

export function findFerretDb(): string {
  const tried: string[] = [];
  for (const bin of CANDIDATES) {
    if (!existsSync(bin)) {
      tried.push(`${bin}: missing`);
      continue;
    }
    try {
      execFileSync(bin, ['--version'], { timeout: 10_000, stdio: 'pipe' });
      return bin;
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      tried.push(`${bin}: ${(err.stderr?.toString() || err.message).split('\n')[0]}`);
    }
  }
  throw new Error(
    `No working FerretDB binary and MONGODB_TEST_URI is not set. Tried:\n  ${tried.join('\n  ')}`
  );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function ping(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

export async function startMongoForTests(): Promise<MongoTestServer> {
  const external = process.env.MONGODB_TEST_URI;
  if (external) {
    await ping(external);
    return { uri: external, origin: 'external', stop: async () => undefined };
  }
  const bin = findFerretDb();
  const dir = mkdtempSync(join(tmpdir(), 'lomas-ferretdb-'));
  const port = await freePort();
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${join(dir, 'data')}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${join(dir, 'state')}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error'
  ];
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'state'));
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let exited: string | null = null;
  child.on('exit', (code, signal) => (exited = `exited (code ${code}, signal ${signal})`));

  const uri = `mongodb://127.0.0.1:${port}/`;
  const stop = async () => {
    if (exited === null) {
      const gone = new Promise(r => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(`FerretDB ${exited}: ${stderr.trim()}`);
    }
    try {
      await ping(uri);
      return { uri, origin: 'spawned', stop };
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `FerretDB did not answer on ${uri} within 15 s: ${(e as Error).message} ${stderr.trim()}`
        );
      }
      await new Promise(r => setTimeout(r, 150));
    }
  }
}
