/**
 * The SQL compiler: one SELECT statement → one QueryPlan (plus free post-processing). The text
 * goes through the lexical guard (lexer.ts), the keyword refusals (refusals.ts), the parser
 * (parser.ts), then this allowlist walk, which accepts only the forms it knows:
 *
 *   SELECT <keys and aggregates> FROM df | <dataset> [AS t]
 *   [WHERE <row condition>]              → a filter step
 *   [GROUP BY <columns or expressions>]  → group keys (expressions become derived columns)
 *   [HAVING …] [ORDER BY …] [LIMIT n]    → post-processing of the released table
 *
 * The plan then meets the protocol's own checks (parsePlan here; the server's checker with the
 * dataset's metadata); their errors are placed back on the SQL (locate.ts).
 */
import {
  PLAN_VERSION,
  aggregationName,
  type Aggregation,
  type DeriveColumn,
  type GroupBy,
  type QueryPlan,
  type Step
} from '../plan';
import type { SqlPostProcess } from '../result';
import { SQL_LIMITS, type SqlOptions, type SqlRequest } from '../sqlRequest';
import { readAggregate, type AggregateCall } from './aggregates';
import { AGGREGATE_NAMES, ExprTranslator, type ExprScope } from './expr';
import { lex, type Token } from './lexer';
import { parseSql, type AstNode } from './parser';
import {
  optionError,
  refuseKeywords,
  sqlFail,
  type SqlMessageArgs,
  type SqlMessageId
} from './refusals';
import { SqlSource, type Span } from './source';
import { columnName, functionName, SpanWalker } from './spans';

/** The result of compiling SQL: the plan, the post-processing, and where each part came from. */
export interface CompiledSql {
  plan: QueryPlan;
  post: SqlPostProcess;
  source: SqlSource;
  /** Plan path (`aggregations.0`, `steps.0.predicate.left`, …) → the SQL span it came from. */
  sourceMap: Map<string, Span>;
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v).every(isEmpty);
  return false;
}

/** Text of an AST expression with positions and spelling differences removed (for matching). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (k, x: unknown) => {
    if (k === 'loc' || k === 'parentheses' || k === 'table' || k === 'collate') return undefined;
    if (k === 'value' && typeof x === 'string' && /^[a-z_]+$/i.test(x) && x === x.toUpperCase())
      return x;
    if (k === 'name' && typeof x === 'string') return x.toUpperCase();
    return x;
  });
}

function containsAggregate(v: unknown): boolean {
  const stack = [v];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (isNode(x)) {
      if (x.type === 'aggr_func' || (x.type === 'function' && AGGREGATE_NAMES.has(functionName(x))))
        return true;
      if (x.type === 'select') return true;
      stack.push(...Object.values(x));
    }
  }
  return false;
}

/** Keys a SELECT statement node may carry (with a value); anything else is refused. */
const STATEMENT_KEYS = new Set([
  'type',
  'columns',
  'from',
  'where',
  'groupby',
  'having',
  'orderby',
  'limit',
  'loc'
]);

interface SelectItem {
  index: number;
  expr: AstNode;
  alias?: string;
  span?: Span;
  agg?: AggregateCall;
  /** Output name: the alias, a key's column, or the aggregation's default name. */
  out?: string;
}

interface Key {
  name: string;
  /** The expression to derive, or undefined for a plain column. */
  expr?: AstNode;
  span?: Span;
}

class Compiler {
  private readonly walker: SpanWalker;
  private readonly tr: ExprTranslator;
  private readonly sourceMap = new Map<string, Span>();
  private readonly identifiers: Set<string>;
  private table = '';
  private tableAlias: string | undefined;
  private generated = 0;

  constructor(
    private readonly src: SqlSource,
    tokens: readonly Token[],
    private readonly stmt: AstNode,
    private readonly req: SqlRequest
  ) {
    this.walker = new SpanWalker(tokens);
    this.tr = new ExprTranslator(
      src,
      this.walker.spans,
      this.walker.strings,
      req.params ?? [],
      this.sourceMap
    );
    this.identifiers = new Set(tokens.filter(t => t.kind === 'ident').map(t => t.text));
  }

