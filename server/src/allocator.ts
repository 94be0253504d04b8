/**
 * DuckDB's allocator on Linux (jemalloc) reads its configuration once, when the DuckDB library
 * first allocates: this module sets it before anything loads DuckDB (main.ts imports it first).
 * Pages freed by DuckDB go back to the system within 100 ms instead of jemalloc's default of
 * seconds, so loading a dataset (its table built uncompressed, then kept compressed: flights-3m
 * 167 MB → 18 MB) does not leave the process holding the load's peak. An operator's own setting
 * of DUCKDB_JE_MALLOC_CONF wins.
 */
process.env.DUCKDB_JE_MALLOC_CONF ??= 'dirty_decay_ms:100,muzzy_decay_ms:100';

export {};
