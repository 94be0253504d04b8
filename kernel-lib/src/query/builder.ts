/**
 * The fluent, typed query builder. Every verb returns a new, immutable builder:
 *
 *   new QueryBuilder('penguins', runner, metadata)     // usually: dataset.query()
 *     .filter(d => d.island === 'Biscoe')              // QueryBuilder
 *     .groupby('species')                              // GroupedQuery: only aggregations follow
 *     .mean('body_mass_g', { epsilon: 0.5 })           // SendableQuery: estimate(), dummy(), run()
 *
 * Only a SendableQuery can be sent, so releasing without an aggregation is a type error.
 */
import { LomasError } from '../protocol/errors';
import type { EstimateResponse, ReleaseResponse } from '../protocol/result';
import {
  PLAN_VERSION,
  aggregationName,
  parsePlan,
  type Aggregation,
  type GroupBy,
  type QueryPlan,
  type Step
} from '../protocol/plan';
import { checkPlan } from '../protocol/rules';
import type { ExprInput, Params } from '../expr/parse';
import { agg, type AggregationRequest, type Aggregators } from './aggregate';
import { derive, type DeriveInput } from './derive';
import { filter } from './filter';
import { groupby } from './groupby';
import type {
  AggOptions,
  CountOptions,
  GroupByOptions,
  HistogramOptions,
  QueryOptions
} from './options';
import type { QueryRunner, RunOptions } from './runner';
import { select } from './select';
import { initialState, type QueryMetadata, type QueryState } from './state';

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** Runners are kept out of the objects, so printing a query never prints a client or its key. */
const runners = new WeakMap<object, QueryRunner<unknown, unknown>>();

function runnerOf<E, R>(q: object): QueryRunner<E, R> {
  const r = runners.get(q);
  if (!r) {
    throw new LomasError('UNAVAILABLE', {
      problem:
        'this query is not connected to a server; build it from a dataset: lomas.dataset("name").query()'
    });
  }
  return r as QueryRunner<E, R>;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** A list of aggregations for `.agg()`: built with `agg.*` (or given as plan objects). */
export type AggregationList = ReadonlyArray<AggregationRequest | Aggregation>;

/** A complete query: its plan, ready to be estimated (free), run on dummy data (free) or run (spends). */
export class SendableQuery<E = EstimateResponse, R = ReleaseResponse> {
  /** The plan sent to the server (validated, frozen JSON). */
  readonly plan: QueryPlan;

  constructor(plan: QueryPlan, runner?: QueryRunner<E, R>) {
    this.plan = deepFreeze(parsePlan(JSON.parse(JSON.stringify(plan))));
    if (runner) runners.set(this, runner as QueryRunner<unknown, unknown>);
  }

  /** What the query would cost and how accurate it would be. Free. */
  estimate(): Promise<E> {
    return runnerOf<E, R>(this).estimate(this.plan);
  }

  /** Runs the same plan on dummy data, to check the code. Free. */
  dummy(): Promise<R> {
    return runnerOf<E, R>(this).dummy(this.plan);
  }

  /** Runs the query on the private data. Spends budget. */
  run(opts?: RunOptions): Promise<R> {
    return runnerOf<E, R>(this).run(this.plan, opts);
  }

  toJSON(): QueryPlan {
    return this.plan;
  }

  toString(): string {
    const names = this.plan.aggregations.map(aggregationName).join(', ');
    const by = this.plan.groupby ? ` by ${this.plan.groupby.keys.join(', ')}` : '';
    return `SendableQuery(${this.plan.dataset}: ${names}${by}; ${this.plan.steps.length} step(s))`;
  }

  [inspect](): string {
    return `${this.toString()}\n${JSON.stringify(this.plan, null, 2)}`;
  }
}

/** Aggregations, shared by the ungrouped and the grouped builder. */
abstract class Aggregating<E, R> {
  protected readonly state: QueryState;
  protected readonly group: GroupBy | undefined;

  protected constructor(state: QueryState, group: GroupBy | undefined) {
    this.state = state;
    this.group = group;
  }

  /**
   * Makes the plan and checks it as the server will: the plan schema, then (with metadata) the
   * plan rules, with the server's codes and words.
   */
  private send(
    requests: AggregationList,
    opts: QueryOptions = {},
    single = false
  ): SendableQuery<E, R> {
    if (!Array.isArray(requests)) {
      throw new LomasError('INVALID_PARAMETER', {
        parameter: 'agg',
        rule: 'agg takes a list of aggregations',
        fix: 'Write .agg(a => [a.count(), a.mean("x", { bounds: [0, 10] })], { epsilon: 1 }).'
      });
    }
    const aggregations: Aggregation[] = [];
    let confidence = opts.confidence;
    for (const r of requests) {
      const isRequest = typeof r === 'object' && r !== null && 'aggregation' in r;
      const a = isRequest ? (r as AggregationRequest).aggregation : (r as Aggregation);
      const c = isRequest ? (r as AggregationRequest).confidence : undefined;
      if (c !== undefined) {
        if (!single && confidence !== undefined && confidence !== c) {
          throw new LomasError('INVALID_PARAMETER', {
            parameter: 'confidence',
            rule: 'all intervals of one query share one confidence level',
            fix: 'Give it once, in the query options: .agg([...], { epsilon: 1, confidence: 0.9 }).'
          });
        }
        confidence = c;
      }
      aggregations.push(a);
    }
    const plan: QueryPlan = {
      version: PLAN_VERSION,
      dataset: this.state.dataset,
      steps: [...this.state.steps],
      aggregations
    };
    if (this.group) plan.groupby = this.group;
    const budget: QueryPlan['budget'] = {};
    if (opts.epsilon !== undefined) budget.epsilon = opts.epsilon;
    if (opts.delta !== undefined) budget.delta = opts.delta;
    if (opts.rho !== undefined) budget.rho = opts.rho;
    if (Object.keys(budget).length > 0) plan.budget = budget;
    if (confidence !== undefined) plan.confidence = confidence;
    const checked = parsePlan(plan);
    if (this.state.check) checkPlan(checked, this.state.check.target);
    return new SendableQuery<E, R>(checked, runners.get(this) as QueryRunner<E, R> | undefined);
  }

  /** Number of rows (per group). */
  count(opts?: CountOptions): SendableQuery<E, R> {
    return this.send([agg.count(opts)], {}, true);
  }

  /** Sum of a column, clamped to its bounds. */
  sum(column: string, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.sum(column, opts)], {}, true);
  }

  mean(column: string, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.mean(column, opts)], {}, true);
  }

  variance(column: string, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.variance(column, opts)], {}, true);
  }

  stdev(column: string, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.stdev(column, opts)], {}, true);
  }

  /** The q-quantile (0 < q < 1) of a column within its bounds. */
  quantile(column: string, q: number, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.quantile(column, q, opts)], {}, true);
  }

  median(column: string, opts?: AggOptions): SendableQuery<E, R> {
    return this.send([agg.median(column, opts)], {}, true);
  }

  /** Counts per bin (numeric column, `bins` edges) or per category. */
  histogram(column: string, opts?: HistogramOptions): SendableQuery<E, R> {
    return this.send([agg.histogram(column, opts)], {}, true);
  }

  /**
   * Several aggregations in one query; the query's budget is split equally among those without
   * their own: `.agg(a => [a.count(), a.mean('x', { bounds: [0, 9] })], { epsilon: 1 })`.
   */
  agg(
    aggregations: AggregationList | ((a: Aggregators) => AggregationList),
    opts?: QueryOptions
  ): SendableQuery<E, R> {
    const list = typeof aggregations === 'function' ? aggregations(agg) : aggregations;
    return this.send(list, opts);
  }
}

