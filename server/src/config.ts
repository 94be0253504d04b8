import * as path from 'node:path';
import { z } from 'zod';
import { ENGINE_DEFAULTS, MEMORY_LIMIT_PATTERN, type EngineLimits } from './engine/limits';
import { TIMING_DEFAULTS } from './http/timing';

/** Asymmetric JWS algorithms only: a shared-secret (HS*) or unsigned ("none") token is never accepted. */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519'
] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The provider's keys are trusted because they come over TLS; plain HTTP only on loopback (tests). */
function issuerProblem(value: string): string | null {
  if (!URL.canParse(value)) return 'not a URL';
  const url = new URL(value);
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp)
    return 'an https:// URL (http:// only on 127.0.0.1 or localhost)';
  if (url.search || url.hash || value.includes('?') || value.includes('#'))
    return 'an issuer URL has no query or fragment';
  return null;
}

const IssuerUrl = z.string().superRefine((value, ctx) => {
  const problem = issuerProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const ClaimName = z
  .string()
  .regex(
    /^[A-Za-z0-9_:/.#-]{1,128}$/,
    'a claim name (or a dotted path such as realm_access.roles)'
  );

const CommaList = <T extends string>(item: z.ZodType<T, string>) =>
  z
    .string()
    .transform(s =>
      s
        .split(',')
        .map(x => x.trim())
        .filter(x => x.length > 0)
    )
    .pipe(z.array(item).min(1));

/** Server configuration, read once from the environment and validated: the server refuses to start on a bad value. */
const Env = z.object({
  LOMAS_HOST: z.string().default('127.0.0.1'),
  LOMAS_PORT: z.coerce.number().int().min(0).max(65535).default(8765),
  LOMAS_DATA_DIR: z.string().default(path.resolve(process.cwd(), '.lomas-data')),
  MONGODB_URI: z.string().url().optional(),
  MONGODB_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,60}$/)
    .default('lomas'),
  LOMAS_DEMO: z.enum(['true', 'false']).default('true'),
  /** Bootstrap keys: the admin key and a demo analyst key, created on first start if given. */
  LOMAS_ADMIN_KEY: z
    .string()
    .regex(/^lomas_[0-9a-f]{16}_[A-Za-z0-9_-]{20,100}$/)
    .optional(),
  LOMAS_DEMO_ANALYST_KEY: z
    .string()
    .regex(/^lomas_[0-9a-f]{16}_[A-Za-z0-9_-]{20,100}$/)
    .optional(),
  LOMAS_BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/)
    .default('256kb'),
  LOMAS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /**
   * store: the limit is shared by every server on the store (numbered slots, http/rateLimit.ts);
   * process: a token bucket per server process (N replicas then allow N times the limit).
   */
  LOMAS_RATE_LIMIT_SCOPE: z.enum(['store', 'process']).default('store'),
  /**
   * How long after its charge a query may still be answered by the server that charged it: a
   * retry with the same Idempotency-Key (on any server) waits until then for the archived answer,
   * and past it records the query as failed (QUERY_FAILED, charge kept) so every retry agrees.
   * Longer than loading a dataset plus LOMAS_QUERY_TIMEOUT_MS.
   */
  LOMAS_ANSWER_WAIT_MS: z.coerce.number().int().min(0).max(3_600_000).default(90_000),
  /**
   * Timing protection on routes that touch private data: every answer takes at least this long,
   * plus a uniform random jitter. ON by default; the floor is justified in docs/SECURITY.md.
   */
  LOMAS_MIN_LATENCY_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60000)
    .default(TIMING_DEFAULTS.minLatencyMs),
  LOMAS_LATENCY_JITTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60000)
    .default(TIMING_DEFAULTS.jitterMs),
  /** Resource limits of every DuckDB instance (engine/limits.ts). */
  LOMAS_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(MEMORY_LIMIT_PATTERN, 'a size such as 512MB or 2GB')
    .default(ENGINE_DEFAULTS.memoryLimit),
  LOMAS_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).default(ENGINE_DEFAULTS.threads),
  LOMAS_QUERY_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(ENGINE_DEFAULTS.queryTimeoutMs),
  /**
   * Browser origins allowed to call the API (comma-separated, or *). None by default: the
   * JupyterLab extension calls Lomas through the Jupyter server (jupyterlab_lomas), never from the
   * browser, so only a web page of your own that holds a key needs an entry here.
   */
  LOMAS_CORS_ORIGINS: z.string().default(''),
  /**
   * Charged requests (queries, synthetic tables) answered at once; more wait in a queue BEFORE
   * their charge, so a request whose analyst interrupts it while it waits costs nothing.
   */
  LOMAS_MAX_CONCURRENT_QUERIES: z.coerce.number().int().min(1).max(1024).default(16),
  /**
   * The Trino cluster that datasets with a `trino` connector live in (engine/trino.ts): its
   * coordinator's URL, the user the server signs in as and, over https only, its password (from
   * the environment or a secret store, never a settings file). Unset: Trino datasets fail to run.
   */
  LOMAS_TRINO_URL: z
    .string()
    .url()
    .refine(u => /^https?:\/\//i.test(u), 'an http or https URL')
    .optional(),
  LOMAS_TRINO_USER: z.string().min(1).max(256).default('lomas'),
  LOMAS_TRINO_PASSWORD: z.string().min(1).max(1024).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** OpenID Connect sign-in (see OidcSettings); off unless LOMAS_OIDC_ISSUER is set. */
  LOMAS_OIDC_ISSUER: IssuerUrl.optional(),
  LOMAS_OIDC_AUDIENCE: CommaList(z.string().min(1).max(256)).default(['lomas_client']),
  LOMAS_OIDC_USER_CLAIM: ClaimName.default('email'),
  LOMAS_OIDC_ADMIN_CLAIM: ClaimName.optional(),
  LOMAS_OIDC_ADMIN_VALUE: z.string().min(1).max(256).optional(),
  LOMAS_OIDC_AUTO_CREATE: z.enum(['true', 'false']).default('false'),
  LOMAS_OIDC_ALGORITHMS: CommaList(z.enum(OIDC_ALGORITHMS)).default([
    'RS256',
    'PS256',
    'ES256',
    'EdDSA'
  ]),
  LOMAS_OIDC_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30)
});

