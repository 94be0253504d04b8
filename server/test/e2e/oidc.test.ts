/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of HTTP responses are read loosely in tests */
/**
 * OpenID Connect sign-in end to end: real server processes (server/dist/main.js) trusting a real
 * Dex, tokens from Dex's password grant. Every way a token can be wrong gets a 401 that says why;
 * an unknown user is refused or created by configuration; the admin group gives the admin role;
 * API keys keep working beside tokens; no token reaches the logs.
 */
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { flipSignatureByte } from '../../src/auth/oidc/testing/fakeProvider';
import { apiRoutes } from '../../src/http/openapi';
import { dexFromEnv, passwordGrant, type Dex } from '../helpers/dex';
import { startServerProcess, type ServerProcess } from '../helpers/serverProcess';

const dex = dexFromEnv();
const describeWithDex = dex ? describe : describe.skip;

async function call(
  sp: ServerProcess,
  method: string,
  path: string,
  bearer: string | null,
  body?: unknown
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sp.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, body: json && text ? JSON.parse(text) : text };
}

/** A refusal's shape: status, code and the reason behind a 401 token refusal. */
function refusal(r: { status: number; body: any }) {
  return { status: r.status, code: r.body?.code, reason: r.body?.details?.reason };
}

function oidcEnv(issuer: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LOMAS_OIDC_ISSUER: issuer,
    LOMAS_OIDC_AUDIENCE: 'lomas_client',
    LOMAS_OIDC_ADMIN_CLAIM: 'groups',
    LOMAS_OIDC_ADMIN_VALUE: 'lomas-admins',
    LOG_LEVEL: 'info',
    ...extra
  };
}

