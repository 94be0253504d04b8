/**
 * A real server process for benchmarks (server/dist/main.js, embedded store unless `env` sets
 * MONGODB_URI, a temp data dir, fresh keys, rate limit out of the way). The caller states the
 * timing-protection settings: a benchmark that measures speed passes LOMAS_MIN_LATENCY_MS=0 and
 * LOMAS_LATENCY_JITTER_MS=0 (the server's defaults turn protection ON) and says so in its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '../../../..'); // bench/dist/bench/support → repo root
const MAIN = join(REPO, 'server/dist/main.js');

export interface BenchServer {
  url: string;
  dataDir: string;
  pid: number;
  /** An admin request; throws on a non-2xx answer. */
  admin(method: string, path: string, body?: unknown): Promise<unknown>;
  /** POST /v1/queries as the demo analyst; throws on a non-2xx answer. */
  run(plan: unknown): Promise<unknown>;
  /** POST to any analyst route as the demo analyst; throws on a non-2xx answer. */
  post(path: string, body: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

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

export function machineLine(): string {
  return `machine: ${cpus().length} CPUs, load average ${loadavg()
    .map(x => x.toFixed(1))
    .join(' ')} (client and server share them)`;
}

/**
 * Starts the server with `env` over the harness's own; `unset` names variables to remove;
 * `nodeArgs` go to node before the script (e.g. --cpu-prof, refused in NODE_OPTIONS).
 */
export async function startBenchServer(
  env: Record<string, string>,
  unset: string[] = [],
  nodeArgs: string[] = []
): Promise<BenchServer> {
  if (!existsSync(MAIN))
    throw new Error(
      `${MAIN} is missing: build with node node_modules/typescript/bin/tsc -b kernel-lib server`
    );
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-bench-'));
  const port = await freePort();
  const adminKey = newKey();
  const analystKey = newKey();
  const url = `http://127.0.0.1:${port}`;
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    LOMAS_HOST: '127.0.0.1',
    LOMAS_PORT: String(port),
    LOMAS_DATA_DIR: dataDir,
    LOMAS_ADMIN_KEY: adminKey,
    LOMAS_DEMO_ANALYST_KEY: analystKey,
    LOMAS_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    ...env
  };
  if (!env.MONGODB_URI) delete full.MONGODB_URI; // the embedded SQLite store unless asked
  for (const name of unset) delete full[name];
  let logs = '';
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: full,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout?.on('data', d => (logs += d));
  child.stderr?.on('data', d => (logs += d));
  // node:http over kept-alive connections: the stack the notebook library's client (axios) uses
  // in Node, as Lomas's figures come from its client's stack (requests.Session).
  const agent = new Agent({ keepAlive: true });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise(r => child.once('exit', r));
    }
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };

  function send(method: string, path: string, key: string, body?: unknown): Promise<unknown> {
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    return new Promise((ok, fail) => {
      const req = request(
        url + path,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${key}`,
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {})
          }
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300)
              return fail(new Error(`${method} ${path} → ${status}: ${text}`));
            try {
              ok(JSON.parse(text) as unknown);
            } catch (e) {
              fail(e as Error);
            }
          });
        }
      );
      req.on('error', fail);
      req.end(payload);
    });
  }

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
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    dataDir,
    pid: child.pid!,
    admin: (method, path, body) => send(method, path, adminKey, body),
    run: plan => send('POST', '/v1/queries', analystKey, plan),
    post: (path, body) => send('POST', path, analystKey, body),
    stop
  };
}
