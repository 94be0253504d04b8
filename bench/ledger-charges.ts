/**
 * Privacy-ledger throughput: charges per second on each store with 1 and 32 concurrent clients,
 * and with several processes sharing one store, checking zero overspend every time.
 *
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.ledger.json && node bench/dist/bench/ledger-charges.js
 *   (or: BENCH_ONLY=ledger-charges bash bench/run.sh)
 *
 * Each run: one dataset with a cap that admits exactly `admit` charges of ε = 0.001; the clients
 * (one analyst each, generous grants) fire `attempts` charges; afterwards exactly `admit` must be
 * in the ledger, spent must equal the cap, and the hash chain must verify. Throughput counts the
 * admitted charges over the run's wall time (refusals are cheaper: they write nothing).
 * MongoDB: MONGODB_URI if set, else FerretDB spawned like the tests do; skipped if neither.
 * FerretDB 1.24's SQLite backend scans the whole collection even for an _id lookup (its _id
 * index expression differs from the one in its WHERE clause), so its figures fall as the ledger
 * grows and say little about real MongoDB, where these are B-tree point lookups.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LomasError, type Budget } from 'lomas-kernel/protocol';
import { createLedger } from '../server/src/ledger';
import { MongoStore } from '../server/src/store/mongo';
import { SqliteStore } from '../server/src/store/sqlite';
import type { Store } from '../server/src/store/types';
import { startMongoForTests, uniqueDbName } from '../server/test/helpers/ferretdb';
import { record } from './support/report';

type Spec = { kind: 'sqlite'; file: string } | { kind: 'mongo'; uri: string; dbName: string };

interface RunConfig {
  spec: Spec;
  clients: number;
  attempts: number;
  serializeInProcess: boolean;
  prefix: string;
  cap: Budget;
}

const COST: Budget = { epsilon: '0.001', delta: '0' };
const GRANT: Budget = { epsilon: '1000000', delta: '0' };
const DATASET = 'bench';

async function open(spec: Spec): Promise<Store> {
  const s =
    spec.kind === 'sqlite'
      ? new SqliteStore(spec.file)
      : new MongoStore(spec.uri, { dbName: spec.dbName });
  await s.init();
  return s;
}

function capFor(admit: number): Budget {
  return { epsilon: `${admit}/1000`, delta: '0' };
}

/** Fires cfg.attempts charges from cfg.clients concurrent loops; returns counts. */
async function fire(cfg: RunConfig): Promise<{ admitted: number; refused: number }> {
  const store = await open(cfg.spec);
  const ledger = createLedger(store, { serializeInProcess: cfg.serializeInProcess });
  let next = 0;
  let admitted = 0;
  let refused = 0;
  const client = async (c: number) => {
    while (next < cfg.attempts) {
      const i = next++;
      try {
        await ledger.charge({
          user: `${cfg.prefix}-analyst-${c}`,
          dataset: DATASET,
          cost: COST,
          grant: GRANT,
          cap: cfg.cap,
          accounting: 'pure',
          queryId: `${cfg.prefix}-${i}`,
          requestHash: `${cfg.prefix}-${i}`
        });
        admitted++;
      } catch (e) {
        if (!(e instanceof LomasError) || e.code !== 'DATASET_CAP_EXHAUSTED') throw e;
        refused++;
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.clients }, (_, c) => client(c)));
  await store.close();
  return { admitted, refused };
}

async function check(spec: Spec, admit: number): Promise<string> {
  const store = await open(spec);
  try {
    const ledger = createLedger(store);
    const entries = await store.ledgerEntries({ dataset: DATASET });
    const spent = await ledger.spent(DATASET);
    const chain = await ledger.verifyChain(DATASET);
    const want = `${admit}/1000`.replace(/^(\d+)\/1000$/, (_, n) => reduce(BigInt(n), 1000n));
    const ok = entries.length === admit && spent.epsilon === want && chain.ok;
    return ok
      ? `zero overspend (${entries.length} entries, spent ε=${spent.epsilon} = cap, chain ok)`
      : `OVERSPEND OR INCONSISTENT: ${entries.length} entries, spent ${spent.epsilon}, cap ${want}, chain ${chain.ok}`;
  } finally {
    await store.close();
  }
}

function reduce(n: bigint, d: bigint): string {
  const g = (a: bigint, b: bigint): bigint => (b === 0n ? a : g(b, a % b));
  const k = g(n, d);
  return `${n / k}/${d / k}`;
}