/**
 * OpenID Connect sign-in: Bearer access tokens that are JWTs signed by the issuer's keys
 * (discovery document → JWKS) authenticate like API keys.
 */
export interface OidcSettings {
  /** Exactly the `iss` of the tokens and of the discovery document. */
  issuer: string;
  /** Accepted `aud` values (one must match): the provider's client id for Lomas. */
  audiences: string[];
  /** The claim whose value is the Lomas user name (email by default). */
  userClaim: string;
  /** With both set, a token whose adminClaim is (or contains) adminValue has the admin role. */
  adminClaim?: string;
  adminValue?: string;
  /** Create the Lomas user at first sign-in (true), or refuse users an administrator did not create. */
  autoCreate: boolean;
  algorithms: string[];
  clockToleranceSec: number;
}

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  mongodbUri?: string;
  mongodbDb: string;
  demo: boolean;
  adminKey?: string;
  demoAnalystKey?: string;
  bodyLimit: string;
  rateLimitPerMinute: number;
  rateLimitScope: 'store' | 'process';
  answerWaitMs: number;
  minLatencyMs: number;
  latencyJitterMs: number;
  engine: EngineLimits;
  /** Where datasets with a `trino` connector run (LOMAS_TRINO_*); never returned by a route. */
  trino?: { url: string; user: string; password?: string };
  corsOrigins: string[];
  maxConcurrentQueries: number;
  logLevel: string;
  oidc?: OidcSettings;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(i => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid server configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const oidcProblem =
    oidcConsistency(env, e.LOMAS_OIDC_ISSUER) ??
    trinoConsistency(e.LOMAS_TRINO_URL, e.LOMAS_TRINO_PASSWORD);
  if (oidcProblem) throw new ConfigError(`Invalid server configuration:\n  ${oidcProblem}`);
  return {
    host: e.LOMAS_HOST,
    port: e.LOMAS_PORT,
    dataDir: path.resolve(e.LOMAS_DATA_DIR),
    mongodbUri: e.MONGODB_URI,
    mongodbDb: e.MONGODB_DB,
    demo: e.LOMAS_DEMO === 'true',
    adminKey: e.LOMAS_ADMIN_KEY,
    demoAnalystKey: e.LOMAS_DEMO_ANALYST_KEY,
    bodyLimit: e.LOMAS_BODY_LIMIT,
    rateLimitPerMinute: e.LOMAS_RATE_LIMIT_PER_MINUTE,
    rateLimitScope: e.LOMAS_RATE_LIMIT_SCOPE,
    answerWaitMs: e.LOMAS_ANSWER_WAIT_MS,
    minLatencyMs: e.LOMAS_MIN_LATENCY_MS,
    latencyJitterMs: e.LOMAS_LATENCY_JITTER_MS,
    engine: {
      memoryLimit: e.LOMAS_DUCKDB_MEMORY_LIMIT,
      threads: e.LOMAS_DUCKDB_THREADS,
      queryTimeoutMs: e.LOMAS_QUERY_TIMEOUT_MS
    },
    trino: e.LOMAS_TRINO_URL
      ? { url: e.LOMAS_TRINO_URL, user: e.LOMAS_TRINO_USER, password: e.LOMAS_TRINO_PASSWORD }
      : undefined,
    corsOrigins: e.LOMAS_CORS_ORIGINS.split(',')
      .map(o => o.trim())
      .filter(o => o.length > 0),
    maxConcurrentQueries: e.LOMAS_MAX_CONCURRENT_QUERIES,
    logLevel: e.LOG_LEVEL,
    oidc: e.LOMAS_OIDC_ISSUER
      ? {
          issuer: e.LOMAS_OIDC_ISSUER,
          audiences: e.LOMAS_OIDC_AUDIENCE,
          userClaim: e.LOMAS_OIDC_USER_CLAIM,
          adminClaim: e.LOMAS_OIDC_ADMIN_CLAIM,
          adminValue: e.LOMAS_OIDC_ADMIN_VALUE,
          autoCreate: e.LOMAS_OIDC_AUTO_CREATE === 'true',
          algorithms: e.LOMAS_OIDC_ALGORITHMS,
          clockToleranceSec: e.LOMAS_OIDC_CLOCK_TOLERANCE_S
        }
      : undefined
  };
}

/** A password travels in every request's header: only over https. */
function trinoConsistency(url: string | undefined, password: string | undefined): string | null {
  if (password !== undefined && !url?.toLowerCase().startsWith('https://'))
    return 'LOMAS_TRINO_PASSWORD: a Trino password is only sent over https (set an https LOMAS_TRINO_URL)';
  return null;
}

/** Settings that only mean something together: a lone one is a mistake worth stopping for. */
function oidcConsistency(env: NodeJS.ProcessEnv, issuer: string | undefined): string | null {
  const given = Object.keys(env).filter(k => k.startsWith('LOMAS_OIDC_') && env[k] !== undefined);
  if (!issuer && given.length > 0)
    return `${given.sort().join(', ')}: OpenID Connect settings need LOMAS_OIDC_ISSUER`;
  if (!env.LOMAS_OIDC_ADMIN_CLAIM !== !env.LOMAS_OIDC_ADMIN_VALUE)
    return 'LOMAS_OIDC_ADMIN_CLAIM and LOMAS_OIDC_ADMIN_VALUE: set both (the claim and the value that means admin) or neither';
  return null;
}