  run(): CompiledSql {
    this.checkStatement();
    this.assignSpans();
    const dataset = this.dataset();
    const steps: Step[] = [];
    if (this.stmt.where) {
      const predicate = this.tr.expr(this.stmt.where, `steps.0.predicate`, this.rowScope('WHERE'));
      steps.push({ op: 'filter', predicate });
      this.mark('steps.0', this.stmt.where);
    }
    const items = this.selectItems();
    const keys = this.groupKeys(items);
    const derived: Record<string, DeriveColumn> = {};
    const deriveIndex = steps.length;
    const aggregations = this.aggregations(items, derived, deriveIndex);
    this.deriveKeys(keys, derived, deriveIndex);
    if (Object.keys(derived).length > 0) steps.push({ op: 'derive', columns: derived });
    const plan: QueryPlan = { version: PLAN_VERSION, dataset, steps, aggregations };
    const groupby = this.groupBy(keys);
    if (groupby) plan.groupby = groupby;
    this.applyOptions(plan, items);
    const post = this.post(items, keys);
    return { plan, post, source: this.src, sourceMap: this.sourceMap };
  }

  private mark(path: string, node: unknown): void {
    const s = this.tr.span(node);
    if (s) this.sourceMap.set(path, s);
  }

  private fail<K extends SqlMessageId>(
    span: Span | undefined,
    id: K,
    ...args: SqlMessageArgs<K>
  ): never {
    return sqlFail(this.src, span, id, ...args);
  }

  // --- statement shape ---------------------------------------------------------------------

  private checkStatement(): void {
    for (const [k, v] of Object.entries(this.stmt)) {
      if (STATEMENT_KEYS.has(k) || isEmpty(v)) continue;
      if (k === 'distinct') this.fail(undefined, 'distinct');
      if (k === 'with') this.fail(undefined, 'cte');
      if (k === '_next' || k === 'set_op') this.fail(undefined, 'setOperation');
      this.fail(undefined, 'unsupportedClause', k);
    }
  }

  /** Walks the statement in source order so every node gets its span. */
  private assignSpans(): void {
    const w = this.walker;
    w.keyword('SELECT');
    for (const c of (this.stmt.columns as AstNode[]) ?? []) {
      const s = w.node(c.expr);
      const alias = typeof c.as === 'string' ? w.alias(c.as) : undefined;
      const span = s && alias ? { start: s.start, end: alias.end } : (s ?? alias);
      if (span) w.spans.set(c, span);
    }
    const from = w.clause('FROM');
    if (from && Array.isArray(this.stmt.from) && isNode(this.stmt.from[0])) {
      const f = this.stmt.from[0];
      const name = typeof f.table === 'string' ? w.alias(f.table) : undefined;
      const alias = typeof f.as === 'string' ? w.alias(f.as) : undefined;
      w.spans.set(f, { start: (name ?? from).start, end: (alias ?? name ?? from).end });
    }
    if (this.stmt.where) {
      w.clause('WHERE');
      w.node(this.stmt.where);
    }
    const g = this.groupItems();
    if (g.length) {
      const kw = w.clause('GROUP', 'BY');
      const s = w.node(g);
      if (kw) w.spans.set(g, { start: kw.start, end: (s ?? kw).end });
    }
    if (this.stmt.having) {
      w.clause('HAVING');
      w.node(this.stmt.having);
    }
    if (Array.isArray(this.stmt.orderby)) {
      w.clause('ORDER', 'BY');
      for (const o of this.stmt.orderby as AstNode[]) w.node(o.expr);
    }
    const limit = this.limitNode();
    if (limit) {
      w.clause('LIMIT');
      w.node(limit);
    }
  }

  private groupItems(): AstNode[] {
    const g = this.stmt.groupby as unknown;
    if (Array.isArray(g)) return g as AstNode[];
    if (isNode(g) && Array.isArray(g.columns)) return g.columns as AstNode[];
    return [];
  }

  private limitNode(): AstNode | undefined {
    const l = this.stmt.limit as AstNode | undefined;
    const vs = isNode(l) && Array.isArray(l.value) ? (l.value as AstNode[]) : [];
    return vs[0];
  }

  // --- FROM --------------------------------------------------------------------------------

