/**
 * What OpenID Connect sign-in costs per request, next to an API key:
 *   1. in process: one warm access-token verification (RS256 signature, claims; keys cached)
 *      against one API-key check (sha256 of the secret, constant-time compare), µs per call;
 *   2. over HTTP against the real server (server/dist/main.js as a child process): GET /v1/me,
 *      sequential requests with keep-alive, p50/p95 with an API key and with an access token.
 * The provider is real Dex when DEX_ISSUER is set (source .ci/dex.sh && dex_start), otherwise a
 * loopback stand-in serving a locally generated key (the cost is the same: a cached JWKS).
 *   node node_modules/typescript/bin/tsc -b kernel-lib server
 *   node node_modules/typescript/bin/tsc -p bench/tsconfig.oidc.json && node bench/dist/bench/oidc-auth.js
 * Environment: BENCH_OIDC_N (3000 in-process calls), BENCH_OIDC_HTTP_N (1000 requests).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseKey, recordFor, secretMatches } from '../server/src/auth/keys';
import { providerKeys } from '../server/src/auth/oidc/provider';
import {
  signingKey,
  signToken,
  startFakeProvider,
  type FakeProvider
} from '../server/src/auth/oidc/testing/fakeProvider';
import { accessTokenVerifier } from '../server/src/auth/oidc/verify';
import { record as recordFigure } from './support/report';

const REPO = resolve(__dirname, '../../..'); // bench/dist/bench → repo root
const N = Number(process.env.BENCH_OIDC_N ?? 3000);
const HTTP_N = Number(process.env.BENCH_OIDC_HTTP_N ?? 1000);

const newKey = () =>
  `lomas_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

async function microseconds(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
}

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

/** An issuer and a token of a user named `email`: from Dex if it runs, else from a stand-in. */
async function tokenSource(): Promise<{
  issuer: string;
  email: string;
  token: string;
  close(): Promise<void>;
}> {
  const issuer = process.env.DEX_ISSUER;
  if (issuer) {
    const email = process.env.DEX_ANALYST_EMAIL ?? 'analyst@lomas.test';
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'lomas_client',
        username: email,
        password: process.env.DEX_ANALYST_PASSWORD ?? '',
        scope: 'openid email'
      })
    });
    const body = (await res.json()) as { access_token: string };
    return { issuer, email, token: body.access_token, close: async () => undefined };
  }
  const key = await signingKey('bench');
  const fake: FakeProvider = await startFakeProvider([key]);
  const email = 'bench@lomas.test';
  const token = await signToken(
    key,
    { iss: fake.issuer, aud: 'lomas_client', email },
    { lifetimeSec: 3600 }
  );
  return { issuer: fake.issuer, email, token, close: () => fake.close() };
}

async function inProcess(): Promise<void> {
  const key = await signingKey('k1');
  const fake = await startFakeProvider([key]);
  try {
    const verify = accessTokenVerifier(
      {
        issuer: fake.issuer,
        audiences: ['lomas_client'],
        userClaim: 'email',
        autoCreate: false,
        algorithms: ['RS256'],
        clockToleranceSec: 30
      },
      providerKeys({ issuer: fake.issuer })
    );
    const token = await signToken(
      key,
      { iss: fake.issuer, aud: 'lomas_client', email: 'a@b' },
      { lifetimeSec: 3600 }
    );
    const apiKey = newKey();
    const record = recordFor(apiKey, 'a', 'bench', new Date().toISOString());
    const tokenUs = await microseconds(N, () => verify(token));
    const keyUs = await microseconds(N, () => secretMatches(record, parseKey(apiKey)!.secret));
    recordFigure('oidc-auth', 'verify an access token (in process)', 'µs', [tokenUs]);
    recordFigure('oidc-auth', 'check an API key (in process)', 'µs', [keyUs]);
    console.log(
      `in process (${N} calls): access token ${tokenUs.toFixed(1)} µs/call, API key ${keyUs.toFixed(1)} µs/call`
    );
  } finally {
    await fake.close();
  }
}

async function overHttp(): Promise<void> {
  const source = await tokenSource();
  const dataDir = mkdtempSync(join(tmpdir(), 'lomas-bench-oidc-'));
  const port = await freePort();
  const adminKey = newKey();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOMAS_HOST: '127.0.0.1',
    LOMAS_PORT: String(port),
    LOMAS_DATA_DIR: dataDir,
    LOMAS_DEMO: 'false',
    LOMAS_ADMIN_KEY: adminKey,
    LOMAS_RATE_LIMIT_PER_MINUTE: '100000000',
    LOMAS_OIDC_ISSUER: source.issuer,
    LOG_LEVEL: 'warn'
  };
  delete env.MONGODB_URI;
  let logs = '';
  const child = spawn(process.execPath, [join(REPO, 'server/dist/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  child.stdout?.on('data', d => (logs += d));
  child.stderr?.on('data', d => (logs += d));
  try {
    const t0 = performance.now();
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${logs}`);
      if (
        await fetch(`${url}/ready`).then(
          r => r.ok,
          () => false
        )
      )
        break;
      if (performance.now() - t0 > 60_000) throw new Error(`server not ready:\n${logs}`);
      await new Promise(r => setTimeout(r, 100));
    }
    const created = await fetch(`${url}/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: source.email })
    });
    if (created.status !== 201) throw new Error(`user not created: ${await created.text()}`);
    const analystKey = (await (
      await fetch(`${url}/admin/users/${encodeURIComponent(source.email)}/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ label: 'bench' })
      })
    ).json()) as { key: string };
    // Interleaved, so that warm-up and load on the machine weigh on both alike.
    const once = async (credential: string): Promise<number> => {
      const s = performance.now();
      const res = await fetch(`${url}/v1/me`, {
        headers: { authorization: `Bearer ${credential}` }
      });
      await res.text();
      if (res.status !== 200) throw new Error(`GET /v1/me → ${res.status}`);
      return performance.now() - s;
    };
    const withKey: number[] = [];
    const withToken: number[] = [];
    for (let i = 0; i < HTTP_N + 50; i++) {
      const k = await once(analystKey.key);
      const t = await once(source.token);
      if (i >= 50) {
        withKey.push(k);
        withToken.push(t);
      }
    }
    const f = (xs: number[]) =>
      `p50 ${pct(xs, 0.5).toFixed(2)} ms, p95 ${pct(xs, 0.95).toFixed(2)} ms`;
    console.log(
      `HTTP GET /v1/me (${HTTP_N} sequential, provider: ${process.env.DEX_ISSUER ? 'Dex' : 'stand-in'})`
    );
    recordFigure('oidc-auth', 'HTTP request with an API key', 'ms', withKey);
    recordFigure('oidc-auth', 'HTTP request with an access token', 'ms', withToken);
    console.log(`  API key:      ${f(withKey)}`);
    console.log(`  access token: ${f(withToken)}`);
    console.log(`  overhead at p50: ${(pct(withToken, 0.5) - pct(withKey, 0.5)).toFixed(2)} ms`);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise(r => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
    await source.close();
  }
}

async function main(): Promise<void> {
  await inProcess();
  await overHttp();
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
