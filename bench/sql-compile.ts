/**
 * What SQL adds to a penguins query: the SQL compiler in process, then the same question over
 * HTTP as a plan and as SQL (timing protection OFF, stated below).
 *   node node_modules/typescript/bin/tsc -b kernel-lib server
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.sql.json && node bench/dist/bench/sql-compile.js
 *
 * 1. In process: compileSql (guard, parse with node-sql-parser, compile, parsePlan) of the Lomas
 *    client's query, against parsePlan alone of the plan it gives (what the plan route also does).
 *    The target: compilation adds at most 1 ms at p50.
 * 2. HTTP, one server process (server/dist/main.js, demo datasets): the estimate and run routes
 *    with the plan and with the SQL, interleaved so that both see the same machine load.
 * Environment: BENCH_SQL_N (5000 compilations), BENCH_SQL_HTTP_N (300 estimates, 150 runs each),
 * BENCH_SQL_WARM (300 warm-up estimates per route first).
 */
import { parsePlan } from 'lomas-kernel/protocol';
import { compileSql } from 'lomas-kernel/sql';
import { record as recordFigure } from './support/report';
import { machineLine, startBenchServer } from './support/server';

const N = Number(process.env.BENCH_SQL_N ?? 5000);
const HTTP_N = Number(process.env.BENCH_SQL_HTTP_N ?? 300);
/** Warm-up requests per route before measuring: the parser's code needs many calls to be optimised. */
const WARM = Number(process.env.BENCH_SQL_WARM ?? 300);

const SQL = {
  sql: 'SELECT species, COUNT(*) AS n, AVG(bill_length_mm) FROM df WHERE island = $1 AND body_mass_g BETWEEN 3000 AND 6000 GROUP BY species',
  dataset: 'penguins',
  params: ['Biscoe'],
  options: { epsilon: '0.01' }
};

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}
const ms = (x: number) => `${x.toFixed(3)} ms`;
/** One printed line per figure; the figure also goes to npm run bench's table. */
function line(label: string, xs: number[]): string {
  recordFigure('sql-compile', label, 'ms', xs);
  return `  ${label.padEnd(52)} p50 ${ms(pct(xs, 0.5)).padStart(10)}  p90 ${ms(pct(xs, 0.9)).padStart(10)}  p99 ${ms(pct(xs, 0.99)).padStart(10)}`;
}

function time(n: number, f: () => unknown): number[] {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    xs.push(performance.now() - t);
  }
  return xs;
}

function inProcess(): number {
  const t0 = performance.now();
  const plan = compileSql(SQL).plan; // the first call loads the parser
  const first = performance.now() - t0;
  time(500, () => compileSql(SQL)); // warm-up
  const json = JSON.parse(JSON.stringify(plan)) as unknown;
  const sql = time(N, () => compileSql(SQL));
  const planOnly = time(N, () => parsePlan(json));
  console.log(
    `in process (${N} runs each; the first compile, which loads the parser: ${first.toFixed(1)} ms)`
  );
  console.log(line('compileSql (guard + parse + compile + parsePlan)', sql));
  console.log(line('parsePlan of the compiled plan (the plan route)', planOnly));
  const added = pct(sql, 0.5);
  console.log(
    `  SQL compilation adds ${ms(added)} at p50 (target ≤ 1 ms): ${added <= 1 ? 'MET' : 'NOT MET'}`
  );
  return added;
}

async function overHttp(): Promise<void> {
  const s = await startBenchServer({ LOMAS_MIN_LATENCY_MS: '0', LOMAS_LATENCY_JITTER_MS: '0' });
  try {
    const plan = compileSql(SQL).plan;
    const pairs: Array<[string, string, unknown, string, unknown, number]> = [
      ['estimate', '/v1/queries/estimate', plan, '/v1/queries/sql/estimate', SQL, HTTP_N],
      ['run', '/v1/queries', plan, '/v1/queries/sql', SQL, Math.floor(HTTP_N / 2)]
    ];
    console.log(
      `over HTTP (timing protection OFF: LOMAS_MIN_LATENCY_MS=0, LOMAS_LATENCY_JITTER_MS=0)`
    );
    for (const [label, planPath, planBody, sqlPath, sqlBody, n] of pairs) {
      for (let i = 0; i < (label === 'run' ? 10 : WARM); i++) {
        await s.post(planPath, planBody);
        await s.post(sqlPath, sqlBody);
      }
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < n; i++) {
        let t = performance.now();
        await s.post(planPath, planBody);
        a.push(performance.now() - t);
        t = performance.now();
        await s.post(sqlPath, sqlBody);
        b.push(performance.now() - t);
      }
      console.log(line(`${label}: plan  (${n})`, a));
      console.log(line(`${label}: SQL   (${n})`, b));
      console.log(`  ${label}: SQL − plan at p50: ${ms(pct(b, 0.5) - pct(a, 0.5))}`);
    }
  } finally {
    await s.stop();
  }
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(`query: ${SQL.sql}`);
  inProcess();
  await overHttp();
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