  private dataset(): string {
    const from = this.stmt.from as unknown;
    if (!Array.isArray(from) || from.length === 0) this.fail(undefined, 'noFrom');
    const f = from[0] as AstNode;
    if (from.length > 1) this.fail(this.tr.span(from[1]) ?? this.tr.span(f), 'joinInFrom');
    const span = this.tr.span(f);
    if (f.expr !== undefined && f.expr !== null) this.fail(span, 'subquery');
    for (const k of Object.keys(f))
      if (!['table', 'as', 'db', 'loc'].includes(k) && !isEmpty(f[k])) this.fail(span, 'fromForm');
    if (!isEmpty(f.db)) this.fail(span, 'qualifiedTable');
    const name = String(f.table);
    this.table = name;
    this.tableAlias = typeof f.as === 'string' ? f.as : undefined;
    this.sourceMap.set('dataset', span ?? { start: 0, end: 0 });
    const requested = this.req.dataset;
    if (requested !== undefined) {
      if (name.toLowerCase() !== 'df' && name !== requested)
        this.fail(span, 'datasetMismatch', name, requested);
      return requested;
    }
    if (name.toLowerCase() === 'df') this.fail(span, 'datasetMissing');
    return name;
  }

  /** Column references of row expressions (WHERE, GROUP BY, aggregate arguments). */
  private rowScope(clause: string): ExprScope {
    return {
      column: (n, name, span) => {
        this.checkQualifier(n, span);
        return { kind: 'col', name };
      },
      aggregate: (_n, span) => this.fail(span, 'aggregateInRowClause', clause)
    };
  }

  private checkQualifier(n: AstNode, span: Span | undefined): void {
    const t = n.table;
    if (t === null || t === undefined || t === '') return;
    if (t !== this.table && t !== this.tableAlias)
      this.fail(span, 'otherTable', String(t), this.tableAlias ?? this.table);
  }

  // --- SELECT ------------------------------------------------------------------------------

  private selectItems(): SelectItem[] {
    const cols = (this.stmt.columns as AstNode[]) ?? [];
    return cols.map((c, index) => {
      const expr = c.expr as AstNode;
      const span = this.tr.span(c) ?? this.tr.span(expr);
      if (!isNode(expr) || (expr.type === 'column_ref' && columnName(expr) === undefined))
        this.fail(span, 'selectStar');
      if (c.as !== null && c.as !== undefined && typeof c.as !== 'string') this.fail(span, 'alias');
      const item: SelectItem = { index, expr, alias: (c.as as string | null) ?? undefined, span };
      const top =
        expr.type === 'aggr_func' ||
        (expr.type === 'function' && AGGREGATE_NAMES.has(functionName(expr)));
      if (top) {
        item.agg = readAggregate(this.src, expr, this.tr.span(expr), canonical);
        if (containsAggregate(item.agg.arg)) this.fail(span, 'nestedAggregate');
      } else if (containsAggregate(expr)) {
        this.fail(span, 'aggregateExpression');
      }
      return item;
    });
  }

  // --- GROUP BY ----------------------------------------------------------------------------

  private freshName(prefix: string): string {
    for (;;) {
      const name = `${prefix}_${++this.generated}`;
      if (!this.identifiers.has(name)) return name;
    }
  }

  /** A key from a SELECT item: its alias (derived) or its plain column. */
  private keyOf(item: SelectItem, span: Span | undefined): Key {
    const col = item.expr.type === 'column_ref' ? columnName(item.expr) : undefined;
    if (col !== undefined) this.checkQualifier(item.expr, item.span);
    if (col !== undefined && (item.alias === undefined || item.alias === col)) item.out = col;
    else item.out = item.alias ?? this.freshName('group');
    return {
      name: item.out,
      expr: col !== undefined && item.out === col ? undefined : item.expr,
      span
    };
  }

  private groupKeys(items: SelectItem[]): Key[] {
    const keyItems = items.filter(i => !i.agg);
    const keys = this.groupItems().map((g): Key => {
      const span = this.tr.span(g);
      if (containsAggregate(g)) this.fail(span, 'aggregateInRowClause', 'GROUP BY');
      if (g.type === 'number') {
        const k = Number(g.value);
        const item = items[k - 1];
        if (!Number.isInteger(k) || !item || item.agg)
          this.fail(span, 'groupByPosition', String(g.value), items.length);
        return this.keyOf(item, span);
      }
      const name = g.type === 'column_ref' ? columnName(g) : undefined;
      if (name !== undefined) {
        this.checkQualifier(g, span);
        const byAlias = keyItems.find(s => s.alias === name);
        if (byAlias) return this.keyOf(byAlias, span);
        const byColumn = keyItems.find(
          s => s.expr.type === 'column_ref' && columnName(s.expr) === name
        );
        if (byColumn) return this.keyOf(byColumn, span);
        return { name, span };
      }
      const same = keyItems.find(s => canonical(s.expr) === canonical(g));
      if (same) return this.keyOf(same, span);
      return { name: this.freshName('group'), expr: g, span };
    });
    for (const item of keyItems)
      if (item.out === undefined)
        this.fail(
          item.span,
          'bareColumn',
          this.src.text.slice(item.span?.start ?? 0, item.span?.end ?? 0),
          keys.length > 0
        );
    return keys;
  }

