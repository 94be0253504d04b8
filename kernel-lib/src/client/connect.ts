import type { BudgetStatus } from '../protocol';
import { budgetBundle, displayableBudget } from './budget';
import { resolveConfig, type ConnectOptions } from './config';
import { Dataset } from './dataset';
import { Display, INSPECT, markShown } from './display';
import { HttpClient } from './http';
import { Runner } from './runner';
import { sqlEntry, type SqlQuery, type SqlTag } from './sql';
import type { SqlOptions } from '../protocol/sqlRequest';

export interface DatasetInfo {
  name: string;
  description?: string;
  accounting: string;
}

/** A connection to a Lomas server as one analyst. */
export class Lomas {
  private readonly runner: Runner;
  constructor(private readonly http: HttpClient) {
    this.runner = new Runner(http);
  }

  get url(): string {
    return this.http.config.url;
  }

  [INSPECT](): string {
    return `Lomas(${this.url})`;
  }

  toJSON(): { url: string } {
    return { url: this.url };
  }

  /**
   * Whether estimates, dummy runs, runs and budgets draw themselves in the notebook (default true).
   * `lomas.display = false` before a loop of queries keeps the cell quiet; `show(r)` draws one
   * result, and `run({ display: false })` quiets a single run.
   */
  get display(): boolean {
    return this.http.config.display;
  }

  set display(on: boolean) {
    this.http.config.display = on;
  }

  async me(): Promise<{ user: string; role: string }> {
    return this.http.get('/v1/me');
  }

  /** Datasets I may query. */
  async datasets(): Promise<DatasetInfo[]> {
    return this.http.get('/v1/datasets');
  }

  dataset(name: string): Dataset {
    return new Dataset(name, this.http, this.runner);
  }

  /**
   * A query in SQL, the dataset named by FROM: `lomas.sql({ epsilon: 1 })\`SELECT species,
   * COUNT(*) AS n FROM penguins WHERE island = ${island} GROUP BY species\``. Interpolated values
   * are bound parameters. Returns the builder's query object (estimate, dummy, run).
   */
  sql(options: SqlOptions): SqlTag;
  sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery;
  sql(first: TemplateStringsArray | SqlOptions, ...values: unknown[]): SqlQuery | SqlTag {
    return sqlEntry(this.runner, undefined, first, values);
  }

  /** My budgets on every dataset. */
  async budgets(): Promise<BudgetStatus[]> {
    const all = (await this.http.get<BudgetStatus[]>('/v1/me/budgets')).map(displayableBudget);
    if (this.http.config.display) {
      for (const s of all) new Display().show(budgetBundle(s));
      markShown(all);
    }
    return all;
  }
}

/** Connects and checks the key: a wrong URL or key fails here, with advice, not at the first query. */
export async function connect(options: ConnectOptions = {}): Promise<Lomas> {
  const lomas = new Lomas(new HttpClient(resolveConfig(options)));
  await lomas.me();
  return lomas;
}