describeWithDex('OpenID Connect sign-in against a real Dex', () => {
  const d = dex as Dex;
  let strict: ServerProcess; // auto-create off
  let welcoming: ServerProcess; // auto-create on
  const tokensSeen: string[] = [];
  const token = async (...args: Parameters<typeof passwordGrant>) => {
    const t = await passwordGrant(...args);
    tokensSeen.push(t);
    return t;
  };

  beforeAll(async () => {
    [strict, welcoming] = await Promise.all([
      startServerProcess({ env: oidcEnv(d.issuer) }),
      startServerProcess({ env: oidcEnv(d.issuer, { LOMAS_OIDC_AUTO_CREATE: 'true' }) })
    ]);
    // The administrator creates the analyst and the admin (as a plain analyst: the group makes
    // them admin) and grants the analyst a budget on the demo penguins.
    for (const name of [d.analyst.email, d.admin.email]) {
      const r = await call(strict, 'POST', '/admin/users', strict.adminKey, { name });
      expect(r.status).toBe(201);
    }
    const g = await call(
      strict,
      'PUT',
      `/admin/grants/penguins/${encodeURIComponent(d.analyst.email)}`,
      strict.adminKey,
      { epsilon: '1', delta: '0' }
    );
    expect(g.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([strict?.stop(), welcoming?.stop()]);
  });

  test('an analyst token works on analyst routes, spends budget, and not on the admin route', async () => {
    const t = await token(d.issuer, d.analyst);
    expect((await call(strict, 'GET', '/v1/me', t)).body).toEqual({
      user: d.analyst.email,
      role: 'analyst'
    });
    const datasets = await call(strict, 'GET', '/v1/datasets', t);
    expect(datasets.status).toBe(200);
    expect(datasets.body.map((x: any) => x.name)).toEqual(['penguins']);
    const plan = {
      version: 1,
      dataset: 'penguins',
      steps: [],
      aggregations: [{ op: 'count' }],
      budget: { epsilon: '0.1' }
    };
    const run = await call(strict, 'POST', '/v1/queries', t, plan);
    expect(run.status).toBe(200);
    const budget = await call(strict, 'GET', '/v1/datasets/penguins/budget', t);
    expect(budget.body.spent.epsilon).toBe('0.1');
    expect(refusal(await call(strict, 'GET', '/admin/users', t))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      reason: 'It needs the admin role.'
    });
  });

  test('the admin group gives the admin role: admin routes and /metrics', async () => {
    const t = await token(d.issuer, d.admin);
    expect((await call(strict, 'GET', '/v1/me', t)).body).toEqual({
      user: d.admin.email,
      role: 'admin'
    });
    const users = await call(strict, 'GET', '/admin/users', t);
    expect(users.status).toBe(200);
    // Stored as an analyst: the role comes from the token's group, not from the store.
    expect(users.body.find((u: any) => u.name === d.admin.email).role).toBe('analyst');
    const metrics = await fetch(`${strict.url}/metrics`, {
      headers: { authorization: `Bearer ${t}` }
    });
    expect(metrics.status).toBe(200);
    // Without the groups scope Dex leaves the group out: no admin role.
    const plain = await token(d.issuer, d.admin, 'lomas_client', 'openid email');
    expect((await call(strict, 'GET', '/v1/me', plain)).body.role).toBe('analyst');
  });

  test('every authenticated route accepts a valid token and refuses an altered one', async () => {
    const analyst = await token(d.issuer, d.analyst);
    const admin = await token(d.issuer, d.admin);
    // Names that exist nowhere: a request that gets through changes nothing.
    const fill = (path: string) =>
      path
        .replace('{id}', 'ffffffffffffffff')
        .replace('{queryId}', 'no-such-query')
        .replace('{uid}', '00000000-0000-4000-8000-000000000000')
        .replace(/\{(name|dataset|user)\}/g, 'no-such-thing');
    const routes = apiRoutes().filter(r => r.access !== 'public');
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      const method = r.method.toUpperCase();
      const path = fill(r.path);
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const who = r.access === 'admin' ? admin : analyst;
      const label = `${method} ${r.path}`;
      const bad = await call(strict, method, path, flipSignatureByte(who), body);
      expect({ label, ...refusal(bad) }).toEqual({
        label,
        status: 401,
        code: 'UNAUTHENTICATED',
        reason: 'signature'
      });
      const good = await call(strict, method, path, who, body);
      expect({ label, authenticated: ![401, 403].includes(good.status) }).toEqual({
        label,
        authenticated: true
      });
      if (r.access === 'admin')
        expect({ label, status: (await call(strict, method, path, analyst, body)).status }).toEqual(
          {
            label,
            status: 403
          }
        );
    }
  });

  test('API keys keep working beside tokens', async () => {
    expect((await call(strict, 'GET', '/v1/me', strict.adminKey)).body.role).toBe('admin');
    expect((await call(strict, 'GET', '/v1/me', strict.analystKey)).body.user).toBe('analyst');
  });

  test('an expired token is refused with advice to sign in again', async () => {
    const short = await startServerProcess({
      env: oidcEnv(d.shortIssuer, { LOMAS_OIDC_CLOCK_TOLERANCE_S: '0' })
    });
    try {
      await call(short, 'POST', '/admin/users', short.adminKey, { name: d.analyst.email });
      const t = await token(d.shortIssuer, d.analyst);
      const { exp } = decodeJwt(t);
      // Wait until the 1-second token is past its expiry by a clear margin.
      await new Promise(r => setTimeout(r, Math.max(0, (exp! + 1) * 1000 - Date.now()) + 200));
      const r = await call(short, 'GET', '/v1/me', t);
      expect(refusal(r)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'expired' });
      expect(r.body.message).toMatch(/has expired\. Sign in again/);
      tokensSeen.push(t);
      expect(short.logs()).not.toContain(t.split('.')[2]);
    } finally {
      await short.stop();
    }
  }, 60_000);

  test('a token for another client (audience) is refused', async () => {
    const t = await token(d.issuer, d.analyst, 'other_client');
    const r = await call(strict, 'GET', '/v1/me', t);
    expect(refusal(r)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'audience' });
    expect(r.body.message).toContain('"lomas_client"');
  });

  test('a token of another issuer (a second Dex) is refused', async () => {
    const t = await token(d.shortIssuer, d.analyst);
    const r = await call(strict, 'GET', '/v1/me', t);
    expect(refusal(r)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'issuer' });
    expect(r.body.message).toContain(d.issuer);
  });

  test('an altered token fails its signature check: a flipped byte, a later expiry', async () => {
    const t = await token(d.issuer, d.analyst);
    const flipped = await call(strict, 'GET', '/v1/me', flipSignatureByte(t));
    expect(refusal(flipped)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'signature' });
    const [h, p, s] = t.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const later = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString(
      'base64url'
    );
    const r = await call(strict, 'GET', '/v1/me', `${h}.${later}.${s}`);
    expect(refusal(r)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'signature' });
  });

  test('a token signed by a key Dex does not publish is refused (unknown key)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = (await exportJWK(publicKey)).n!.slice(0, 16);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ email: d.analyst.email })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(d.issuer)
      .setAudience('lomas_client')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const r = await call(strict, 'GET', '/v1/me', forged);
    expect(refusal(r)).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'unknown_key' });
  });

  test('malformed and unsigned tokens get clear 401s', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = enc({ iss: d.issuer, aud: 'lomas_client', email: d.admin.email, exp: 4102444800 });
    expect(
      refusal(await call(strict, 'GET', '/v1/me', `${enc({ alg: 'none' })}.${body}.`))
    ).toEqual({ status: 401, code: 'UNAUTHENTICATED', reason: 'algorithm' });
    expect(refusal(await call(strict, 'GET', '/v1/me', 'abc.def.ghi'))).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
      reason: 'malformed'
    });
    const noToken = await call(strict, 'GET', '/v1/me', null);
    expect(noToken.status).toBe(401);
    expect(noToken.body.message).toMatch(/No valid API key or access token/);
  });

  test('an unknown user is refused (403, ask the administrator) with auto-create off', async () => {
    const t = await token(d.issuer, d.stranger);
    const r = await call(strict, 'GET', '/v1/datasets', t);
    expect(refusal(r)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(r.body.message).toContain(`Ask the administrator to create it`);
    const users = await call(strict, 'GET', '/admin/users', strict.adminKey);
    expect(users.body.map((u: any) => u.name)).not.toContain(d.stranger.email);
  });

  test('an unknown user is created at first sign-in with auto-create on, with no budget', async () => {
    const t = await token(d.issuer, d.stranger);
    expect((await call(welcoming, 'GET', '/v1/me', t)).body).toEqual({
      user: d.stranger.email,
      role: 'analyst'
    });
    expect((await call(welcoming, 'GET', '/v1/datasets', t)).body).toEqual([]);
    const admin = await token(d.issuer, d.admin);
    expect((await call(welcoming, 'GET', '/v1/me', admin)).body.role).toBe('admin');
    const users = await call(welcoming, 'GET', '/admin/users', welcoming.adminKey);
    const byName = new Map(users.body.map((u: any) => [u.name, u.role]));
    expect(byName.get(d.stranger.email)).toBe('analyst');
    expect(byName.get(d.admin.email)).toBe('admin');
  });

  test('an email Dex has not verified signs nobody in', async () => {
    const t = await token(d.issuer, d.unverified);
    const r = await call(welcoming, 'GET', '/v1/me', t);
    expect(refusal(r)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(r.body.message).toMatch(/not verified this email address/);
  });

  test('no token reaches the server logs', () => {
    const logs = strict.logs() + welcoming.logs();
    expect(logs).toContain('"route"'); // access log lines were written
    for (const t of tokensSeen) {
      const [, payload, signature] = t.split('.');
      expect(logs).not.toContain(signature);
      expect(logs).not.toContain(payload);
    }
  });
});
