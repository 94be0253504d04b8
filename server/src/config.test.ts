import { ConfigError, loadConfig } from './config';
import { ENGINE_DEFAULTS } from './engine/limits';
import { TIMING_DEFAULTS } from './http/timing';

/** OpenID Connect settings: validated at start, so a mistake stops the server with a clear line. */

function problemOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

test('sign-in is off without an issuer, and on with documented defaults with one', () => {
  expect(loadConfig({}).oidc).toBeUndefined();
  expect(loadConfig({ LOMAS_OIDC_ISSUER: 'https://idp.example.org/realms/lomas' }).oidc).toEqual({
    issuer: 'https://idp.example.org/realms/lomas',
    audiences: ['lomas_client'],
    userClaim: 'email',
    adminClaim: undefined,
    adminValue: undefined,
    autoCreate: false,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    clockToleranceSec: 30
  });
});

test('lists are comma-separated; the admin claim and value come together', () => {
  const oidc = loadConfig({
    LOMAS_OIDC_ISSUER: 'http://127.0.0.1:5556/dex',
    LOMAS_OIDC_AUDIENCE: 'lomas_client, jupyter',
    LOMAS_OIDC_ALGORITHMS: 'ES256,RS256',
    LOMAS_OIDC_ADMIN_CLAIM: 'realm_access.roles',
    LOMAS_OIDC_ADMIN_VALUE: 'lomas-admin',
    LOMAS_OIDC_AUTO_CREATE: 'true'
  }).oidc;
  expect(oidc).toMatchObject({
    audiences: ['lomas_client', 'jupyter'],
    algorithms: ['ES256', 'RS256'],
    adminClaim: 'realm_access.roles',
    adminValue: 'lomas-admin',
    autoCreate: true
  });
});

test.each([
  [{ LOMAS_OIDC_ISSUER: 'not a url' }, 'LOMAS_OIDC_ISSUER: not a URL'],
  [{ LOMAS_OIDC_ISSUER: 'http://idp.example.org' }, 'an https:// URL'],
  [{ LOMAS_OIDC_ISSUER: 'https://idp.example.org/?x=1' }, 'no query or fragment'],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_ALGORITHMS: 'RS256,HS256' },
    'LOMAS_OIDC_ALGORITHMS'
  ],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_AUDIENCE: ' , ' },
    'LOMAS_OIDC_AUDIENCE'
  ],
  [{ LOMAS_OIDC_AUTO_CREATE: 'true' }, 'need LOMAS_OIDC_ISSUER'],
  [{ LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_ADMIN_CLAIM: 'groups' }, 'set both'],
  [
    { LOMAS_OIDC_ISSUER: 'https://idp.example.org', LOMAS_OIDC_CLOCK_TOLERANCE_S: '3600' },
    'LOMAS_OIDC_CLOCK_TOLERANCE_S'
  ]
])('%j is refused (%s)', (env, expected) => {
  expect(problemOf(env)).toContain(expected);
});

describe('server configuration', () => {
  test('timing protection is on by default, with the documented floor and jitter', () => {
    const c = loadConfig({});
    expect(c.minLatencyMs).toBe(TIMING_DEFAULTS.minLatencyMs);
    expect(c.latencyJitterMs).toBe(TIMING_DEFAULTS.jitterMs);
    expect(c.minLatencyMs).toBeGreaterThan(0);
    expect(c.latencyJitterMs).toBeGreaterThan(0);
    expect(loadConfig({ LOMAS_MIN_LATENCY_MS: '0', LOMAS_LATENCY_JITTER_MS: '0' })).toMatchObject({
      minLatencyMs: 0,
      latencyJitterMs: 0
    });
  });

  test('engine limits: documented defaults, overridden by LOMAS_DUCKDB_* and LOMAS_QUERY_TIMEOUT_MS', () => {
    expect(loadConfig({}).engine).toEqual(ENGINE_DEFAULTS);
    expect(
      loadConfig({
        LOMAS_DUCKDB_MEMORY_LIMIT: '512MB',
        LOMAS_DUCKDB_THREADS: '4',
        LOMAS_QUERY_TIMEOUT_MS: '2500'
      }).engine
    ).toEqual({ memoryLimit: '512MB', threads: 4, queryTimeoutMs: 2500 });
  });

  test('no browser origin is allowed by default (the JupyterLab extension calls through Jupyter)', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(
      loadConfig({ LOMAS_CORS_ORIGINS: ' https://a.example, https://b.example ' }).corsOrigins
    ).toEqual(['https://a.example', 'https://b.example']);
  });

  test('16 charged requests at once by default; the others wait before their charge', () => {
    expect(loadConfig({}).maxConcurrentQueries).toBe(16);
    expect(loadConfig({ LOMAS_MAX_CONCURRENT_QUERIES: '1' }).maxConcurrentQueries).toBe(1);
  });

  test('several servers: the rate limit is shared through the store, and a retry outwaits a query', () => {
    const c = loadConfig({});
    expect(c.rateLimitScope).toBe('store');
    expect(c.answerWaitMs).toBe(90_000);
    // A retry waits longer than a query statement may run, so it rarely gives up on a live one.
    expect(c.answerWaitMs).toBeGreaterThan(c.engine.queryTimeoutMs);
    expect(
      loadConfig({ LOMAS_RATE_LIMIT_SCOPE: 'process', LOMAS_ANSWER_WAIT_MS: '0' })
    ).toMatchObject({ rateLimitScope: 'process', answerWaitMs: 0 });
  });

  test.each([
    ['LOMAS_MAX_CONCURRENT_QUERIES', '0'],
    ['LOMAS_RATE_LIMIT_SCOPE', 'cluster'],
    ['LOMAS_ANSWER_WAIT_MS', '-5'],
    ['LOMAS_ANSWER_WAIT_MS', 'long'],
    ['LOMAS_DUCKDB_MEMORY_LIMIT', 'lots'],
    ['LOMAS_DUCKDB_MEMORY_LIMIT', '2GB; SET x = 1'],
    ['LOMAS_DUCKDB_MEMORY_LIMIT', '0GB'],
    ['LOMAS_DUCKDB_THREADS', '0'],
    ['LOMAS_DUCKDB_THREADS', '1.5'],
    ['LOMAS_QUERY_TIMEOUT_MS', '0'],
    ['LOMAS_QUERY_TIMEOUT_MS', 'soon'],
    ['LOMAS_MIN_LATENCY_MS', '-1']
  ])('refuses to start with %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

test('Trino: off without a URL; a password only over https', () => {
  expect(loadConfig({}).trino).toBeUndefined();
  expect(loadConfig({ LOMAS_TRINO_URL: 'http://trino.internal:8080' }).trino).toEqual({
    url: 'http://trino.internal:8080',
    user: 'lomas',
    password: undefined
  });
  expect(
    problemOf({ LOMAS_TRINO_URL: 'http://trino.internal:8080', LOMAS_TRINO_PASSWORD: 'secret' })
  ).toMatch(/LOMAS_TRINO_PASSWORD: a Trino password is only sent over https/);
  expect(problemOf({ LOMAS_TRINO_PASSWORD: 'secret' })).toMatch(/LOMAS_TRINO_PASSWORD/);
  expect(
    loadConfig({ LOMAS_TRINO_URL: 'https://trino.internal:8443', LOMAS_TRINO_PASSWORD: 's' }).trino
      ?.password
  ).toBe('s');
  expect(problemOf({ LOMAS_TRINO_URL: 'ftp://trino' })).toMatch(/LOMAS_TRINO_URL/);
});
