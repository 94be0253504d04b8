import * as aq from 'arquero';
import type { AccountingMode, BudgetStatus, DatasetMetadata, EstimateResponse } from '../protocol';
import { QueryBuilder, type QueryMetadata } from '../query';
import { budgetBundle, displayableBudget } from './budget';
import { Display, INSPECT, markShown } from './display';
import type { HttpClient } from './http';
import { ModelBuilder, type ModelSpec } from './model';
import type { ModelKind } from '../protocol';
import type { QueryResult } from './result';
import type { Runner } from './runner';
import { sqlEntry, sqlQuery, type SqlCallOptions, type SqlQuery, type SqlTag } from './sql';
import type { SqlOptions } from '../protocol/sqlRequest';
import {
  archivedSynthetic,
  SyntheticRequestBuilder,
  type SyntheticOptions,
  type SyntheticResult
} from './synthetic';

type Table = ReturnType<typeof aq.table>;

export interface DummyRows {
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

/** A handle on one dataset: public metadata, budget, dummy data and the query builder. */
export class Dataset {
  /** What metadata() returned: columns, accounting mode and δ, for the builder's checks. */
  private known: QueryMetadata | undefined;
  constructor(
    readonly name: string,
    private readonly http: HttpClient,
    private readonly runner: Runner
  ) {}

  [INSPECT](): string {
    return `Dataset(${this.name})`;
  }

  toJSON(): { name: string } {
    return { name: this.name };
  }

  private path(suffix = ''): string {
    return `/v1/datasets/${encodeURIComponent(this.name)}${suffix}`;
  }

  /** Public metadata: columns, types, bounds, categories. Free. */
  async metadata(): Promise<{ name: string; metadata: DatasetMetadata } & Record<string, unknown>> {
    const m = await this.http.get<
      { name: string; metadata: DatasetMetadata } & Record<string, unknown>
    >(this.path());
    this.known = {
      metadata: m.metadata,
      accounting: m.accounting as AccountingMode | undefined,
      delta: typeof m.delta === 'string' ? m.delta : undefined
    };
    return m;
  }

  /**
   * A new query on this dataset. After `await dataset.metadata()` the builder also checks columns,
   * bounds and keys locally, before anything is sent; the server checks them in any case.
   */
  query(): QueryBuilder<EstimateResponse, QueryResult> {
    return new QueryBuilder<EstimateResponse, QueryResult>(this.name, this.runner, this.known);
  }

  /**
   * A query in SQL on this dataset (FROM df or FROM <name>), as the builder's query object:
   * `penguins.sql('SELECT species, AVG(body_mass_g) FROM df GROUP BY species', { epsilon: 1 })`,
   * or as a tag whose interpolated values are bound parameters:
   * `penguins.sql({ epsilon: 1 })\`SELECT COUNT(*) FROM df WHERE island = ${island}\``.
   * Options: epsilon/delta/rho (split equally), bounds per column or alias, keys, discover,
   * confidence, mechanism; params for $1, $2, … in a text.
   */
  sql(text: string, options?: SqlCallOptions): SqlQuery;
  sql(options: SqlOptions): SqlTag;
  sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery;
  sql(first: string | TemplateStringsArray | SqlOptions, ...rest: unknown[]): SqlQuery | SqlTag {
    if (typeof first === 'string') {
      const { params, ...options } = (rest[0] ?? {}) as SqlCallOptions;
      return sqlQuery(this.runner, { sql: first, dataset: this.name, params, options });
    }
    return sqlEntry(this.runner, this.name, first, rest);
  }

  /** A DP model on this dataset: estimate() and dummy() are free, run() spends (see model.ts). */
  model(kind: ModelKind, spec: ModelSpec): ModelBuilder {
    return new ModelBuilder(this.name, kind, spec, this.http);
  }

  /** Initial, spent and remaining budget on this dataset; shown as a bar in a notebook. */
  async budget(): Promise<BudgetStatus> {
    const status = displayableBudget(await this.http.get<BudgetStatus>(this.path('/budget')));
    if (this.http.config.display) {
      new Display().show(budgetBundle(status));
      markShown(status);
    }
    return status;
  }

  /** Fake rows that respect the metadata (types, bounds, categories): free, for debugging code. */
  async dummyTable(rows = 100, seed = 0): Promise<Table> {
    const d = await this.http.get<DummyRows>(this.path('/dummy'), { rows, seed });
    const cols: Record<string, unknown[]> = {};
    for (const c of d.columns) cols[c] = d.rows.map(r => r[c]);
    return aq.table(cols);
  }

  /** A DP synthetic table: `.estimate()` (free), `.dummy()` (free), `.run()` (spends budget). */
  synthetic(options: SyntheticOptions): SyntheticRequestBuilder {
    return new SyntheticRequestBuilder(this.name, this.http, options);
  }

  /** A synthetic table I paid for earlier, again from the archive: free (post-processing). */
  syntheticTable(queryId: string): Promise<SyntheticResult> {
    return archivedSynthetic(this.http, queryId);
  }

  /** My previous queries on this dataset. */
  async history(limit = 50): Promise<unknown[]> {
    return this.http.get('/v1/queries', { dataset: this.name, limit });
  }

  /** The runner used by query builders of this dataset. */
  get queries(): Runner {
    return this.runner;
  }
}
