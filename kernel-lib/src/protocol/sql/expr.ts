/**
 * SQL row expressions → the plan's expression language (the same whitelisted tree the builder
 * emits for arrow functions). Every SQL form maps to one plan form:
 *
 *   = <> != < <= > >=      → == != < <= > >=  (strict, null compares as null)
 *   AND OR NOT             → && || !
 *   x IN (a, b)            → x == a || x == b (balanced, as the builder's [a, b].includes(x))
 *   x BETWEEN a AND b      → x >= a && x <= b
 *   x IS [NOT] NULL        → isnull(x) / !isnull(x)
 *   x LIKE 'ab%' / '%ab' / '%ab%' / 'ab'  → startsWith / endsWith / includes / ==
 *   CASE WHEN c THEN a [ELSE b] END       → c ? a : b (no ELSE: null)
 *   + - * / %, unary -     → the same
 *   the SQL names of the whitelisted functions (SQL_FUNCTIONS)
 *
 * Anything else is refused with its own message and a caret. The translator records the span of
 * each plan node under its plan path (e.g. `steps.0.predicate.left`), so the plan's checker
 * errors can be shown under the SQL that produced them.
 */
import { EXPR_FUNCTIONS, type BinaryOp, type Expr, type ExprFunction, type Scalar } from '../plan';
import type { SqlParam } from '../sqlRequest';
import type { AstNode } from './parser';
import { sqlFail, type SqlMessageArgs, type SqlMessageId } from './refusals';
import { type Span, type SqlSource } from './source';
import { columnName, functionName, type SpanMap } from './spans';

/** SQL function names → the plan's whitelisted functions. */
export const SQL_FUNCTIONS: Readonly<Record<string, ExprFunction>> = {
  ABS: 'abs',
  ROUND: 'round',
  FLOOR: 'floor',
  CEIL: 'ceil',
  CEILING: 'ceil',
  LN: 'log',
  EXP: 'exp',
  SQRT: 'sqrt',
  LEAST: 'min',
  GREATEST: 'max',
  STARTS_WITH: 'startsWith',
  ENDS_WITH: 'endsWith',
  CONTAINS: 'includes',
  LOWER: 'lower',
  UPPER: 'upper',
  LENGTH: 'length',
  CHAR_LENGTH: 'length',
  YEAR: 'year',
  MONTH: 'month',
  DAY: 'day',
  HOUR: 'hour',
  DAYOFWEEK: 'weekday'
};

/** Aggregate function names: they never appear in a row expression. */
export const AGGREGATE_NAMES = new Set([
  'COUNT',
  'SUM',
  'AVG',
  'MEAN',
  'VAR',
  'VARIANCE',
  'VAR_SAMP',
  'VAR_POP',
  'STD',
  'STDDEV',
  'STDDEV_SAMP',
  'STDDEV_POP',
  'MEDIAN',
  'QUANTILE',
  'PERCENTILE_CONT',
  'PERCENTILE_DISC',
  'MIN',
  'MAX',
  'STRING_AGG',
  'ARRAY_AGG',
  'BOOL_AND',
  'BOOL_OR',
  'MODE',
  'APPROX_COUNT_DISTINCT'
]);

const COMPARISONS: Record<string, BinaryOp> = {
  '=': '==',
  '<>': '!=',
  '!=': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>='
};
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a translator reads names and aggregates: row columns (WHERE) or released values (HAVING). */
export interface ExprScope {
  /** A column reference → an expression (or a refusal). */
  column(n: AstNode, name: string, span: Span | undefined): Expr;
  /** An aggregate call → an expression (or a refusal). */
  aggregate(n: AstNode, span: Span | undefined): Expr;
}

export class ExprTranslator {
  constructor(
    private readonly src: SqlSource,
    private readonly spans: SpanMap,
    private readonly strings: WeakMap<object, string>,
    private readonly params: readonly SqlParam[],
    /** Plan path → span, filled as nodes are translated. */
    readonly sourceMap: Map<string, Span>
  ) {}

  span(n: unknown): Span | undefined {
    return isNode(n) ? this.spans.get(n) : undefined;
  }

  /** Raises the message `id` of the SQL message table, with a caret under the node `n`. */
  fail<K extends SqlMessageId>(n: unknown, id: K, ...args: SqlMessageArgs<K>): never {
    return sqlFail(this.src, this.span(n), id, ...args);
  }

  /** Translates `n` at plan path `path`. */
  expr(n: unknown, path: string, scope: ExprScope): Expr {
    const e = this.translate(n, path, scope);
    const s = this.span(n);
    if (s && !this.sourceMap.has(path)) this.sourceMap.set(path, s);
    return e;
  }

