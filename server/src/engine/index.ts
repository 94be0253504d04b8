import type { DatasetMetadata } from 'lomas-kernel/protocol';
import { dummyRows } from '../datasets/dummy';
import type { ResolvedPlan } from '../query/types';
import { DatasetCache, type CacheOptions, type DatasetRef } from './cache';
import { execute } from './execute';
import { loadDataset, type LoadedDataset } from './load';
import type { ExactResult } from './types';

export * from './types';
export { DatasetCache, type DatasetRef, type CacheOptions } from './cache';
export { execute, compileFor } from './execute';
export { loadDataset, DATA_TABLE, type LoadedDataset, type RowSource } from './load';
export { ENGINE_DEFAULTS, engineLimits, type EngineLimits } from './limits';
export { EngineFailure, type FailureReason } from './failure';

/**
 * The execution engine: private datasets through the version-keyed cache, dummy datasets through
 * a small cache of their own. Both run the SAME compile/execute path.
 */
export class Engine {
  readonly cache: DatasetCache;
  private readonly dummies = new Map<string, Promise<LoadedDataset>>();
  private static readonly MAX_DUMMIES = 8;

  constructor(private readonly opts: CacheOptions = {}) {
    this.cache = new DatasetCache(opts);
  }

  /** Exact statistics on the PRIVATE data (call only after the budget was reserved). */
  async execute(ref: DatasetRef, plan: ResolvedPlan): Promise<ExactResult> {
    return this.cache.use(ref, d => execute(plan, d));
  }

  /** Exact statistics on the dummy dataset (rows, seed) of this dataset version: free, no private data. */
  async executeDummy(
    ref: { name: string; version: number; metadata: DatasetMetadata },
    plan: ResolvedPlan,
    rows: number,
    seed: number
  ): Promise<ExactResult> {
    const id = JSON.stringify([ref.name, ref.version, rows, seed]);
    let p = this.dummies.get(id);
    if (!p) {
      p = loadDataset(
        { kind: 'rows', rows: dummyRows(ref.metadata, rows, seed) },
        ref.metadata,
        this.opts.limits
      );
      p.catch(() => this.dummies.delete(id));
      this.dummies.set(id, p);
      while (this.dummies.size > Engine.MAX_DUMMIES) {
        const [oldest, old] = this.dummies.entries().next().value as [
          string,
          Promise<LoadedDataset>
        ];
        this.dummies.delete(oldest);
        // Let running queries on the evicted instance finish before closing it.
        void old.then(
          d => setTimeout(() => d.close(), 30_000).unref(),
          () => undefined
        );
      }
    }
    return execute(plan, await p);
  }

  close(): void {
    this.cache.close();
    for (const p of this.dummies.values())
      void p.then(
        d => d.close(),
        () => undefined
      );
    this.dummies.clear();
  }
}