/** A query after groupby: only aggregations can follow. */
export class GroupedQuery<E = EstimateResponse, R = ReleaseResponse> extends Aggregating<E, R> {
  /** Made by QueryBuilder.groupby(). */
  private constructor(state: QueryState, group: GroupBy) {
    super(state, group);
  }

  /** The group keys. */
  get keys(): readonly string[] {
    return (this.group as GroupBy).keys;
  }

  override toString(): string {
    return `GroupedQuery(${this.state.dataset} by ${this.keys.join(', ')}; add an aggregation to send it)`;
  }

  [inspect](): string {
    return this.toString();
  }
}

/** The ungrouped query builder: filter, select, derive, groupby, or aggregate directly. */
export class QueryBuilder<E = EstimateResponse, R = ReleaseResponse> extends Aggregating<E, R> {
  /**
   * @param dataset  the dataset's name
   * @param runner   sends plans to the server (the notebook client provides it)
   * @param metadata the dataset's public metadata (what dataset.metadata() returns, or its
   *                 `metadata` part); with it every verb runs the plan rules the server runs, so
   *                 unknown columns, type mismatches, missing bounds and private keys are reported
   *                 at the verb that made them, in the server's words
   */
  constructor(dataset: string, runner?: QueryRunner<E, R>, metadata?: QueryMetadata) {
    super(initialState(dataset, metadata), undefined);
    if (runner) runners.set(this, runner as QueryRunner<unknown, unknown>);
  }

  private next(state: QueryState): QueryBuilder<E, R> {
    const b = Object.create(QueryBuilder.prototype) as QueryBuilder<E, R>;
    Object.defineProperty(b, 'state', { value: state });
    Object.defineProperty(b, 'group', { value: undefined });
    const r = runners.get(this);
    if (r) runners.set(b, r);
    return b;
  }

  /** The dataset's name. */
  get dataset(): string {
    return this.state.dataset;
  }

  /** The steps so far (filter, select, derive). */
  get steps(): readonly Step[] {
    return this.state.steps;
  }

  /**
   * Keeps the rows where the predicate is true: `.filter(d => d.x > 3)`. The function is read, not
   * called; pass outer values as params: `.filter((d, $) => d.x > $.min, { min: 3 })`.
   */
  filter(predicate: ExprInput, params?: Params): QueryBuilder<E, R> {
    return this.next(filter(this.state, predicate, params));
  }

  /** Keeps only these columns: `.select('species', 'body_mass_g')`. */
  select(...columns: Array<string | readonly string[]>): QueryBuilder<E, R> {
    return this.next(select(this.state, columns));
  }

  /**
   * Adds row-wise columns: `.derive({ kg: { expr: d => d.body_mass_g / 1000, lower: 2, upper: 7 } })`.
   * Bounds (lower/upper) make a derived column usable in sum, mean, ...
   */
  derive(
    columns: Readonly<Record<string, DeriveInput>>,
    opts?: { params?: Params }
  ): QueryBuilder<E, R> {
    return this.next(derive(this.state, columns, opts));
  }

  /** Groups by public keys; the aggregation that follows is released per group. */
  groupby(keys: string | readonly string[], opts?: GroupByOptions): GroupedQuery<E, R> {
    const g = groupby(this.state, keys, opts);
    const q = Object.create(GroupedQuery.prototype) as GroupedQuery<E, R>;
    Object.defineProperty(q, 'state', { value: this.state });
    Object.defineProperty(q, 'group', { value: g });
    const r = runners.get(this);
    if (r) runners.set(q, r);
    return q;
  }

  override toString(): string {
    return `QueryBuilder(${this.state.dataset}; ${this.state.steps.length} step(s); add an aggregation to send it)`;
  }

  [inspect](): string {
    return this.toString();
  }
}
