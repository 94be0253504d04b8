import type { DatasetMetadata } from 'lomas-kernel/protocol';
import { openSource } from '../datasets/connectors';
import { TrinoSettings, type ConnectorOptions } from '../datasets/connectors/types';
import type { ResolvedPlan } from '../query/types';
import { execute } from './execute';
import { engineLimits, type EngineLimits } from './limits';
import { loadDataset, type LoadedDataset } from './load';
import { executeTrino, type TrinoConnection } from './trino';
import type { ExactResult } from './types';

/** What the cache needs of a dataset registration (a subset of the store's DatasetRecord). */
export interface DatasetRef {
  name: string;
  version: number;
  connector: unknown;
  metadata: DatasetMetadata;
}

interface Entry {
  version: number;
  loading: Promise<LoadedDataset>;
  loaded?: LoadedDataset;
  /** Queries currently using the instance. */
  users: number;
  /** Replaced by a newer version: close once the last user is done. */
  retired: boolean;
}

export interface CacheOptions {
  connector?: ConnectorOptions;
  /** Resource limits of every instance this cache loads (defaults: ENGINE_DEFAULTS). */
  limits?: Partial<EngineLimits>;
  /** Where datasets with a `trino` connector run (LOMAS_TRINO_*). */
  trino?: TrinoConnection;
  /** Called after each load (for logs/metrics). */
  onLoad?: (name: string, version: number, d: LoadedDataset) => void;
}

/**
 * Loads each dataset version once. Concurrent requests for the same (name, version) share one
 * load; a request for a newer version starts a new load and retires the old instance, which is
 * closed when its last running query finishes. A failed load is not cached (the next request
 * retries). Callers pass the record they just read from the store; any version different from
 * the cached one (newer or older) triggers a fresh load.
 */
export class DatasetCache {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly opts: CacheOptions = {}) {}

  /** Runs `fn` with the loaded dataset, keeping it open for the duration. */
  async use<T>(ref: DatasetRef, fn: (d: LoadedDataset) => Promise<T>): Promise<T> {
    const entry = this.entryFor(ref);
    entry.users++;
    try {
      const d = await entry.loading;
      return await fn(d);
    } finally {
      entry.users--;
      this.maybeClose(entry);
    }
  }

  /**
   * Runs a checked plan on the dataset's engine: a `trino` connector's table where it lives (the
   * Trino dialect of the one compiler), every other dataset on its loaded DuckDB instance.
   */
  async execute(ref: DatasetRef, plan: ResolvedPlan): Promise<ExactResult> {
    const trino = TrinoSettings.safeParse(ref.connector);
    if (trino.success)
      return executeTrino(
        plan,
        { metadata: ref.metadata, connector: trino.data },
        this.opts.trino,
        engineLimits(this.opts.limits)
      );
    return this.use(ref, d => execute(plan, d));
  }

  /** Loads (or waits for) the dataset without running anything. */
  async load(ref: DatasetRef): Promise<LoadedDataset> {
    return this.use(ref, async d => d);
  }

  /** Is this exact version loaded (or loading)? */
  has(name: string, version: number): boolean {
    return this.entries.get(name)?.version === version;
  }

  /** Drops a dataset (e.g. deleted); its instance closes when idle. */
  invalidate(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.entries.delete(name);
    e.retired = true;
    this.maybeClose(e);
  }

  close(): void {
    for (const name of [...this.entries.keys()]) this.invalidate(name);
  }

  private entryFor(ref: DatasetRef): Entry {
    const cur = this.entries.get(ref.name);
    if (cur && cur.version === ref.version) return cur;
    if (cur) {
      cur.retired = true;
      this.maybeClose(cur);
    }
    const entry: Entry = {
      version: ref.version,
      users: 0,
      retired: false,
      loading: undefined as never
    };
    entry.loading = this.doLoad(ref).then(
      d => {
        entry.loaded = d;
        this.opts.onLoad?.(ref.name, ref.version, d);
        this.maybeClose(entry);
        return d;
      },
      err => {
        if (this.entries.get(ref.name) === entry) this.entries.delete(ref.name);
        throw err;
      }
    );
    this.entries.set(ref.name, entry);
    return entry;
  }

  private async doLoad(ref: DatasetRef): Promise<LoadedDataset> {
    const src = await openSource(ref.connector, this.opts.connector);
    try {
      return await loadDataset(src, ref.metadata, this.opts.limits);
    } finally {
      await src.release();
    }
  }

  private maybeClose(e: Entry): void {
    if (e.retired && e.users === 0 && e.loaded) {
      const d = e.loaded;
      e.loaded = undefined;
      d.close();
    }
  }
}