  private deriveKeys(keys: Key[], derived: Record<string, DeriveColumn>, stepIndex: number): void {
    const scope = this.rowScope('GROUP BY');
    for (const k of keys) {
      if (!k.expr || derived[k.name]) continue;
      derived[k.name] = {
        expr: this.tr.expr(k.expr, `steps.${stepIndex}.columns.${k.name}.expr`, scope)
      };
      if (k.span) this.sourceMap.set(`steps.${stepIndex}.columns.${k.name}`, k.span);
    }
  }

  private groupBy(keys: Key[]): GroupBy | undefined {
    if (keys.length === 0) return undefined;
    keys.forEach((k, i) => k.span && this.sourceMap.set(`groupby.keys.${i}`, k.span));
    const whole = this.walker.spans.get(this.groupItems());
    if (whole) this.sourceMap.set('groupby', whole);
    return { keys: keys.map(k => k.name) };
  }

  // --- aggregations ------------------------------------------------------------------------

  private aggregations(
    items: SelectItem[],
    derived: Record<string, DeriveColumn>,
    stepIndex: number
  ): Aggregation[] {
    const scope = this.rowScope('an aggregate');
    const out: Aggregation[] = [];
    for (const item of items) {
      if (!item.agg) continue;
      const i = out.length;
      const { op, arg, q } = item.agg;
      const a: Aggregation = { op };
      if (arg !== undefined) {
        const col = isNode(arg) && arg.type === 'column_ref' ? columnName(arg) : undefined;
        if (col !== undefined) {
          this.checkQualifier(arg as AstNode, this.tr.span(arg));
          a.column = col;
        } else {
          const name = this.freshName('expr');
          derived[name] = {
            expr: this.tr.expr(arg, `steps.${stepIndex}.columns.${name}.expr`, scope)
          };
          this.mark(`steps.${stepIndex}.columns.${name}`, arg);
          a.column = name;
        }
        this.mark(`aggregations.${i}.column`, arg);
      }
      if (q !== undefined) {
        const e = this.tr.expr(q, `aggregations.${i}.q`, this.rowScope('a quantile'));
        if (e.kind !== 'lit' || typeof e.value !== 'number') this.tr.fail(q, 'quantileLiteral');
        a.q = e.value as number;
      }
      if (item.alias !== undefined) {
        a.as = item.alias;
        const s = this.walkerAlias(item);
        if (s) this.sourceMap.set(`aggregations.${i}.as`, s);
      }
      if (item.span) this.sourceMap.set(`aggregations.${i}`, this.tr.span(item.expr) ?? item.span);
      item.out = aggregationName(a);
      out.push(a);
    }
    if (out.length === 0)
      this.fail(this.tr.span((this.stmt.columns as AstNode[])[0]), 'needsAggregate');
    return out;
  }

  private walkerAlias(item: SelectItem): Span | undefined {
    const s = item.span;
    const e = this.tr.span(item.expr);
    return s && e && s.end > e.end
      ? { start: s.end - (item.alias?.length ?? 0), end: s.end }
      : undefined;
  }

  // --- options -----------------------------------------------------------------------------

  private applyOptions(plan: QueryPlan, items: SelectItem[]): void {
    const o: SqlOptions = this.req.options ?? {};
    const budget: NonNullable<QueryPlan['budget']> = {};
    if (o.epsilon !== undefined) budget.epsilon = o.epsilon;
    if (o.delta !== undefined) budget.delta = o.delta;
    if (o.rho !== undefined) budget.rho = o.rho;
    if (Object.keys(budget).length === 0)
      throw optionError('budgetMissing', plan.aggregations.length);
    plan.budget = budget;
    if (o.confidence !== undefined) plan.confidence = o.confidence;
    if (o.mechanism !== undefined) for (const a of plan.aggregations) a.mechanism = o.mechanism;
    this.applyBounds(plan, items, o.bounds ?? {});
    this.applyKeys(plan, o);
  }

