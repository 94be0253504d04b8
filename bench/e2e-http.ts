/**
 * End-to-end HTTP benchmark against the REAL server, run as a child process (server/dist/main.js)
 * so its memory is measured honestly (RSS of that process only):
 *   node node_modules/typescript/bin/tsc -b kernel-lib server
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.e2e.json && node bench/dist/bench/e2e-http.js
 * (`npx tsc` resolves to tslab's bundled TypeScript 5.0 here; use the workspace's 5.9.)
 *
 * Demo datasets on (LOMAS_DEMO=true: penguins, cars, flights-3m Parquet), timing protection off,
 * rate limit out of the way. Measures, from this process over loopback with keep-alive:
 *   - DP count on penguins: 500 sequential requests, p50/p95        (target p50 ≤ 10 ms)
 *   - grouped mean on flights-3m (mean delay by origin, ~3,300 public keys, zCDP ρ budget):
 *     the cold first request (loads 3M rows), then 50 warm sequential requests, p50/p95
 *                                                                   (target p50 ≤ 300 ms)
 *   - throughput with 8 concurrent clients (penguins count; flights grouped mean)
 *   - RSS of the server process after flights-3m is loaded, and its peak (VmHWM)
 *                                                                   (target ≤ 1.5 GB)
 * Environment: BENCH_PENGUINS_N (500), BENCH_FLIGHTS_N (50), BENCH_THROUGHPUT_MS (5000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { record } from './support/report';

const REPO = resolve(__dirname, '../../..'); // bench/dist/bench → repo root
const MAIN = join(REPO, 'server/dist/main.js');
const PENGUINS_N = Number(process.env.BENCH_PENGUINS_N ?? 500);
const FLIGHTS_N = Number(process.env.BENCH_FLIGHTS_N ?? 50);
const THROUGHPUT_MS = Number(process.env.BENCH_THROUGHPUT_MS ?? 5000);
const CLIENTS = 8;

const newKey = () =>
  `lomas_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** RSS and peak RSS (bytes) of a process, from /proc. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

async function main(): Promise<void> {
  if (!existsSync(MAIN))
    throw new Error(
      `${MAIN} is missing: build with node node_modules/typescript/bin/tsc -b kernel-lib server`
    );
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-bench-e2e-'));
  const port = await freePort();
  const adminKey = newKey();
  const analystKey = newKey();
  const url = `http://127.0.0.1:${port}`;
  let logs = '';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOMAS_HOST: '127.0.0.1',
    LOMAS_PORT: String(port),
    LOMAS_DATA_DIR: dataDir,
    LOMAS_DEMO: 'true',
    LOMAS_ADMIN_KEY: adminKey,
    LOMAS_DEMO_ANALYST_KEY: analystKey,
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0',
    LOMAS_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn'
  };
  delete env.MONGODB_URI; // the embedded SQLite store
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout?.on('data', d => (logs += d));
  child.stderr?.on('data', d => (logs += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise(r => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const t0 = performance.now();
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}:\n${logs}`);
      try {
        if ((await fetch(`${url}/ready`)).ok) break;
      } catch {
        /* not yet */
      }
      if (performance.now() - t0 > 120_000) throw new Error(`server not ready:\n${logs}`);
      await new Promise(r => setTimeout(r, 100));
    }
    const startMs = performance.now() - t0;
    const pid = child.pid!;
    const memStart = memoryOf(pid);

    async function send(
      method: string,
      path: string,
      key: string,
      body?: unknown
    ): Promise<unknown> {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {})
        },
        body: body !== undefined ? JSON.stringify(body) : undefined
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
      return JSON.parse(text);
    }

    // Budgets large enough for thousands of queries (the demo grants/caps are sized for a person).
    await send('PATCH', '/admin/datasets/penguins', adminKey, { cap: null });
    await send('PUT', '/admin/grants/penguins/analyst', adminKey, {
      epsilon: '10000000',
      delta: '0'
    });
    await send('PATCH', '/admin/datasets/flights', adminKey, { cap: null });
    await send('PUT', '/admin/grants/flights/analyst', adminKey, {
      epsilon: '0',
      delta: '0.000001',
      rho: '10000000'
    });

    const penguinsCount = {
      version: 1,
      dataset: 'penguins',
      steps: [],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.01' }
    };
    const flightsMean = {
      version: 1,
      dataset: 'flights',
      steps: [],
      groupby: { keys: ['origin'] },
      aggregations: [{ op: 'mean', column: 'delay' }],
      budget: { rho: '0.001' }
    };
    const run = (plan: unknown) => send('POST', '/v1/queries', analystKey, plan);
    const timed = async (plan: unknown): Promise<number> => {
      const t = performance.now();
      await run(plan);
      return performance.now() - t;
    };

    // ---- penguins: DP count, sequential ----
    for (let i = 0; i < 20; i++) await run(penguinsCount); // warm-up (loads penguins, JIT)
    const pLat: number[] = [];
    for (let i = 0; i < PENGUINS_N; i++) pLat.push(await timed(penguinsCount));

    // ---- flights-3m: grouped mean, cold then warm ----
    const coldMs = await timed(flightsMean);
    const memFlights = memoryOf(pid);
    const sample = (await run(flightsMean)) as { rows: unknown[] };
    const fLat: number[] = [];
    for (let i = 0; i < FLIGHTS_N; i++) fLat.push(await timed(flightsMean));
    const memAfterFlights = memoryOf(pid);

    // ---- throughput: 8 concurrent clients ----
    async function throughput(
      plan: unknown,
      durationMs: number,
      maxRequests: number
    ): Promise<{ rps: number; n: number; p50: number; p95: number }> {
      const lat: number[] = [];
      const end = performance.now() + durationMs;
      let started = 0;
      const t = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (performance.now() < end && started < maxRequests) {
            started++;
            lat.push(await timed(plan));
          }
        })
      );
      const elapsed = performance.now() - t;
      return {
        rps: (lat.length / elapsed) * 1000,
        n: lat.length,
        p50: pct(lat, 0.5),
        p95: pct(lat, 0.95)
      };
    }
    const tpPenguins = await throughput(penguinsCount, THROUGHPUT_MS, 1_000_000);
    const tpFlights = await throughput(flightsMean, THROUGHPUT_MS, 200);
    const memEnd = memoryOf(pid);

    const MB = 1024 ** 2;
    record('e2e-http', 'penguins DP count, sequential', 'ms', pLat);
    record('e2e-http', 'flights-3m grouped mean by origin, warm', 'ms', fLat);
    record('e2e-http', 'flights-3m cold first request (loads 3M rows)', 'ms', [coldMs]);
    record('e2e-http', `penguins count, ${CLIENTS} clients`, 'req/s', [tpPenguins.rps]);
    record('e2e-http', `flights-3m grouped mean, ${CLIENTS} clients`, 'req/s', [tpFlights.rps]);
    record('e2e-http', 'server RSS at start', 'MB', [memStart.rss / MB]);
    record('e2e-http', 'server RSS with flights-3m loaded (max seen)', 'MB', [
      Math.max(memFlights.rss, memAfterFlights.rss, memEnd.rss) / MB
    ]);
    const p50p = pct(pLat, 0.5);
    const p50f = pct(fLat, 0.5);
    const rssLoaded = Math.max(memFlights.rss, memAfterFlights.rss, memEnd.rss);
    const verdict = (ok: boolean) => (ok ? 'OK' : 'MISSED');
    const lines = [
      'e2e-http (real server child process, loopback, keep-alive, timing protection off)',
      `  machine: ${cpus().length} CPUs, load average ${loadavg()
        .map(x => x.toFixed(1))
        .join(' ')} (client and server share them)`,
      `  server start (demo datasets registered)      ${ms(startMs)}; RSS at start ${mb(memStart.rss)}`,
      `  penguins DP count, ${PENGUINS_N} sequential          p50 ${ms(p50p)}  p95 ${ms(pct(pLat, 0.95))}  max ${ms(Math.max(...pLat))}   target p50 ≤ 10 ms: ${verdict(p50p <= 10)}`,
      `  flights-3m grouped mean (by origin, ${sample.rows.length} keys)`,
      `    cold first request (loads 3M rows)         ${ms(coldMs)}`,
      `    warm, ${FLIGHTS_N} sequential                       p50 ${ms(p50f)}  p95 ${ms(pct(fLat, 0.95))}  max ${ms(Math.max(...fLat))}   target p50 ≤ 300 ms: ${verdict(p50f <= 300)}`,
      `  throughput, ${CLIENTS} concurrent clients`,
      `    penguins count                             ${tpPenguins.rps.toFixed(0)} req/s (${tpPenguins.n} requests; p50 ${ms(tpPenguins.p50)}, p95 ${ms(tpPenguins.p95)})`,
      `    flights-3m grouped mean                    ${tpFlights.rps.toFixed(1)} req/s (${tpFlights.n} requests; p50 ${ms(tpFlights.p50)}, p95 ${ms(tpFlights.p95)})`,
      `  server RSS with flights-3m loaded            ${mb(rssLoaded)} (after load ${mb(memFlights.rss)}, at end ${mb(memEnd.rss)}; peak VmHWM ${mb(memEnd.peak)})   target ≤ 1.5 GB: ${verdict(rssLoaded <= 1.5 * 1024 ** 3)}`
    ];
    console.log(lines.join('\n'));
  } finally {
    await stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