  private translate(n: unknown, path: string, scope: ExprScope): Expr {
    if (!isNode(n)) return this.fail(n, 'notExpression');
    switch (n.type) {
      case 'column_ref': {
        const name = columnName(n);
        if (name === undefined) return this.fail(n, 'starOutsideCount');
        return scope.column(n, name, this.span(n));
      }
      case 'number':
      case 'bigint':
        return { kind: 'lit', value: this.number(n) };
      case 'single_quote_string':
        return { kind: 'lit', value: this.text(n) };
      case 'bool':
        return { kind: 'lit', value: n.value === true };
      case 'null':
        return { kind: 'lit', value: null };
      case 'var':
        return this.param(n);
      case 'unary_expr':
        return this.unary(n, path, scope);
      case 'binary_expr':
        return this.binary(n, path, scope);
      case 'function':
        return this.call(n, path, scope);
      case 'aggr_func':
        return scope.aggregate(n, this.span(n));
      case 'case':
        return this.caseExpr(n, path, scope);
      case 'cast':
        return this.fail(n, 'cast');
      case 'extract':
        return this.fail(n, 'extract');
      case 'interval':
        return this.fail(n, 'interval');
      default:
        return this.fail(n, 'construct', n.type);
    }
  }

  /** A string literal's text, as the guard decoded it ('' → '). */
  private text(n: AstNode): string {
    const v = this.strings.get(n);
    if (v === undefined) return this.fail(n, 'ambiguousString');
    return v;
  }

  private number(n: AstNode): number {
    const text = String(n.value);
    const value = Number(text);
    if (!Number.isFinite(value)) this.fail(n, 'numberRange', text);
    if (/^-?\d+$/.test(text) && !Number.isSafeInteger(value)) this.fail(n, 'unsafeInteger', text);
    return value;
  }

  private param(n: AstNode): Expr {
    const index = Number(n.name);
    if (n.prefix !== '$' || !Number.isInteger(index) || index < 1)
      return this.fail(n, 'parameterForm');
    if (index > this.params.length)
      return this.fail(n, 'missingParameter', index, this.params.length);
    const v = this.params[index - 1];
    if (Array.isArray(v)) return this.fail(n, 'listParameter', index);
    return { kind: 'lit', value: v };
  }

  private unary(n: AstNode, path: string, scope: ExprScope): Expr {
    const op = String(n.operator).toUpperCase();
    if (op === 'NOT')
      return { kind: 'unary', op: '!', arg: this.expr(n.expr, `${path}.arg`, scope) };
    if (op === '-') return { kind: 'unary', op: '-', arg: this.expr(n.expr, `${path}.arg`, scope) };
    if (op === '+') return this.expr(n.expr, path, scope);
    return this.fail(n, 'operator', op);
  }

  private binary(n: AstNode, path: string, scope: ExprScope): Expr {
    const op = String(n.operator).toUpperCase();
    const side = (x: unknown, p: string) => this.expr(x, `${path}.${p}`, scope);
    if (op === 'AND' || op === 'OR')
      return {
        kind: 'logical',
        op: op === 'AND' ? '&&' : '||',
        left: side(n.left, 'left'),
        right: side(n.right, 'right')
      };
    if (COMPARISONS[op])
      return {
        kind: 'binary',
        op: COMPARISONS[op],
        left: side(n.left, 'left'),
        right: side(n.right, 'right')
      };
    if (ARITHMETIC.has(op))
      return {
        kind: 'binary',
        op: op as BinaryOp,
        left: side(n.left, 'left'),
        right: side(n.right, 'right')
      };
    if (op === 'IS' || op === 'IS NOT') return this.isNull(n, op === 'IS NOT', path, scope);
    if (op === 'IN' || op === 'NOT IN')
      return this.negate(op === 'NOT IN', path, p => this.inList(n, p, scope));
    if (op === 'BETWEEN' || op === 'NOT BETWEEN')
      return this.negate(op === 'NOT BETWEEN', path, p => this.between(n, p, scope));
    if (op === 'LIKE' || op === 'NOT LIKE')
      return this.negate(op === 'NOT LIKE', path, p => this.like(n, p, scope));
    if (op === 'ILIKE' || op === 'NOT ILIKE') return this.fail(n, 'ilike');
    if (op === '||') return this.fail(n, 'concatenation');
    return this.fail(n, 'operator', op);
  }

  private negate(not: boolean, path: string, inner: (p: string) => Expr): Expr {
    return not ? { kind: 'unary', op: '!', arg: inner(`${path}.arg`) } : inner(path);
  }

  private isNull(n: AstNode, not: boolean, path: string, scope: ExprScope): Expr {
    const right = n.right as AstNode | undefined;
    if (!isNode(right) || right.type !== 'null') return this.fail(n, 'isNotNull');
    return this.negate(not, path, p => ({
      kind: 'isnull',
      arg: this.expr(n.left, `${p}.arg`, scope)
    }));
  }