  private applyBounds(
    plan: QueryPlan,
    items: SelectItem[],
    bounds: Record<string, [number, number]>
  ): void {
    const used = new Set<string>();
    const aggItems = items.filter(i => i.agg);
    plan.aggregations.forEach((a, i) => {
      const item = aggItems[i];
      const plain =
        isNode(item.agg!.arg) && (item.agg!.arg as AstNode).type === 'column_ref'
          ? a.column
          : undefined;
      const name = [item.alias, plain].find(
        n => n !== undefined && Object.prototype.hasOwnProperty.call(bounds, n)
      );
      if (name === undefined) return;
      used.add(name);
      if (a.op !== 'count') a.bounds = [...bounds[name]] as [number, number];
    });
    for (const name of Object.keys(bounds))
      if (!used.has(name)) throw optionError('boundsName', name);
  }

  private applyKeys(plan: QueryPlan, o: SqlOptions): void {
    const g = plan.groupby;
    if ((o.keys || o.discover) && !g)
      throw optionError('keysWithoutGroupBy', o.keys ? 'keys' : 'discover');
    if (!g) return;
    if (o.keys) {
      for (const k of Object.keys(o.keys))
        if (!g.keys.includes(k)) throw optionError('keysName', k, g.keys);
      g.values = Object.fromEntries(Object.entries(o.keys).map(([k, v]) => [k, [...v]]));
    }
    if (o.discover) g.discover = { delta: o.discover.delta };
  }

  // --- post-processing ---------------------------------------------------------------------

  private outputs(items: SelectItem[], keys: Key[]): string[] {
    const names = items.map(i => i.out!);
    for (const k of keys) if (!names.includes(k.name)) names.push(k.name);
    return names;
  }

  /** Released values: output names and the aggregates of the SELECT list. */
  private releasedScope(items: SelectItem[], keys: Key[], clause: string): ExprScope {
    const outputs = this.outputs(items, keys);
    return {
      column: (n, name, span) => {
        if (!outputs.includes(name)) this.fail(span, 'postColumn', name, clause, outputs);
        void n;
        return { kind: 'col', name };
      },
      aggregate: (n, span) => {
        const call = readAggregate(this.src, n, span, canonical);
        const item = items.find(i => i.agg?.key === call.key);
        if (!item)
          this.fail(
            span,
            'postAggregate',
            clause,
            this.src.text.slice(span?.start ?? 0, span?.end ?? 0)
          );
        return { kind: 'col', name: item.out! };
      }
    };
  }

  private post(items: SelectItem[], keys: Key[]): SqlPostProcess {
    const post: SqlPostProcess = { columns: items.map(i => i.out!) };
    if (this.stmt.having)
      post.having = this.tr.expr(
        this.stmt.having,
        'post.having',
        this.releasedScope(items, keys, 'HAVING')
      );
    if (Array.isArray(this.stmt.orderby)) {
      const scope = this.releasedScope(items, keys, 'ORDER BY');
      post.orderBy = (this.stmt.orderby as AstNode[]).map(o => {
        const e = o.expr as AstNode;
        let column: string | undefined;
        if (isNode(e) && e.type === 'number') column = items[Number(e.value) - 1]?.out;
        else {
          const x = this.tr.expr(e, 'post.orderBy', scope);
          if (x.kind === 'col') column = x.name;
        }
        if (column === undefined) this.fail(this.tr.span(e), 'orderByItem');
        return { column, descending: String(o.type).toUpperCase() === 'DESC' };
      });
    }
    const limit = this.limitNode();
    if (limit) post.limit = this.limit(limit);
    return post;
  }

  private limit(n: AstNode): number {
    const e = this.tr.expr(n, 'post.limit', this.rowScope('LIMIT'));
    const v = e.kind === 'lit' ? e.value : undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > SQL_LIMITS.limit)
      this.fail(this.tr.span(n), 'limit');
    return v;
  }
}

/** Compiles SQL text into a query plan and its post-processing. Throws located LomasErrors. */
export function compileToPlan(req: SqlRequest): CompiledSql {
  const src = new SqlSource(req.sql);
  if (req.sql.length > SQL_LIMITS.textLength) sqlFail(src, undefined, 'textSize', req.sql.length);
  const { tokens, cleaned } = lex(src);
  refuseKeywords(src, tokens);
  const ast = parseSql(src, cleaned, tokens);
  if (Array.isArray(ast) && ast.length !== 1) sqlFail(src, undefined, 'severalStatements');
  const stmt = (Array.isArray(ast) ? ast[0] : ast) as AstNode;
  if (!isNode(stmt) || stmt.type !== 'select') sqlFail(src, tokens[0], 'notSelectStatement');
  return new Compiler(src, tokens, stmt, req).run();
}
