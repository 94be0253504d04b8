import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A real server process (built server/dist/main.js) on a free loopback port with fresh keys. */
export interface ServerProcess {
  url: string;
  adminKey: string;
  analystKey: string;
  dataDir: string;
  child: ChildProcess;
  logs(): string;
  /** SIGKILL, then start again on the same data directory and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export const REPO_ROOT = resolve(__dirname, '../../..');

export function newKey(): string {
  return `lomas_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** A child killed by a signal has exitCode null and signalCode set. */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitReady(
  url: string,
  child: ChildProcess,
  logs: () => string,
  timeoutMs: number
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(child))
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}):\n${logs()}`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`server not ready after ${timeoutMs} ms:\n${logs()}`);
}

export async function startServerProcess(
  opts: { env?: Record<string, string>; timeoutMs?: number; dataDir?: string } = {}
): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'lomas-server-'));
  const port = await freePort();
  const adminKey = newKey();
  const analystKey = newKey();
  let out = '';
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOMAS_HOST: '127.0.0.1',
    LOMAS_PORT: String(port),
    LOMAS_DATA_DIR: dataDir,
    LOMAS_ADMIN_KEY: adminKey,
    LOMAS_DEMO_ANALYST_KEY: analystKey,
    LOG_LEVEL: 'warn',
    // Tests measure answers, not timing: protection off unless a test asks for it (it is on by
    // default in the server).
    LOMAS_MIN_LATENCY_MS: '0',
    LOMAS_LATENCY_JITTER_MS: '0',
    ...opts.env
  };
  // The store is the embedded one unless the caller asks for MongoDB explicitly.
  if (!opts.env?.MONGODB_URI) delete env.MONGODB_URI;
  const start = (): ChildProcess => {
    const c = spawn(process.execPath, [join(REPO_ROOT, 'server/dist/main.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    c.stdout?.on('data', d => (out += d));
    c.stderr?.on('data', d => (out += d));
    return c;
  };
  const url = `http://127.0.0.1:${port}`;
  const sp: ServerProcess = {
    url,
    adminKey,
    analystKey,
    dataDir,
    child: start(),
    logs: () => out,
    async restart() {
      sp.child.kill('SIGKILL');
      await new Promise(r => (exited(sp.child) ? r(null) : sp.child.once('exit', r)));
      sp.child = start();
      await waitReady(url, sp.child, sp.logs, opts.timeoutMs ?? 60000);
    },
    async stop() {
      if (!exited(sp.child)) {
        sp.child.kill('SIGTERM');
        await new Promise(r => sp.child.once('exit', r));
      }
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  };
  await waitReady(url, sp.child, sp.logs, opts.timeoutMs ?? 60000);
  return sp;
}