  private inList(n: AstNode, path: string, scope: ExprScope): Expr {
    const right = n.right as AstNode;
    if (!isNode(right) || right.type !== 'expr_list' || !Array.isArray(right.value))
      return this.fail(n, 'inSubquery');
    const items: Array<{ node: unknown; value?: Scalar }> = [];
    for (const v of right.value as unknown[]) {
      const p = isNode(v) && v.type === 'var' ? this.params[Number(v.name) - 1] : undefined;
      if (Array.isArray(p)) {
        if ((right.value as unknown[]).length !== 1) this.fail(v, 'listParameterPart');
        p.forEach(value => items.push({ node: v, value }));
      } else items.push({ node: v });
    }
    if (items.length === 0) return { kind: 'lit', value: false };
    // The needle is translated once and shared, like the builder's [a, b].includes(d.x).
    const needle = this.expr(n.left, `${path}.needle`, scope);
    const parts = items.map((it, i): Expr => ({
      kind: 'binary',
      op: '==',
      left: needle,
      right:
        'value' in it
          ? { kind: 'lit', value: it.value! }
          : this.expr(it.node, `${path}.item${i}`, scope)
    }));
    return balancedOr(parts);
  }

  private between(n: AstNode, path: string, scope: ExprScope): Expr {
    const right = n.right as AstNode;
    const [lo, hi] = (isNode(right) && Array.isArray(right.value) ? right.value : []) as unknown[];
    const x = this.expr(n.left, `${path}.left.left`, scope);
    return {
      kind: 'logical',
      op: '&&',
      left: {
        kind: 'binary',
        op: '>=',
        left: x,
        right: this.expr(lo, `${path}.left.right`, scope)
      },
      right: {
        kind: 'binary',
        op: '<=',
        left: x,
        right: this.expr(hi, `${path}.right.right`, scope)
      }
    };
  }

  private like(n: AstNode, path: string, scope: ExprScope): Expr {
    const right = n.right as AstNode;
    const pattern =
      isNode(right) && right.type === 'single_quote_string' ? this.text(right) : undefined;
    if (pattern === undefined) return this.fail(right, 'likePattern');
    const body = pattern.replace(/^%/, '').replace(/%$/, '');
    if (/[%_]/.test(body) || body.length === 0) return this.fail(right, 'likeWildcards', pattern);
    const x = this.expr(n.left, `${path}.args.0`, scope);
    const lit: Expr = { kind: 'lit', value: body };
    const starts = pattern.startsWith('%');
    const ends = pattern.endsWith('%') && pattern.length > 1;
    if (!starts && !ends) return { kind: 'binary', op: '==', left: x, right: lit };
    const fn: ExprFunction = starts && ends ? 'includes' : ends ? 'startsWith' : 'endsWith';
    return { kind: 'call', fn, args: [x, lit] };
  }

  private call(n: AstNode, path: string, scope: ExprScope): Expr {
    const name = functionName(n);
    if (name === 'NOT') {
      const args = (n.args as AstNode | undefined)?.value as unknown[] | undefined;
      return { kind: 'unary', op: '!', arg: this.expr(args?.[0], `${path}.arg`, scope) };
    }
    if (AGGREGATE_NAMES.has(name)) return scope.aggregate(n, this.span(n));
    if (n.over) return this.fail(n, 'windowExpression');
    const fn = SQL_FUNCTIONS[name];
    if (!fn) {
      if (name === 'LOG') return this.fail(n, 'log');
      return this.fail(n, 'unknownFunction', name, Object.keys(SQL_FUNCTIONS));
    }
    const args = ((n.args as AstNode | undefined)?.value ?? []) as unknown[];
    const [min, max] = EXPR_FUNCTIONS[fn];
    if (args.length < min || args.length > max)
      return this.fail(n, 'arity', name, min, max, args.length);
    return { kind: 'call', fn, args: args.map((a, i) => this.expr(a, `${path}.args.${i}`, scope)) };
  }

  private caseExpr(n: AstNode, path: string, scope: ExprScope): Expr {
    const branches = (Array.isArray(n.args) ? n.args : []) as AstNode[];
    const whens = branches.filter(b => b.type === 'when');
    const other = branches.find(b => b.type === 'else');
    let p = path;
    const root: { e?: Expr } = {};
    let hole: (e: Expr) => void = e => (root.e = e);
    for (const w of whens) {
      const test =
        n.expr !== undefined && n.expr !== null
          ? ({
              kind: 'binary',
              op: '==',
              left: this.expr(n.expr, `${p}.test.left`, scope),
              right: this.expr(w.cond, `${p}.test.right`, scope)
            } as Expr)
          : this.expr(w.cond, `${p}.test`, scope);
      const node: { kind: 'cond'; test: Expr; then: Expr; else: Expr } = {
        kind: 'cond',
        test,
        then: this.expr(w.result, `${p}.then`, scope),
        else: { kind: 'lit', value: null }
      };
      const s = this.span(w);
      if (s) this.sourceMap.set(p, s);
      hole(node);
      hole = e => (node.else = e);
      p = `${p}.else`;
    }
    if (other) hole(this.expr(other.result, p, scope));
    return root.e ?? this.fail(n, 'caseWithoutWhen');
  }
}

/** Disjunction as a balanced tree (depth log n), exactly as the builder builds it. */
export function balancedOr(parts: Expr[]): Expr {
  if (parts.length === 1) return parts[0];
  const mid = Math.ceil(parts.length / 2);
  return {
    kind: 'logical',
    op: '||',
    left: balancedOr(parts.slice(0, mid)),
    right: balancedOr(parts.slice(mid))
  };
}
