import * as path from 'node:path';
import { z } from 'zod';
import { ENGINE_DEFAULTS, MEMORY_LIMIT_PATTERN, type EngineLimits } from './engine/limits';
import { TIMING_DEFAULTS } from './http/timing';

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
  /** Browser origins allowed to call the API (comma-separated, or *): the JupyterLab extension's. */
  LOMAS_CORS_ORIGINS: z.string().default('*'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
});

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
  minLatencyMs: number;
  latencyJitterMs: number;
  engine: EngineLimits;
  corsOrigins: string[];
  logLevel: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(i => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid server configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
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
    minLatencyMs: e.LOMAS_MIN_LATENCY_MS,
    latencyJitterMs: e.LOMAS_LATENCY_JITTER_MS,
    engine: {
      memoryLimit: e.LOMAS_DUCKDB_MEMORY_LIMIT,
      threads: e.LOMAS_DUCKDB_THREADS,
      queryTimeoutMs: e.LOMAS_QUERY_TIMEOUT_MS
    },
    corsOrigins: e.LOMAS_CORS_ORIGINS.split(',')
      .map(o => o.trim())
      .filter(o => o.length > 0),
    logLevel: e.LOG_LEVEL
  };
}
