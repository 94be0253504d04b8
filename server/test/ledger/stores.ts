import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MongoStore } from '../../src/store/mongo';
import { SqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';
import type { WorkerConfig } from './fixtures/charge-worker';

/** How a test (or a child process) reaches a store. */
export type StoreSpec =
  { kind: 'sqlite'; file: string } | { kind: 'mongo'; uri: string; dbName: string };

export async function openSpec(spec: StoreSpec): Promise<Store> {
  const store =
    spec.kind === 'sqlite'
      ? new SqliteStore(spec.file)
      : new MongoStore(spec.uri, { dbName: spec.dbName });
  await store.init();
  return store;
}

const FIXTURES = join(__dirname, 'fixtures');

export interface Worker {
  lines: string[];
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  go(): void;
  kill(): void;
  /** Resolves when at least n lines starting with prefix arrived. */
  waitFor(prefix: string, n: number): Promise<void>;
}

export function startWorker(cfg: WorkerConfig): Worker {
  const child = spawn(
    process.execPath,
    ['-r', join(FIXTURES, 'register-ts.js'), join(FIXTURES, 'charge-worker.ts')],
    {
      env: { ...process.env, LOMAS_WORKER: JSON.stringify(cfg) },
      stdio: ['pipe', 'pipe', 'pipe']
    }
  );
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { prefix: string; n: number; resolve: () => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (lines.filter(l => l.startsWith(w.prefix)).length >= w.n) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (b: Buffer) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    check();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>(resolve =>
    child.on('close', (code, signal) => {
      if (partial) lines.push(partial);
      resolve({ code, signal, stderr });
    })
  );
  const waitFor = (prefix: string, n: number) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ prefix, n, resolve });
      check();
      void exited.then(r =>
        reject(
          new Error(`worker exited (${r.code ?? r.signal}) before ${n} × ${prefix}: ${r.stderr}`)
        )
      );
    });
  return {
    lines,
    ready: waitFor('READY', 1),
    exited,
    go: () => child.stdin.end('GO\n'),
    kill: () => child.kill('SIGKILL'),
    waitFor
  };
}

/** Runs workers that start together; returns every worker's output lines. */
export async function runWorkers(cfgs: WorkerConfig[]): Promise<string[][]> {
  const workers = cfgs.map(startWorker);
  await Promise.all(workers.map(w => w.ready));
  const t0 = Date.now();
  if (process.env.LOMAS_TRACE) process.stderr.write(`workers ready\n`);
  workers.forEach(w => w.go());
  const results = await Promise.all(workers.map(w => w.exited));
  if (process.env.LOMAS_TRACE) process.stderr.write(`workers done after ${Date.now() - t0} ms\n`);
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`worker ${i} failed (${r.code ?? r.signal}): ${r.stderr}`);
  });
  return workers.map(w => w.lines);
}
