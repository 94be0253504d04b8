import {
  LomasError,
  aggregationName,
  type Aggregation,
  type DatasetMetadata,
  type DeriveColumn,
  type Expr,
  type QueryPlan,
  type Scalar
} from 'lomas-kernel/protocol';
import { arithDomain, bounded, hasBounds, intersect, negDomain, unionDomains } from './domain';
import { FUNCTIONS } from './functions';
import { gridFor, quantileCandidates } from './grid';
import {
  LIMITS,
  type ColumnInfo,
  type Domain,
  type KeyValue,
  type RAggregation,
  type RExpr,
  type RGroupBy,
  type RStep,
  type ResolvedPlan,
  type ValueType
} from './types';

/**
 * Checks a (schema-valid) plan against the dataset's PUBLIC metadata and resolves it:
 * every column reference exists (UNKNOWN_COLUMN lists the known ones), every operator gets
 * operands of the right type (TYPE_MISMATCH), every expression gets a type and a public domain
 * (bounds by interval arithmetic, categories), group keys are public or discovered with δ,
 * bounded aggregations have bounds (PRIVACY_RULE "bounded-contribution").
 *
 * Bounds of an aggregation = the plan's explicit bounds INTERSECTED with the column's public
 * bounds (metadata, a derived column's declared bounds, or bounds inferred from the expression).
 * Both are public, so using either leaks nothing; intersecting means explicit bounds can only
 * narrow the clamping range (less noise), never widen it beyond what the metadata declares.
 *
 * Nothing here reads private data; every decision is a function of (plan, metadata).
 */
export function validatePlan(plan: QueryPlan, metadata: DatasetMetadata): ResolvedPlan {
  const v = new Validator(plan, metadata);
  return v.run();
}

type Scope = Map<string, ColumnInfo>;

function metaDomain(c: DatasetMetadata['columns'][string]): Domain {
  switch (c.type) {
    case 'int':
    case 'float':
      return bounded(c.lower, c.upper, c.nullable, c.type === 'int');
    case 'string':
      return c.categories
        ? { categories: [...new Set(c.categories)], nullable: c.nullable }
        : { nullable: c.nullable };
    case 'boolean':
      return { nullable: c.nullable };
    case 'datetime': {
      const lo = c.lower !== undefined ? Date.parse(c.lower) : undefined;
      const hi = c.upper !== undefined ? Date.parse(c.upper) : undefined;
      return bounded(lo, hi, c.nullable);
    }
  }
}

const isNum = (t: ValueType) => t === 'int' || t === 'float';

function mismatch(column: string, actual: string, expected: string, fix?: string): LomasError {
  return new LomasError('TYPE_MISMATCH', { column, actual, expected, fix });
}

function invalid(problem: string, fix?: string): LomasError {
  return new LomasError('INVALID_PLAN', { problem, fix });
}

