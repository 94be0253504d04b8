/**
 * Resource limits of the execution engine, public and documented (README, "Configuration"). They
 * come from the validated server configuration (LOMAS_DUCKDB_MEMORY_LIMIT, LOMAS_DUCKDB_THREADS,
 * LOMAS_QUERY_TIMEOUT_MS) and apply to EVERY DuckDB instance: each private dataset version, each
 * dummy dataset. A query that hits one after its charge fails like any other post-charge failure.
 */
export interface EngineLimits {
  /** DuckDB `memory_limit` of each instance (data + query state), e.g. "2GB". */
  memoryLimit: string;
  /** DuckDB worker threads of each instance. */
  threads: number;
  /** Wall-clock limit of one query statement (loading a dataset is not included), in ms. */
  queryTimeoutMs: number;
}

export const ENGINE_DEFAULTS: Readonly<EngineLimits> = {
  memoryLimit: '2GB',
  threads: 2,
  queryTimeoutMs: 30_000
};

/** DuckDB's memory size syntax, restricted to what an administrator needs. */
export const MEMORY_LIMIT_PATTERN = /^[1-9]\d{0,5}(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/;

export function engineLimits(partial: Partial<EngineLimits> = {}): EngineLimits {
  return { ...ENGINE_DEFAULTS, ...partial };
}
