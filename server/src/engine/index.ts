/**
 * The execution engine: private datasets through the version-keyed cache (cache.ts); the same
 * compile/execute path runs dummy datasets (domain/queries.ts loads them from dummy rows).
 */
export * from './types';
export { DatasetCache, type DatasetRef, type CacheOptions } from './cache';
export { execute, compileFor } from './execute';
export { loadDataset, DATA_TABLE, type LoadedDataset, type RowSource } from './load';
export { ENGINE_DEFAULTS, engineLimits, type EngineLimits } from './limits';
export { EngineFailure, type FailureReason } from './failure';