/** A short human rendering of an expression for messages. */
function show(e: Expr): string {
  switch (e.kind) {
    case 'col':
      return e.name;
    case 'lit':
      return JSON.stringify(e.value);
    case 'unary':
      return `${e.op}${show(e.arg)}`;
    case 'binary':
    case 'logical':
      return `(${show(e.left)} ${e.op} ${show(e.right)})`;
    case 'cond':
      return `(${show(e.test)} ? ${show(e.then)} : ${show(e.else)})`;
    case 'isnull':
      return `isnull(${show(e.arg)})`;
    case 'call':
      return `${e.fn}(${e.args.map(show).join(', ')})`;
  }
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

class Validator {
  constructor(
    private readonly plan: QueryPlan,
    private readonly meta: DatasetMetadata
  ) {}

  run(): ResolvedPlan {
    const plan = this.plan;
    if (plan.steps.length > LIMITS.maxSteps) throw invalid(`more than ${LIMITS.maxSteps} steps`);
    let scope: Scope = new Map();
    for (const [name, c] of Object.entries(this.meta.columns))
      scope.set(name, { name, type: c.type, dom: metaDomain(c) });

    const steps: RStep[] = [];
    for (const s of plan.steps) {
      if (s.op === 'filter') {
        const p = this.expr(s.predicate, scope);
        if (p.type !== 'boolean')
          throw mismatch(
            clip(show(s.predicate)),
            p.type,
            'a boolean (a filter keeps rows where it is true)'
          );
        steps.push({ kind: 'filter', predicate: p });
      } else if (s.op === 'select') {
        const next: Scope = new Map();
        for (const c of s.columns) next.set(c, this.column(c, scope));
        scope = next;
        steps.push({ kind: 'select', columns: [...s.columns] });
      } else {
        const next: Scope = new Map(scope);
        const columns: { name: string; expr: RExpr }[] = [];
        for (const [name, d] of Object.entries(s.columns)) {
          const e = this.derived(name, d, scope);
          next.set(name, { name, type: e.type, dom: e.dom });
          columns.push({ name, expr: e });
        }
        scope = next;
        steps.push({ kind: 'derive', columns });
      }
    }

    const groupBy = this.groupBy(scope);
    if (plan.aggregations.length > LIMITS.maxAggregations)
      throw invalid(`more than ${LIMITS.maxAggregations} aggregations`);
    const aggregations = plan.aggregations.map((a, i) => this.aggregation(a, i, scope));
    const groupCount =
      groupBy?.mode === 'public'
        ? groupBy.values.reduce((n, v) => n * v.length, 1)
        : groupBy
          ? null
          : 1;
    return {
      dataset: plan.dataset,
      steps,
      groupBy,
      aggregations,
      columns: [...scope.values()],
      groupCount
    };
  }

  private column(name: string, scope: Scope): ColumnInfo {
    const c = scope.get(name);
    if (!c)
      throw new LomasError('UNKNOWN_COLUMN', {
        column: name,
        dataset: this.plan.dataset,
        known: [...scope.keys()].join(', ')
      });
    return c;
  }

  /** A derive column: its expression, then its declared type/bounds/categories (enforced). */
  private derived(name: string, d: DeriveColumn, scope: Scope): RExpr {
    let e = this.expr(d.expr, scope);
    if (d.type && d.type !== e.type) {
      if ((isNum(d.type) && isNum(e.type)) || d.type === 'string') e = castNode(e, d.type);
      else
        throw mismatch(name, e.type, d.type, `Declare type "${e.type}" or change the expression.`);
    }
    if (d.lower !== undefined || d.upper !== undefined) {
      if (!isNum(e.type))
        throw mismatch(name, e.type, 'a number (lower/upper only apply to numbers)');
      // Declared bounds are public claims; they are enforced by clamping, so they are true.
      const lo = d.lower ?? e.dom.lower;
      const hi = d.upper ?? e.dom.upper;
      e = clampNode(e, lo, hi);
    }
    if (d.categories !== undefined) {
      if (e.type !== 'string')
        throw mismatch(name, e.type, 'a string (categories only apply to strings)');
      e = categoriesNode(e, d.categories);
    }
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Expressions
  // ---------------------------------------------------------------------------------------------

  private expr(e: Expr, scope: Scope, depth = 0): RExpr {
    if (depth > LIMITS.maxExprDepth)
      throw new LomasError('UNSUPPORTED_EXPRESSION', {
        problem: `it is nested deeper than ${LIMITS.maxExprDepth} levels`,
        fix: 'Split it into several steps.'
      });
    const sub = (x: Expr) => this.expr(x, scope, depth + 1);
    switch (e.kind) {
      case 'col': {
        const c = this.column(e.name, scope);
        return { k: 'col', name: e.name, type: c.type, dom: c.dom };
      }
      case 'lit':
        return litNode(e.value);
      case 'unary': {
        const a = sub(e.arg);
        if (e.op === '-') {
          if (!isNum(a.type)) throw mismatch(clip(show(e.arg)), a.type, 'a number for unary -');
          return { k: 'neg', arg: a, type: a.type, dom: negDomain(a.dom, a.type === 'int') };
        }
        if (a.type !== 'boolean') throw mismatch(clip(show(e.arg)), a.type, 'a boolean for !');
        return { k: 'not', arg: a, type: 'boolean', dom: { nullable: a.dom.nullable } };
      }
      case 'binary': {
        let l = sub(e.left);
        let r = sub(e.right);
        [l, r] = coerceNulls(l, r);
        const op = e.op;
        if (op === '+' || op === '-' || op === '*' || op === '/' || op === '%') {
          if (!isNum(l.type) || !isNum(r.type)) {
            const bad = !isNum(l.type) ? e.left : e.right;
            throw mismatch(
              clip(show(bad)),
              !isNum(l.type) ? l.type : r.type,
              `a number for ${op}`,
              op === '+' ? 'String concatenation is not supported in queries.' : undefined
            );
          }
          const type: ValueType =
            op === '/' ? 'float' : l.type === 'int' && r.type === 'int' ? 'int' : 'float';
          return {
            k: 'arith',
            op,
            left: l,
            right: r,
            type,
            dom: arithDomain(op, l.dom, r.dom, type)
          };
        }
        // Comparisons: datetime columns compare with ISO date strings.
        [l, r] = coerceDatetime(l, r, show(e));
        const ok =
          (isNum(l.type) && isNum(r.type)) ||
          (l.type === r.type &&
            (l.type === 'string' || l.type === 'boolean' || l.type === 'datetime'));
        if (!ok)
          throw mismatch(clip(show(e)), `${l.type} ${op} ${r.type}`, 'operands of the same type');
        if ((op === '<' || op === '<=' || op === '>' || op === '>=') && l.type === 'boolean')
          throw mismatch(clip(show(e)), 'boolean', `an ordered type for ${op}`);
        return {
          k: 'cmp',
          op,
          left: l,
          right: r,
          type: 'boolean',
          dom: { nullable: l.dom.nullable || r.dom.nullable }
        };
      }
      case 'logical': {
        const l = sub(e.left);
        const r = sub(e.right);
        for (const [x, src] of [
          [l, e.left],
          [r, e.right]
        ] as const)
          if (x.type !== 'boolean')
            throw mismatch(clip(show(src)), x.type, `a boolean for ${e.op}`);
        return {
          k: 'logic',
          op: e.op === '&&' ? 'and' : 'or',
          args: [l, r],
          type: 'boolean',
          dom: { nullable: l.dom.nullable || r.dom.nullable }
        };
      }
      case 'cond': {
        const t = sub(e.test);
        if (t.type !== 'boolean') throw mismatch(clip(show(e.test)), t.type, 'a boolean condition');
        let a = sub(e.then);
        let b = sub(e.else);
        [a, b] = coerceNulls(a, b);
        let type: ValueType;
        if (a.type === b.type) type = a.type;
        else if (isNum(a.type) && isNum(b.type)) type = 'float';
        else throw mismatch(clip(show(e)), `${a.type} and ${b.type}`, 'branches of the same type');
        const dom = unionDomains(a.dom, b.dom);
        // A NULL test takes the else branch (SQL CASE), as JS treats null as falsy.
        return { k: 'cond', test: t, then: a, else: b, type, dom };
      }
      case 'isnull': {
        const a = sub(e.arg);
        return { k: 'isnull', arg: a, negate: false, type: 'boolean', dom: { nullable: false } };
      }
      case 'call': {
        const args = e.args.map(sub);
        const spec = FUNCTIONS[e.fn];
        if (!spec)
          throw new LomasError('UNSUPPORTED_EXPRESSION', {
            problem: `unknown function ${String(e.fn)}`
          });
        const fixed = args;
        const type = spec.check(fixed);
        if (!type.match(/^(int|float|string|boolean|datetime)$/))
          throw mismatch(clip(show(e)), fixed.map(a => a.type).join(', '), `${type} for ${e.fn}()`);
        const t = type as ValueType;
        return { k: 'call', fn: e.fn, args: fixed, type: t, dom: spec.domain(fixed, t) };
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Group-by
  // ---------------------------------------------------------------------------------------------

  private groupBy(scope: Scope): RGroupBy | null {
    const g = this.plan.groupby;
    if (!g) return null;
    const keys = g.keys.map(k => {
      const c = this.column(k, scope);
      if (c.type === 'float')
        throw mismatch(
          k,
          'float',
          'an int, string or boolean group key',
          `Derive a binned key, e.g. floor(${k} / 10).`
        );
      if (c.type === 'datetime')
        throw mismatch(
          k,
          'datetime',
          'an int, string or boolean group key',
          `Derive a key with year(${k}), month(${k}) or weekday(${k}).`
        );
      return c;
    });
    if (g.discover)
      return {
        mode: 'discover',
        keys: keys.map(c => ({ name: c.name, type: c.type })),
        delta: g.discover.delta
      };

    const values: KeyValue[][] = keys.map(c => {
      const explicit = g.values?.[c.name];
      if (explicit) return explicit.map(v => this.keyValue(c, v));
      const vs = publicKeys(c);
      if (!vs)
        throw new LomasError('PRIVACY_RULE', {
          rule: 'public-group-keys',
          why: `The values of "${c.name}" are not public (no categories or small integer range in the metadata), and releasing which values occur would reveal that someone with that value is in the data, even with noisy counts.`,
          fix: `List the keys you want, e.g. groupby("${c.name}", { values: [...] }), or discover them privately with groupby("${c.name}", { discover: { delta: 1e-6 } }).`
        });
      return vs;
    });
    const groups = values.reduce((n, v) => n * v.length, 1);
    if (groups > LIMITS.maxGroups)
      throw invalid(
        `the group-by makes ${groups} groups, above the limit of ${LIMITS.maxGroups}`,
        'Group by fewer keys or list fewer values.'
      );
    return { mode: 'public', keys: keys.map(c => ({ name: c.name, type: c.type })), values };
  }

  private keyValue(c: ColumnInfo, v: Scalar): KeyValue {
    if (v === null) return null;
    const ok =
      (c.type === 'string' && typeof v === 'string') ||
      (c.type === 'boolean' && typeof v === 'boolean') ||
      (c.type === 'int' && typeof v === 'number' && Number.isSafeInteger(v));
    if (!ok)
      throw mismatch(
        c.name,
        c.type,
        `key values of type ${c.type}`,
        `The value ${JSON.stringify(v)} does not fit.`
      );
    return v;
  }

  // ---------------------------------------------------------------------------------------------
  // Aggregations
  // ---------------------------------------------------------------------------------------------

  private aggregation(a: Aggregation, index: number, scope: Scope): RAggregation {
    const name = aggregationName(a);
    const base = { index, name, budget: a.budget, accuracy: a.accuracy };
    if (a.op === 'count') {
      if (a.column !== undefined) this.column(a.column, scope);
      return { ...base, op: 'count', column: a.column };
    }
    const c = this.column(a.column!, scope);
    if (a.op === 'histogram') {
      if (a.bins) {
        if (!isNum(c.type))
          throw mismatch(
            c.name,
            c.type,
            'a number for a histogram with bins',
            'Omit bins for categorical columns.'
          );
        if (a.bins.length - 1 > LIMITS.maxHistogramBins)
          throw invalid(`more than ${LIMITS.maxHistogramBins} bins`);
        return { ...base, op: 'histogram', column: c.name, type: c.type, edges: [...a.bins] };
      }
      if (c.type === 'boolean')
        return {
          ...base,
          op: 'histogram',
          column: c.name,
          type: c.type,
          categories: [false, true]
        };
      if (c.type === 'string') {
        if (!c.dom.categories)
          throw new LomasError('PRIVACY_RULE', {
            rule: 'public-categories',
            why: `"${c.name}" has no public list of categories, and a histogram would reveal which values occur in the data.`,
            fix: `Derive a column with declared categories, e.g. derive({ k: { expr: ..., categories: ["a", "b"] } }), or group by it with private key discovery.`
          });
        return {
          ...base,
          op: 'histogram',
          column: c.name,
          type: c.type,
          categories: [...c.dom.categories]
        };
      }
      throw invalid(
        `a histogram of the numeric column "${c.name}" needs bin edges`,
        `Give { bins: [${hasBounds(c.dom) ? `${c.dom.lower}, …, ${c.dom.upper}` : '0, 10, 20, 30'}] }.`
      );
    }
    if (!isNum(c.type)) throw mismatch(c.name, c.type, `a number for ${a.op}`);
    const bounds = this.bounds(a, c);
    if (a.op === 'quantile' || a.op === 'median') {
      const q = a.op === 'median' ? [0.5] : [a.q!];
      return {
        ...base,
        op: a.op,
        column: c.name,
        type: c.type,
        bounds,
        q,
        candidates: quantileCandidates(bounds, c.type)
      };
    }
    return {
      ...base,
      op: a.op,
      column: c.name,
      type: c.type,
      bounds,
      grid: gridFor(bounds, c.type)
    };
  }

  private bounds(a: Aggregation, c: ColumnInfo): [number, number] {
    const pub: [number, number] | undefined = hasBounds(c.dom)
      ? [c.dom.lower, c.dom.upper]
      : undefined;
    const b = intersect(a.bounds, pub);
    if (b === 'empty')
      throw invalid(
        `bounds [${a.bounds![0]}, ${a.bounds![1]}] do not overlap the public bounds [${pub![0]}, ${pub![1]}] of "${c.name}"`,
        'Choose bounds inside the public bounds; explicit bounds can only narrow them.'
      );
    if (!b)
      throw new LomasError('PRIVACY_RULE', {
        rule: 'bounded-contribution',
        why: `${a.op}("${c.name}") needs bounds: without them one person could move the result without limit, so no amount of noise would hide them.`,
        fix: `Give the bounds you expect, e.g. { bounds: [0, 100] } (values outside are clamped).`
      });
    return b;
  }
}

// -------------------------------------------------------------------------------------------------
// Node helpers
// -------------------------------------------------------------------------------------------------

function litNode(value: Scalar): RExpr {
  if (value === null)
    return { k: 'lit', value: null, type: 'string', dom: { nullable: true, categories: [] } };
  if (typeof value === 'number') {
    const type: ValueType = Number.isSafeInteger(value) ? 'int' : 'float';
    return { k: 'lit', value, type, dom: { lower: value, upper: value, nullable: false } };
  }
  if (typeof value === 'boolean')
    return { k: 'lit', value, type: 'boolean', dom: { nullable: false } };
  return { k: 'lit', value, type: 'string', dom: { nullable: false, categories: [value] } };
}

/** A null literal takes the type of the other operand. */
function coerceNulls(l: RExpr, r: RExpr): [RExpr, RExpr] {
  const isNullLit = (x: RExpr) => x.k === 'lit' && x.value === null;
  if (isNullLit(l) && !isNullLit(r)) l = { ...l, type: r.type, dom: { nullable: true } };
  if (isNullLit(r) && !isNullLit(l)) r = { ...r, type: l.type, dom: { nullable: true } };
  return [l, r];
}

/** A string literal compared with a datetime becomes a datetime literal (ISO 8601). */
function coerceDatetime(l: RExpr, r: RExpr, where: string): [RExpr, RExpr] {
  const conv = (x: RExpr): RExpr => {
    if (x.k === 'lit' && typeof x.value === 'string') {
      const ms = Date.parse(x.value);
      if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(x.value) || !Number.isFinite(ms))
        throw mismatch(
          clip(where),
          'string',
          'an ISO date such as "2001-03-01" or "2001-03-01T12:00:00"'
        );
      return {
        k: 'lit',
        value: x.value,
        type: 'datetime',
        dom: { lower: ms, upper: ms, nullable: false }
      };
    }
    return x;
  };
  if (l.type === 'datetime' && r.type === 'string') return [l, conv(r)];
  if (r.type === 'datetime' && l.type === 'string') return [conv(l), r];
  return [l, r];
}

/** Conversion node (int↔float, anything → string). */
function castNode(e: RExpr, to: ValueType): RExpr {
  const dom: Domain =
    to === 'int'
      ? bounded(
          e.dom.lower !== undefined ? Math.round(e.dom.lower) : undefined,
          e.dom.upper !== undefined ? Math.round(e.dom.upper) : undefined,
          e.dom.nullable || !hasBounds(e.dom),
          true
        )
      : to === 'float'
        ? { ...e.dom }
        : { nullable: e.dom.nullable };
  return { k: 'cast', arg: e, type: to, dom };
}

/** One side of a clamp: max(e, bound) or min(e, bound). */
function clampSide(e: RExpr, fn: 'max' | 'min', bound: number): RExpr {
  const lit: RExpr = {
    k: 'lit',
    value: bound,
    type: Number.isSafeInteger(bound) ? 'int' : 'float',
    dom: { lower: bound, upper: bound, nullable: false }
  };
  return {
    k: 'call',
    fn,
    args: [e, lit],
    type: e.type === 'int' && lit.type === 'int' ? 'int' : 'float',
    dom: FUNCTIONS[fn].domain([e, lit], 'float')
  };
}

/** Enforces declared numeric bounds: min(max(e, lo), hi), with the declared domain. */
function clampNode(e: RExpr, lo: number | undefined, hi: number | undefined): RExpr {
  let out = e;
  if (lo !== undefined) out = clampSide(out, 'max', lo);
  if (hi !== undefined) out = clampSide(out, 'min', hi);
  // The declared bounds hold after clamping, whatever was inferred.
  const dom: Domain = { ...out.dom, nullable: e.dom.nullable };
  if (lo !== undefined) dom.lower = lo;
  if (hi !== undefined) dom.upper = hi;
  if (dom.lower !== undefined && dom.upper === undefined) delete dom.lower;
  if (dom.upper !== undefined && dom.lower === undefined) delete dom.upper;
  return { ...out, dom };
}

/** Enforces declared categories: values outside the list become NULL. */
function categoriesNode(e: RExpr, categories: string[]): RExpr {
  const cats = [...new Set(categories)];
  const test: RExpr = {
    k: 'logic',
    op: 'or',
    args: cats.map(c => ({
      k: 'cmp',
      op: '==',
      left: e,
      right: { k: 'lit', value: c, type: 'string', dom: { nullable: false, categories: [c] } },
      type: 'boolean',
      dom: { nullable: e.dom.nullable }
    })),
    type: 'boolean',
    dom: { nullable: e.dom.nullable }
  };
  const nul: RExpr = { k: 'lit', value: null, type: 'string', dom: { nullable: true } };
  return {
    k: 'cond',
    test,
    then: e,
    else: nul,
    type: 'string',
    dom: { categories: cats, nullable: true }
  };
}

/** The public value set of a key column, or null when it has none. */
function publicKeys(c: ColumnInfo): KeyValue[] | null {
  const withNull = (vs: KeyValue[]) => (c.dom.nullable ? [...vs, null] : vs);
  if (c.type === 'boolean') return withNull([false, true]);
  if (c.type === 'string' && c.dom.categories) return withNull([...c.dom.categories]);
  if (c.type === 'int' && hasBounds(c.dom)) {
    const lo = Math.ceil(c.dom.lower);
    const hi = Math.floor(c.dom.upper);
    if (hi - lo + 1 <= LIMITS.maxGroups) {
      const vs: KeyValue[] = [];
      for (let i = lo; i <= hi; i++) vs.push(i);
      return withNull(vs);
    }
  }
  return null;
}