async function inProcess(
  label: string,
  spec: Spec,
  clients: number,
  attempts: number,
  admit: number,
  serializeInProcess = true
): Promise<void> {
  const t0 = process.hrtime.bigint();
  const r = await fire({
    spec,
    clients,
    attempts,
    serializeInProcess,
    prefix: 'p',
    cap: capFor(admit)
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const verdict = await check(spec, admit);
  record('ledger-charges', `${label}, ${clients} clients`, 'charges/s', [r.admitted / s]);
  console.log(
    `${label.padEnd(44)} ${String(clients).padStart(3)} clients  ${(r.admitted / s).toFixed(0).padStart(6)} charges/s` +
      `  (${r.admitted} admitted + ${r.refused} refused in ${s.toFixed(2)} s) ${verdict}`
  );
  if (r.admitted !== admit) throw new Error(`admitted ${r.admitted}, expected ${admit}`);
}

async function multiProcess(
  label: string,
  spec: Spec,
  processes: number,
  clientsEach: number,
  attempts: number,
  admit: number
): Promise<void> {
  const children = Array.from({ length: processes }, (_, p) => {
    const cfg: RunConfig = {
      spec,
      clients: clientsEach,
      attempts: Math.ceil(attempts / processes),
      serializeInProcess: true,
      prefix: `w${p}`,
      cap: capFor(admit)
    };
    const child = spawn(process.execPath, [__filename, '--worker', JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'inherit']
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const ready = new Promise<void>(r => child.stdout.once('data', () => r()));
    const done = new Promise<{ admitted: number; refused: number }>((resolve, reject) =>
      child.on('close', code =>
        code === 0
          ? resolve(JSON.parse(out.split('\n').filter(Boolean).pop() ?? '{}'))
          : reject(new Error(`worker ${p} exited ${code}`))
      )
    );
    return { child, ready, done };
  });
  await Promise.all(children.map(c => c.ready));
  const t0 = process.hrtime.bigint();
  children.forEach(c => c.child.stdin.end('GO\n'));
  const results = await Promise.all(children.map(c => c.done));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const admitted = results.reduce((a, r) => a + r.admitted, 0);
  const refused = results.reduce((a, r) => a + r.refused, 0);
  const verdict = await check(spec, admit);
  record('ledger-charges', `${label}, ${processes}×${clientsEach} clients`, 'charges/s', [
    admitted / s
  ]);
  console.log(
    `${label.padEnd(44)} ${String(processes * clientsEach).padStart(3)} clients  ${(admitted / s).toFixed(0).padStart(6)} charges/s` +
      `  (${processes} processes × ${clientsEach}; ${admitted} admitted + ${refused} refused in ${s.toFixed(2)} s) ${verdict}`
  );
  if (admitted !== admit) throw new Error(`admitted ${admitted}, expected ${admit}`);
}

async function worker(cfg: RunConfig): Promise<void> {
  // open once so the first charge does not pay for schema creation, then wait for GO
  await (await open(cfg.spec)).close();
  process.stdout.write('READY\n');
  await new Promise<void>(resolve => process.stdin.on('data', () => resolve()));
  const r = await fire(cfg);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--worker') return worker(JSON.parse(process.argv[3]) as RunConfig);
  const dir = mkdtempSync(join(tmpdir(), 'lomas-bench-ledger-'));
  let n = 0;
  const sqlite = (): Spec => ({ kind: 'sqlite', file: join(dir, `ledger-${n++}.sqlite`) });
  console.log(
    `ledger-charges: ε=0.001 per charge, dataset cap admits exactly N; ${cpus().length} CPUs, node ${process.version}`
  );
  try {
    // warm-up (JIT, page cache)
    await fire({
      spec: sqlite(),
      clients: 8,
      attempts: 500,
      serializeInProcess: true,
      prefix: 'warm',
      cap: capFor(500)
    });

    await inProcess('embedded (SQLite, WAL, synchronous=FULL)', sqlite(), 1, 3000, 2500);
    await inProcess('embedded (SQLite, WAL, synchronous=FULL)', sqlite(), 32, 6000, 5000);
    await inProcess('embedded, in-process queue off (index only)', sqlite(), 32, 3000, 2500, false);
    await multiProcess('embedded, several processes on one file', sqlite(), 4, 8, 6000, 5000);

    let mongo: Awaited<ReturnType<typeof startMongoForTests>> | null = null;
    try {
      mongo = process.env.MONGODB_URI
        ? { uri: process.env.MONGODB_URI, origin: 'external', stop: async () => undefined }
        : await startMongoForTests();
    } catch (e) {
      console.log(`mongodb: skipped (${(e as Error).message.split('\n')[0]})`);
    }
    if (mongo) {
      const m = (): Spec => ({
        kind: 'mongo',
        uri: mongo!.uri,
        dbName: uniqueDbName('bench_ledger')
      });
      const name =
        mongo.origin === 'external'
          ? 'MongoDB (MONGODB_URI)'
          : 'MongoDB driver on FerretDB 1.24 (SQLite)';
      try {
        await inProcess(name, m(), 1, 600, 500);
        await inProcess(name, m(), 32, 600, 500);
        await multiProcess(`${name}, several processes`, m(), 4, 8, 600, 500);
      } finally {
        await mongo.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
